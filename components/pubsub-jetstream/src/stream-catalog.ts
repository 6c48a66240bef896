import { errorMessage, type Logger } from '@mecha/core';
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { isStreamNotFound } from './jetstream-errors.ts';
import { streamNameForTopic } from './jetstream-names.ts';

/** Marks streams this component created, so it may add topics to them and to no others. */
export const CREATED_STREAM_DESCRIPTION = 'Created by Mecha pubsub.jetstream for its topics';

export interface StreamCatalogOptions {
  /** The stream every topic goes to (`streamName`); absent: the one capturing each topic. */
  streamName?: string;
  memoryStorage: boolean;
  replicas?: number;
  logger: Logger;
}

/**
 * Knows which stream stores each topic, and makes one when none does. Dapr expects the
 * stream to exist already; creating it here lets a topic work on a bare server the way it
 * does on the other brokers. Streams it creates keep every message (limits retention, no
 * limits): operators who want limits create the stream themselves.
 */
export class StreamCatalog {
  readonly #jsm: JetStreamManager;
  readonly #options: StreamCatalogOptions;
  readonly #known = new Map<string, string>();
  /** Changes to streams run one at a time, so two topics added at once both stay. */
  #changes: Promise<unknown> = Promise.resolve();

  constructor(jsm: JetStreamManager, options: StreamCatalogOptions) {
    this.#jsm = jsm;
    this.#options = options;
  }

  /** The stream capturing `subject`, created (or extended) when there is none. */
  async streamFor(subject: string): Promise<string> {
    const known = this.#known.get(subject);
    if (known !== undefined) return known;
    const run = this.#changes.then(() => this.#resolve(subject));
    this.#changes = run.catch(() => {});
    const name = await run;
    this.#known.set(subject, name);
    return name;
  }

  /** Drops what is remembered about `subject`, after the server said its stream is gone. */
  forget(subject: string): void {
    this.#known.delete(subject);
  }

  async #resolve(subject: string): Promise<string> {
    const known = this.#known.get(subject);
    if (known !== undefined) return known;
    if (this.#options.streamName) return this.#resolveNamed(this.#options.streamName, subject);
    const found = await this.#capturing(subject);
    if (found) return found;
    const name = streamNameForTopic(subject);
    try {
      await this.#create(name, subject);
      return name;
    } catch (error) {
      // Another subscriber or publisher may have created it in the meantime.
      const again = await this.#capturing(subject);
      if (again) return again;
      throw new Error(
        `pubsub.jetstream: no stream captures topic '${subject}' and creating stream '${name}' failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  async #resolveNamed(name: string, subject: string): Promise<string> {
    let info: StreamInfo;
    try {
      info = await this.#jsm.streams.info(name);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      try {
        await this.#create(name, subject);
        return name;
      } catch (createError) {
        // Created concurrently: carry on with the stream that now exists.
        info = await this.#jsm.streams.info(name).catch(() => {
          throw createError;
        });
      }
    }
    if (await this.#captures(name, subject)) return name;
    if (info.config.description !== CREATED_STREAM_DESCRIPTION) {
      throw new Error(
        `pubsub.jetstream: stream '${name}' (metadata field 'streamName') does not capture topic '${subject}'; add the subject to the stream, or leave 'streamName' out to use a stream per topic`,
      );
    }
    await this.#jsm.streams.update(name, { subjects: [...info.config.subjects, subject] });
    this.#options.logger.info({ stream: name, topic: subject }, `added topic ${subject} to stream ${name}`);
    return name;
  }

  async #create(name: string, subject: string): Promise<void> {
    await this.#jsm.streams.add({
      name,
      subjects: [subject],
      description: CREATED_STREAM_DESCRIPTION,
      storage: this.#options.memoryStorage ? 'memory' : 'file',
      retention: 'limits',
      ...(this.#options.replicas !== undefined ? { num_replicas: this.#options.replicas } : {}),
    });
    this.#options.logger.info({ stream: name, topic: subject }, `created stream ${name} for topic ${subject}`);
  }

  /** The first stream whose subjects capture `subject`. */
  async #capturing(subject: string): Promise<string | undefined> {
    const names = await this.#streamsCapturing(subject);
    if (names.length > 1) {
      this.#options.logger.warn(
        { topic: subject, streams: names },
        `several streams capture topic ${subject}; using ${names[0]}`,
      );
    }
    return names[0];
  }

  async #captures(name: string, subject: string): Promise<boolean> {
    return (await this.#streamsCapturing(subject)).includes(name);
  }

  async #streamsCapturing(subject: string): Promise<string[]> {
    const names: string[] = [];
    for await (const name of this.#jsm.streams.names(subject)) names.push(name);
    return names;
  }
}
