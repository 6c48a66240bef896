import { errorMessage, type Logger } from '@mecha/core';
import type { BrokerMessage, BrokerSubscription, MessageHandler, SubscribeRequest } from '@mecha/pubsub';
import type {
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  ConsumerUpdateConfig,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import type { ConsumerSettings } from './broker-options.ts';
import { isConsumerNotFound, isStreamNotFound } from './jetstream-errors.ts';
import type { StreamCatalog } from './stream-catalog.ts';

export interface DurableSubscriptionOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  catalog: StreamCatalog;
  topic: string;
  consumerName: string;
  /** The metadata field that named the consumer, for error messages (`durableName`), if any. */
  consumerNameSource?: string;
  settings: ConsumerSettings;
  handler: MessageHandler;
  concurrency: 'single' | 'parallel';
  /** Set for a bulk subscription: `single` mode then hands over a batch at a time, in order. */
  bulk?: NonNullable<SubscribeRequest['bulk']>;
  prefetch: number;
  heartbeatMs?: number;
  redeliveryDelayMs: number;
  closeTimeoutMs: number;
  /** True once the connection is closed for good: no point fetching again. */
  connectionClosed: () => boolean;
  logger: Logger;
}

const SERVER_DEFAULT_ACK_WAIT_MS = 30_000;
const FETCH_EXPIRES_MS = 5_000;
const MAX_RECOVERY_DELAY_MS = 5_000;

/**
 * One subscription on a durable pull consumer. Subscribers of one consumer group (in this
 * process or others) pull from the same consumer, so the server shares its messages among
 * them, and it keeps its position while none is running.
 *
 * Each message is acknowledged only after the handler resolved; a rejection is a `nak`
 * with a delay, so the server delivers it again (to any subscriber of the group). A message
 * whose subscriber disappears unacknowledged is delivered again after `ackWait`; while a
 * handler runs, progress acknowledgements keep the server from redelivering it early.
 * A consumer or stream the server lost is created again, without the caller subscribing again.
 */
