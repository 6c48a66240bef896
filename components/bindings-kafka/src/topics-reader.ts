import type { InputBindingHandler } from '@mecha/bindings';
import { errorMessage, type Logger } from '@mecha/core';
import type { Admin, Consumer, ConsumerConfig, ConsumerCrashEvent, ConsumerGroupJoinEvent, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { bounded } from './bounded.ts';
import { toBindingEvent, type RecordOptions } from './kafka-records.ts';

export interface TopicsReaderSettings {
  kafka: Kafka;
  /** For the group's committed offsets. */
  admin: Admin;
  topics: readonly string[];
  groupId: string;
  initialOffset: 'newest' | 'oldest';
  /** kafkajs consumer settings except the group and the restart policy, which the reader owns. */
  consumer: Omit<ConsumerConfig, 'groupId'>;
  heartbeatIntervalMs: number;
  redeliveryDelayMs: number;
  closeTimeoutMs: number;
  joinTimeoutMs: number;
  /** Delay before a consumer kafkajs gave up on is replaced. */
  relaunchDelayMs: number;
  records: RecordOptions;
  handler: InputBindingHandler;
  logger: Logger;
}

type Outcome = 'ack' | 'nack' | 'abandoned';

/**
 * The input side: one kafkajs consumer in the group, reading every topic of the binding.
 * Each partition's messages go to the handler one at a time (partitions in parallel), and
 * the partition's position is committed past a message only after its handler resolved. A
 * rejected message pauses its partition, which is fetched again from that message after
 * `redeliveryDelayMs`. A consumer kafkajs gives up on (a broker gone too long) is replaced.
 */
export class TopicsReader {
  readonly #settings: TopicsReaderSettings;
  readonly #logger: Logger;
  readonly #running = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** `topic:partition` of partitions known to have a committed offset (their start is settled). */
  readonly #settled = new Set<string>();
  readonly #ready = deferred<void>();
  readonly #abandon = deferred<'abandoned'>();
  #consumer: Consumer | undefined;
  #closing: Promise<void> | undefined;

  constructor(settings: TopicsReaderSettings) {
    this.#settings = settings;
    this.#logger = settings.logger.child({ topics: settings.topics.join(','), consumerGroup: settings.groupId });
    // Nobody may be waiting when a close comes before the start finished.
    this.#ready.promise.catch(() => {});
  }

  /** Resolves once the consumer joined the group and the start position of each partition is fixed. */
  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#launch();
      await Promise.race([
        this.#ready.promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`joining consumer group ${this.#settings.groupId} took longer than ${this.#settings.joinTimeoutMs} ms`)), this.#settings.joinTimeoutMs);
        }),
      ]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops fetching, gives handlers in progress `closeTimeoutMs` (a message whose handler is
   * still running then stays uncommitted, for the group's next reader), and leaves the group.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#ready.reject(new Error('the Kafka input binding was closed'));
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      const consumer = this.#consumer;
      try {
        consumer?.pause(this.#settings.topics.map((topic) => ({ topic })));
      } catch {
        // Not running yet: nothing to pause.
      }
      const giveUp = setTimeout(() => this.#abandon.resolve('abandoned'), this.#settings.closeTimeoutMs);
      await bounded(Promise.allSettled([...this.#running]), this.#settings.closeTimeoutMs + 5000).catch(() => {});
      clearTimeout(giveUp);
      this.#consumer = undefined;
      if (consumer) await this.#disconnect(consumer);
    })();
    return this.#closing;
  }

  async #launch(): Promise<void> {
    const settings = this.#settings;
    const consumer = settings.kafka.consumer({
      ...settings.consumer,
      groupId: settings.groupId,
      // kafkajs restarts a crashed consumer for errors it deems retriable; #onCrash replaces it for the others.
      retry: { ...settings.consumer.retry, restartOnFailure: async () => !this.#closing },
    });
    this.#consumer = consumer;
    this.#settled.clear();
    consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => this.#onJoin(consumer, event));
    consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) => this.#onCrash(consumer, event));
    await consumer.connect();
    await this.#ensureTopics();
    await consumer.subscribe({ topics: [...settings.topics], fromBeginning: settings.initialOffset === 'oldest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.#eachBatch(consumer, payload),
    });
  }

  /**
   * Creates missing topics (with the cluster's default partitions) before subscribing: kafkajs
   * refuses to subscribe to a topic the brokers do not know yet, even where they would create it.
   */
  async #ensureTopics(): Promise<void> {
    const { admin, topics } = this.#settings;
    try {
      await admin.createTopics({ topics: topics.map((topic) => ({ topic })), waitForLeaders: true });
    } catch (error) {
      // The cluster may forbid creating topics: fine as long as they exist.
      const exists = await admin.fetchTopicMetadata({ topics: [...topics] }).then(
        () => true,
        () => false,
      );
      if (!exists) throw new Error(`topics ${topics.join(', ')} do not all exist and could not be created: ${errorMessage(error)}`, { cause: error });
    }
  }

  #onCrash(consumer: Consumer, event: ConsumerCrashEvent): void {
    if (this.#closing || consumer !== this.#consumer) return;
    const { error, restart } = event.payload;
    this.#logger.warn({ error: errorMessage(error), restart }, restart ? 'the Kafka consumer failed; kafkajs restarts it' : 'the Kafka consumer stopped; replacing it');
    if (!restart) this.#later(this.#settings.relaunchDelayMs, () => this.#relaunch(consumer));
  }

  async #relaunch(failed: Consumer): Promise<void> {
    if (this.#closing || failed !== this.#consumer) return;
    this.#consumer = undefined;
    await this.#disconnect(failed);
    if (this.#closing) return;
    try {
      await this.#launch();
    } catch (error) {
      this.#logger.warn({ error: errorMessage(error) }, 'the Kafka consumer could not start; trying again');
      const current = this.#consumer;
      if (current) this.#later(this.#settings.relaunchDelayMs, () => this.#relaunch(current));
    }
  }

  /**
   * Runs inside kafkajs's join, before the first fetch. With `newest`, a partition the group
   * has no committed offset for would start wherever its end is at the first fetch, skipping
   * what was published in between; so such partitions stay paused until their end offset at
   * this moment is committed for the group.
   */
  #onJoin(consumer: Consumer, event: ConsumerGroupJoinEvent): void {
    if (consumer !== this.#consumer || this.#closing) return;
    if (this.#settings.initialOffset === 'oldest') return this.#ready.resolve();
    const unsettled: { topic: string; partitions: number[] }[] = [];
    for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
      const open = partitions.filter((partition) => !this.#settled.has(`${topic}:${partition}`));
      if (open.length > 0) unsettled.push({ topic, partitions: open });
    }
    if (unsettled.length === 0) return this.#ready.resolve();
    consumer.pause(unsettled);
    void this.#settleStarts(consumer, unsettled);
  }

  async #settleStarts(consumer: Consumer, unsettled: { topic: string; partitions: number[] }[]): Promise<void> {
    const { admin, groupId } = this.#settings;
    for (let attempt = 0; ; attempt++) {
      if (consumer !== this.#consumer || this.#closing) return;
      try {
        for (const { topic, partitions } of unsettled) {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const known = new Set((committed?.partitions ?? []).filter((entry) => Number(entry.offset) >= 0).map((entry) => entry.partition));
          const missing = partitions.filter((partition) => !known.has(partition));
          if (missing.length > 0) {
            const ends = await admin.fetchTopicOffsets(topic);
            const positions = missing.map((partition) => ({ topic, partition, offset: ends.find((end) => end.partition === partition)?.high ?? '0' }));
            if (consumer !== this.#consumer || this.#closing) return;
            for (const position of positions) consumer.seek(position);
            await consumer.commitOffsets(positions);
          }
          for (const partition of partitions) this.#settled.add(`${topic}:${partition}`);
        }
        if (consumer !== this.#consumer || this.#closing) return;
        consumer.resume(unsettled);
        this.#ready.resolve();
        return;
      } catch (error) {
        const delay = Math.min(5000, 200 * 2 ** Math.min(attempt, 5));
        this.#logger.warn({ error: errorMessage(error) }, `fixing where the consumer group starts failed; retrying in ${delay} ms`);
        await new Promise<void>((resolve) => this.#later(delay, resolve));
      }
    }
  }

  async #eachBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    if (consumer !== this.#consumer || this.#closing) {
      // A consumer this reader let go of, come back to life: failing its batches makes kafkajs stop it.
      throw new Error('the Kafka input binding no longer uses this consumer');
    }
    const processing = this.#processBatch(payload);
    this.#running.add(processing);
    try {
      await processing;
    } finally {
      this.#running.delete(processing);
    }
  }

  async #processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary } = payload;
    for (const message of batch.messages) {
      if (this.#closing || !isRunning() || isStale()) return;
      const outcome = await this.#deliver(batch.topic, batch.partition, message, heartbeat);
      if (outcome !== 'ack') {
        // Unresolved, so the partition's next fetch starts at this message.
        if (outcome === 'nack' && !this.#closing) {
          const resume = pause();
          this.#later(this.#settings.redeliveryDelayMs, () => {
            if (!this.#closing) resume();
          });
        }
        return;
      }
      resolveOffset(message.offset);
      const next = (BigInt(message.offset) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      await heartbeat();
    }
  }

  async #deliver(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<Outcome> {
    const event = toBindingEvent(topic, partition, message, this.#settings.records);
    const handling = Promise.resolve()
      .then(() => this.#settings.handler(event))
      .then(
        () => 'ack' as const,
        (error: unknown) => {
          this.#logger.debug({ partition, offset: message.offset, error: errorMessage(error) }, 'the handler rejected a message; it will be fetched again');
          return 'nack' as const;
        },
      );
    // A slow handler must not cost the member its place in the group.
    const keepAlive = setInterval(() => void heartbeat().catch(() => {}), this.#settings.heartbeatIntervalMs);
    try {
      return await Promise.race([handling, this.#abandon.promise]);
    } finally {
      clearInterval(keepAlive);
    }
  }

  #later(delayMs: number, run: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // A timer callback must never throw: that would end the process.
      Promise.resolve()
        .then(run)
        .catch((error: unknown) => this.#logger.warn({ error: errorMessage(error) }, 'a scheduled step of the Kafka input binding failed'));
    }, delayMs);
    this.#timers.add(timer);
  }

  async #disconnect(consumer: Consumer): Promise<void> {
    try {
      // Leaving the group cannot succeed while the brokers are away; do not wait for kafkajs's retries.
      await bounded(consumer.disconnect(), 3000);
    } catch (error) {
      this.#logger.debug({ error: errorMessage(error) }, 'disconnecting the Kafka consumer failed');
    }
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