export class DurableSubscription implements BrokerSubscription {
  readonly #options: DurableSubscriptionOptions;
  readonly #abort = new AbortController();
  /** Delivered and not yet settled: kept alive with progress acks, given back on close. */
  readonly #held = new Set<JsMsg>();
  /** `single` mode: delivered, waiting for the handler. */
  readonly #queue: JsMsg[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #stream = '';
  #consumer: Consumer | undefined;
  #ackWaitMs = SERVER_DEFAULT_ACK_WAIT_MS;
  #batch: ConsumerMessages | undefined;
  #working = false;
  #loop: Promise<void> = Promise.resolve();
  #keepAlive: NodeJS.Timeout | undefined;
  #capacityWaiter: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: DurableSubscriptionOptions) {
    this.#options = options;
  }

  /** Resolves once the durable consumer exists: messages published from then on are kept for it. */
  async open(): Promise<void> {
    await this.#ensureConsumer();
    this.#loop = this.#run();
    this.#startKeepAlive();
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  /**
   * The connection came back: pull again now. The client's own recovery of a pull in
   * progress backs off for seconds when JetStream is not ready yet; a new pull that fails
   * goes through this subscription's shorter retry instead.
   */
  reconnected(): void {
    this.#batch?.stop();
  }

  get #closed(): boolean {
    return this.#abort.signal.aborted;
  }

  async #shutDown(): Promise<void> {
    const { logger, topic, closeTimeoutMs } = this.#options;
    this.#abort.abort();
    this.#capacityWaiter?.();
    this.#batch?.stop();
    // Not started yet: straight back to the server, for another subscriber of the group.
    for (const message of this.#queue.splice(0)) {
      this.#held.delete(message);
      settle(message, 'nak', 0);
    }
    const finished = await settledWithin([...this.#inFlight], closeTimeoutMs);
    if (!finished) {
      logger.warn(
        { topic, consumer: this.#options.consumerName, handlers: this.#inFlight.size },
        `closing the subscription to ${topic} with handlers still running; their messages stay unacknowledged and are delivered again after ackWait`,
      );
    }
    clearInterval(this.#keepAlive);
    this.#held.clear();
    await settledWithin([this.#loop], closeTimeoutMs);
  }

  /** Finds or creates the stream, then creates the durable consumer (or adopts the existing one). */
  async #ensureConsumer(): Promise<void> {
    const { catalog, jsm, js, topic, consumerName, logger } = this.#options;
    let stream = await catalog.streamFor(topic);
    let existing: ConsumerInfo | undefined;
    try {
      existing = await jsm.consumers.info(stream, consumerName);
    } catch (error) {
      if (isStreamNotFound(error)) {
        // The stream went away since it was looked up: find or create it again.
        catalog.forget(topic);
        stream = await catalog.streamFor(topic);
      } else if (!isConsumerNotFound(error)) {
        throw error;
      }
    }
    // Checked before creating: the server would otherwise move the consumer to this topic.
    const filter = existing?.config.filter_subject;
    if (filter && filter !== topic) {
      const source = this.#options.consumerNameSource;
      throw new Error(
        `pubsub.jetstream: consumer '${consumerName}' of stream '${stream}' already follows '${filter}', not topic '${topic}'` +
          (source
            ? `; a consumer follows one topic, so '${source}' can name the consumer of only one topic in a stream`
            : ''),
      );
    }
    let info: ConsumerInfo;
    if (existing) {
      info = await this.#updateIfChanged(stream, existing);
    } else {
      try {
        info = await jsm.consumers.add(stream, this.#consumerConfig());
      } catch (error) {
        info = await this.#adoptExisting(stream, error);
      }
    }
    this.#stream = stream;
    this.#consumer = js.consumers.getConsumerFromInfo(info);
    this.#ackWaitMs = info.config.ack_wait ? info.config.ack_wait / 1e6 : SERVER_DEFAULT_ACK_WAIT_MS;
    logger.debug({ topic, stream, consumer: consumerName }, `consuming ${topic} through ${stream}/${consumerName}`);
  }

  /**
   * An existing consumer is used as it is, except for the settings the component sets and
   * the server can change in place. No create request is sent for it: a create the server
   * rejects has been known to wipe the existing consumer's state (nats-server #8491), and
   * its position is what must survive.
   */
  async #updateIfChanged(stream: string, existing: ConsumerInfo): Promise<ConsumerInfo> {
    const { jsm, consumerName, logger, topic } = this.#options;
    const changes = changedSettings(existing.config, this.#consumerConfig());
    if (Object.keys(changes).length === 0) return existing;
    try {
      const updated = await jsm.consumers.update(stream, consumerName, changes);
      logger.info({ topic, stream, consumer: consumerName, changes: Object.keys(changes) }, `updated consumer ${consumerName}`);
      return updated;
    } catch (error) {
      logger.warn(
        { topic, stream, consumer: consumerName, changes: Object.keys(changes), error: errorMessage(error) },
        `cannot update consumer ${consumerName}; using it with its current settings`,
      );
      return existing;
    }
  }

  /**
   * Creating failed, typically because another subscriber created the consumer meanwhile:
   * use that one when it follows this topic.
   */
  async #adoptExisting(stream: string, createError: unknown): Promise<ConsumerInfo> {
    const { jsm, consumerName, logger, topic } = this.#options;
    let info: ConsumerInfo | undefined;
    try {
      info = await jsm.consumers.info(stream, consumerName);
    } catch {
      // Nothing to adopt: the creation error is the one to report.
    }
    if (!info || (info.config.filter_subject && info.config.filter_subject !== topic)) {
      throw new Error(
        `pubsub.jetstream: cannot create consumer '${consumerName}' on stream '${stream}' for topic '${topic}': ${errorMessage(createError)}`,
        { cause: createError },
      );
    }
    logger.debug(
      { topic, stream, consumer: consumerName, error: errorMessage(createError) },
      `consumer ${consumerName} was created meanwhile; using it`,
    );
    return info;
  }

  #consumerConfig(): Partial<ConsumerConfig> {
    const { settings, topic, consumerName } = this.#options;
    const config: Partial<ConsumerConfig> = {
      durable_name: consumerName,
      filter_subject: topic,
      ack_policy: 'explicit',
      deliver_policy: settings.deliverPolicy ?? 'all',
      replay_policy: 'instant',
    };
    if (settings.startSequence !== undefined) config.opt_start_seq = settings.startSequence;
    if (settings.startTime !== undefined) config.opt_start_time = settings.startTime.toISOString();
    if (settings.ackWaitMs !== undefined) config.ack_wait = nanos(settings.ackWaitMs);
    if (settings.maxDeliver !== undefined) config.max_deliver = settings.maxDeliver;
    if (settings.backOffMs?.length) config.backoff = settings.backOffMs.map(nanos);
    if (settings.maxAckPending !== undefined) config.max_ack_pending = settings.maxAckPending;
    if (settings.replicas !== undefined) config.num_replicas = settings.replicas;
    if (settings.memoryStorage) config.mem_storage = true;
    return config;
  }

  /** Pulls batches while open; a failed pull waits, checks the consumer (recreating it if lost) and pulls again. */
  async #run(): Promise<void> {
    const { prefetch, heartbeatMs } = this.#options;
    const expires = heartbeatMs ? Math.max(FETCH_EXPIRES_MS, heartbeatMs * 2 + 1000) : FETCH_EXPIRES_MS;
    let failures = 0;
    while (!this.#closed) {
      await this.#roomForMore();
      if (this.#closed) break;
      try {
        const batch = await this.#consumer!.fetch({
          max_messages: prefetch - this.#held.size,
          expires,
          ...(heartbeatMs ? { idle_heartbeat: heartbeatMs } : {}),
        });
        this.#batch = batch;
        if (this.#closed) batch.stop();
        for await (const message of batch) this.#accept(message);
        const ended = await batch.closed();
        if (ended instanceof Error) throw ended;
        failures = 0;
      } catch (error) {
        if (this.#closed || this.#options.connectionClosed()) break;
        failures++;
        await this.#recover(error, failures);
      } finally {
        this.#batch = undefined;
      }
    }
  }

  async #recover(error: unknown, failures: number): Promise<void> {
    const { logger, topic, consumerName, catalog, jsm } = this.#options;
    const log = { topic, stream: this.#stream, consumer: consumerName, error: errorMessage(error), failures };
    if (failures === 1) logger.warn(log, `pulling messages of ${topic} failed; retrying`);
    else logger.debug(log, `pulling messages of ${topic} failed again`);
    await pause(Math.min(100 * 2 ** (failures - 1), MAX_RECOVERY_DELAY_MS), this.#abort.signal);
    if (this.#closed) return;
    try {
      await jsm.consumers.info(this.#stream, consumerName);
    } catch (infoError) {
      if (!isConsumerNotFound(infoError) && !isStreamNotFound(infoError)) return;
      if (isStreamNotFound(infoError)) catalog.forget(topic);
      try {
        await this.#ensureConsumer();
        logger.warn(
          { topic, stream: this.#stream, consumer: consumerName },
          `the server had lost consumer ${consumerName} of ${topic}; created it again`,
        );
      } catch (createError) {
        logger.warn({ ...log, error: errorMessage(createError) }, `cannot create consumer ${consumerName} again yet`);
      }
    }
  }

  #accept(message: JsMsg): void {
    if (this.#closed) {
      settle(message, 'nak', 0);
      return;
    }
    this.#held.add(message);
    if (this.#options.concurrency === 'parallel') {
      this.#track(this.#handle(message));
    } else {
      this.#queue.push(message);
      if (this.#working) return;
      if (this.#options.bulk) {
        // Bulk: let the rest of the fetched burst arrive first, so it goes out as one batch.
        this.#working = true;
        this.#track(new Promise((resolve) => setImmediate(resolve)).then(() => this.#workQueue()));
      } else {
        this.#track(this.#workQueue());
      }
    }
  }

  async #workQueue(): Promise<void> {
    this.#working = true;
    try {
      while (this.#queue.length > 0) {
        const { bulk } = this.#options;
        const chunk = this.#queue.splice(0, Math.max(1, bulk?.maxMessages ?? 1));
        const handling = chunk.map((message) => this.#handle(message));
        bulk?.flush();
        await Promise.all(handling);
      }
    } finally {
      this.#working = false;
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #handle(message: JsMsg): Promise<void> {
    let outcome: 'ack' | 'nak' = 'ack';
    try {
      await this.#options.handler(toBrokerMessage(message));
    } catch (error) {
      outcome = 'nak';
      this.#options.logger.debug(
        { topic: message.subject, sequence: message.seq, error: errorMessage(error) },
        `message ${message.seq} of ${message.subject} was not handled; it will be delivered again`,
      );
    }
    // After close gave up on it the message is still settled: an ack avoids a duplicate.
    this.#held.delete(message);
    settle(message, outcome, outcome === 'nak' ? this.#redeliveryDelay(message) : 0);
    this.#capacityWaiter?.();
  }

  #redeliveryDelay(message: JsMsg): number {
    const backOff = this.#options.settings.backOffMs;
    if (!backOff?.length) return this.#options.redeliveryDelayMs;
    const index = Math.min(Math.max(message.info.deliveryCount - 1, 0), backOff.length - 1);
    return backOff[index]!;
  }

  /**
   * Waits until at least half of `prefetch` is free (or the subscription closes). Pulling as
   * soon as one message is settled would, under a steady backlog, make every pull a request
   * (and a reply inbox) for one message; the half still held keeps the handlers busy while
   * the next pull is on its way.
   */
  async #roomForMore(): Promise<void> {
    const { prefetch } = this.#options;
    const refillAt = prefetch - Math.ceil(prefetch / 2);
    while (!this.#closed && this.#held.size > refillAt) {
      await new Promise<void>((resolve) => {
        this.#capacityWaiter = resolve;
      });
      this.#capacityWaiter = undefined;
    }
  }

  /** Progress acks for every held message, so a slow handler does not see its message redelivered. */
  #startKeepAlive(): void {
    const every = Math.max(Math.floor(this.#ackWaitMs / 3), 100);
    this.#keepAlive = setInterval(() => {
      for (const message of this.#held) {
        try {
          message.working();
        } catch {
          // Disconnected: the server redelivers after ackWait, as it should.
        }
      }
    }, every);
    this.#keepAlive.unref();
  }
}

function toBrokerMessage(message: JsMsg): BrokerMessage {
  const contentType = message.headers?.get('Content-Type');
  return {
    topic: message.subject,
    data: message.data,
    ...(contentType ? { contentType } : {}),
    metadata: {},
  };
}

function settle(message: JsMsg, outcome: 'ack' | 'nak', delayMs: number): void {
  try {
    if (outcome === 'ack') message.ack();
    // Always with a delay: nats-server 2.9 mishandles a plain nak on a pull consumer (the
    // message is not delivered again, and another message is delivered in its place).
    else message.nak(Math.max(delayMs, 1));
  } catch {
    // The connection is gone: unacknowledged, the message is delivered again after ackWait.
  }
}

/** The settings this component would set that the server may change on an existing consumer. */
const UPDATABLE = ['ack_wait', 'max_deliver', 'backoff', 'max_ack_pending'] as const;

function changedSettings(current: ConsumerConfig, wanted: Partial<ConsumerConfig>): Partial<ConsumerUpdateConfig> {
  const changes: Partial<ConsumerUpdateConfig> = {};
  for (const key of UPDATABLE) {
    const value = wanted[key];
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(current[key])) {
      (changes as Record<string, unknown>)[key] = value;
    }
  }
  return changes;
}

function nanos(ms: number): number {
  return Math.round(ms * 1e6);
}

async function settledWithin(work: Array<Promise<unknown>>, ms: number): Promise<boolean> {
  if (work.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled(work).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
