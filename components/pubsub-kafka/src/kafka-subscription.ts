import { errorMessage, type Logger } from '@mecha/core';
import type { BrokerSubscription, MessageHandler, SubscribeRequest } from '@mecha/pubsub';
import type {
  Admin,
  Consumer,
  ConsumerConfig,
  ConsumerGroupJoinEvent,
  ConsumerCrashEvent,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
} from 'kafkajs';
import type { KafkaInitialOffset } from './kafka-broker-options.ts';
import { fromKafkaMessage, type CodecOptions } from './message-codec.ts';
import { OffsetCommitter } from './offset-committer.ts';
import { withTimeout } from './with-timeout.ts';

export interface KafkaSubscriptionSettings {
  kafka: Kafka;
  /** Shared with the broker; used for the group's offsets. */
  admin: Admin;
  topic: string;
  groupId: string;
  initialOffset: KafkaInitialOffset;
  /** kafkajs consumer settings except the group and the restart policy, which this class owns. */
  consumer: Omit<ConsumerConfig, 'groupId'>;
  heartbeatIntervalMs: number;
  redeliveryDelayMs: number;
  closeTimeoutMs: number;
  joinTimeoutMs: number;
  partitionsConsumedConcurrently: number;
  /** Set for a bulk subscription: a partition's messages are then handed over a batch at a time. */
  bulk?: NonNullable<SubscribeRequest['bulk']>;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  codec: CodecOptions;
  handler: MessageHandler;
  logger: Logger;
}

type Outcome = 'ack' | 'nack' | 'abandoned';

const DISCONNECT_TIMEOUT_MS = 3000;

/**
 * One subscription: a kafkajs consumer in the group, handling each partition's messages one
 * at a time, or a bulk subscription's batch at a time (partitions in parallel), and
 * committing a partition's position only past messages whose handler resolved. A rejected
 * message pauses its partition and is fetched again after `redeliveryDelayMs`; nothing
 * behind it is committed meanwhile. The consumer is replaced
 * whenever kafkajs gives up on it, so the subscription outlives broker restarts.
 */
export class KafkaSubscription implements BrokerSubscription {
  readonly #settings: KafkaSubscriptionSettings;
  readonly #logger: Logger;
  readonly #committer: OffsetCommitter;
  /** Partitions known to have a committed offset in the group (no initial offset to apply). */
  readonly #knownCommitted = new Set<number>();
  readonly #running = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #ready = deferred<void>();
  /** One per handler in progress: ends its wait when close() gives up on it. */
  readonly #abandoners = new Set<() => void>();
  #gaveUp = false;
  #consumer: Consumer | undefined;
  #relaunches = 0;
  #closing: Promise<void> | undefined;

  constructor(settings: KafkaSubscriptionSettings) {
    this.#settings = settings;
    this.#logger = settings.logger.child({
      topic: settings.topic,
      consumerGroup: settings.groupId,
    });
    this.#committer = new OffsetCommitter(settings.topic, (error) =>
      this.#logger.warn(
        { error: errorMessage(error) },
        'committing consumed offsets failed; they are retried with the next commit (at worst, messages are delivered again)',
      ),
    );
    // A rejection nobody awaits (close before start finished) must not crash the process.
    this.#ready.promise.catch(() => {});
  }

  /** Resolves once the consumer has joined the group and its start positions are fixed. */
  async start(): Promise<void> {
    const { topic, groupId, joinTimeoutMs } = this.#settings;
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#launch();
      await Promise.race([
        this.#ready.promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `joining consumer group ${groupId} for topic ${topic} took longer than ${joinTimeoutMs} ms`,
                ),
              ),
            joinTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  async #shutdown(): Promise<void> {
    const { topic, closeTimeoutMs } = this.#settings;
    this.#ready.reject(new Error(`the subscription to ${topic} was closed`));
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const consumer = this.#consumer;
    try {
      consumer?.pause([{ topic }]);
    } catch {
      // Not running yet: nothing to pause.
    }
    // Handlers get closeTimeoutMs to finish; one still running after that is abandoned and
    // its message stays uncommitted for the group's next member.
    const giveUp = setTimeout(() => {
      this.#gaveUp = true;
      for (const abandon of this.#abandoners) abandon();
    }, closeTimeoutMs);
    // Bounded as well: a batch may still be waiting on a commit to a broker that is gone.
    await withTimeout(Promise.allSettled([...this.#running]), closeTimeoutMs + 5000).catch(
      () => {},
    );
    clearTimeout(giveUp);
    await withTimeout(this.#committer.flush(), closeTimeoutMs).catch(() => {});
    this.#consumer = undefined;
    if (consumer) await this.#disconnect(consumer);
  }

  async #launch(): Promise<void> {
    const settings = this.#settings;
    const consumer = settings.kafka.consumer({
      ...settings.consumer,
      groupId: settings.groupId,
      retry: {
        ...settings.consumer.retry,
        // kafkajs restarts a crashed consumer only for errors it deems retriable; #onCrash
        // replaces the consumer for the others.
        restartOnFailure: async () => !this.closed,
      },
    });
    this.#consumer = consumer;
    this.#knownCommitted.clear();
    consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) =>
      this.#onJoin(consumer, event),
    );
    consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) =>
      this.#onCrash(consumer, event),
    );
    await consumer.connect();
    await consumer.subscribe({
      topic: settings.topic,
      fromBeginning: settings.initialOffset === 'oldest',
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.#eachBatch(consumer, payload),
    });
  }

  #onCrash(consumer: Consumer, event: ConsumerCrashEvent): void {
    if (this.closed || consumer !== this.#consumer) return;
    const { error, restart } = event.payload;
    this.#logger.warn(
      { error: errorMessage(error), restart },
      restart
        ? 'the Kafka consumer failed; kafkajs restarts it'
        : 'the Kafka consumer stopped; replacing it',
    );
    if (!restart) this.#scheduleRelaunch(consumer);
  }

  #scheduleRelaunch(failed: Consumer): void {
    if (this.closed || failed !== this.#consumer) return;
    const { initialDelayMs, maxDelayMs } = this.#settings.reconnect;
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.#relaunches, 16));
    this.#relaunches++;
    this.#later(delay, async () => {
      if (this.closed || failed !== this.#consumer) return;
      this.#consumer = undefined;
      await this.#disconnect(failed);
      if (this.closed) return;
      try {
        await this.#launch();
      } catch (error) {
        this.#logger.warn(
          { error: errorMessage(error) },
          'the Kafka consumer could not start; trying again',
        );
        const current = this.#consumer;
        if (current) this.#scheduleRelaunch(current);
      }
    });
  }

  /**
   * Runs synchronously inside kafkajs's join, before the first fetch: partitions whose start
   * is not known yet stay paused until the group has a committed offset for each of them.
   */
  #onJoin(consumer: Consumer, event: ConsumerGroupJoinEvent): void {
    if (consumer !== this.#consumer || this.closed) return;
    const { topic, initialOffset } = this.#settings;
    this.#relaunches = 0;
    const assigned = event.payload.memberAssignment[topic] ?? [];
    this.#committer.retain(assigned);
    this.#logger.debug({ partitions: assigned }, 'joined the consumer group');
    // `oldest` needs nothing: kafkajs starts at the earliest retained offset, which only moves on.
    const unknown =
      initialOffset === 'oldest'
        ? []
        : assigned.filter((partition) => !this.#knownCommitted.has(partition));
    if (unknown.length === 0) {
      this.#ready.resolve();
      return;
    }
    consumer.pause([{ topic, partitions: unknown }]);
    void this.#fixStartOffsets(consumer, unknown);
  }

  /**
   * `newest` for a group without a committed offset means "from when the subscription
   * started": commit the partition's end offset now, so that neither this member nor one it
   * hands the partition to later resolves "newest" afresh and skips what came in between.
   */
  async #fixStartOffsets(consumer: Consumer, partitions: number[]): Promise<void> {
    const { admin, topic, groupId, reconnect } = this.#settings;
    for (let attempt = 0; ; attempt++) {
      if (consumer !== this.#consumer || this.closed) return;
      try {
        const missing = await this.#uncommitted(partitions);
        if (missing.length > 0) {
          const ends = await admin.fetchTopicOffsets(topic);
          const positions = missing.map((partition) => ({
            topic,
            partition,
            offset: ends.find((end) => end.partition === partition)?.high ?? '0',
          }));
          if (consumer !== this.#consumer || this.closed) return;
          for (const position of positions) consumer.seek(position);
          await consumer.commitOffsets(positions);
          const stillMissing = await this.#uncommitted(missing);
          if (stillMissing.length > 0) {
            throw new Error(
              `group ${groupId} has no committed offset yet for partitions ${stillMissing.join(', ')}`,
            );
          }
          this.#logger.debug({ positions }, 'committed the initial offsets (newest)');
        }
        for (const partition of partitions) this.#knownCommitted.add(partition);
        if (consumer !== this.#consumer || this.closed) return;
        consumer.resume([{ topic, partitions }]);
        this.#ready.resolve();
        return;
      } catch (error) {
        const delay = Math.min(
          reconnect.maxDelayMs,
          reconnect.initialDelayMs * 2 ** Math.min(attempt, 16),
        );
        this.#logger.warn(
          { error: errorMessage(error), partitions },
          `fixing the start offsets failed; retrying in ${delay} ms`,
        );
        await new Promise<void>((resolve) => this.#later(delay, resolve));
      }
    }
  }

  async #uncommitted(partitions: readonly number[]): Promise<number[]> {
    const { admin, topic, groupId } = this.#settings;
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Set(
      (offsets?.partitions ?? [])
        .filter((entry) => Number(entry.offset) >= 0)
        .map((entry) => entry.partition),
    );
    return partitions.filter((partition) => !committed.has(partition));
  }

  async #eachBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    if (consumer !== this.#consumer || this.closed) {
      // A consumer this subscription let go of, come back to life (kafkajs can finish a
      // restart after being told to stop): failing its batches makes kafkajs stop it.
      throw new Error(`the subscription to ${this.#settings.topic} no longer uses this consumer`);
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
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause } = payload;
    this.#committer.use((offsets) => payload.commitOffsetsIfNecessary(offsets));
    const { bulk } = this.#settings;
    const handOver = Math.max(1, bulk?.maxMessages ?? 1);
    batches: for (let start = 0; start < batch.messages.length; start += handOver) {
      if (this.closed || !isRunning() || isStale()) break;
      // Handed over in partition order without waiting for one another (a bulk subscription's
      // batch), settled in that order: the committed position only passes acknowledged messages.
      const chunk = batch.messages.slice(start, start + handOver);
      const outcomes = chunk.map((message) => this.#deliver(batch.topic, batch.partition, message, heartbeat));
      bulk?.flush();
      for (const [i, message] of chunk.entries()) {
        const outcome = await outcomes[i]!;
        if (outcome !== 'ack') {
          // The offset stays unresolved, so the partition's next fetch starts at this message
          // (those behind it in the chunk come again too: at-least-once).
          await Promise.all(outcomes.slice(i + 1));
          if (outcome === 'nack' && !this.closed) this.#redeliverLater(pause());
          break batches;
        }
        resolveOffset(message.offset);
        this.#committer.mark(batch.partition, (BigInt(message.offset) + 1n).toString());
      }
      try {
        await heartbeat();
      } catch (error) {
        // A rebalance: commit what was handled before kafkajs rejoins the group.
        await this.#committer.flush();
        throw error;
      }
    }
    await this.#committer.flush();
  }

  async #deliver(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome> {
    const brokerMessage = fromKafkaMessage(topic, partition, message, this.#settings.codec);
    const handling = Promise.resolve()
      .then(() => this.#settings.handler(brokerMessage))
      .then(
        () => 'ack' as const,
        (error: unknown) => {
          this.#logger.debug(
            { partition, offset: message.offset, error: errorMessage(error) },
            'the handler rejected a message; it will be delivered again',
          );
          return 'nack' as const;
        },
      );
    // A slow handler must not cost the member its place in the group.
    const keepAlive = setInterval(
      () => void heartbeat().catch(() => {}),
      this.#settings.heartbeatIntervalMs,
    );
    // A promise per message, not one shared by all: each race leaves a reaction on a promise
    // that is still pending, and on one that lives as long as the subscription those would
    // pile up (about 300 bytes per message delivered).
    let abandon!: () => void;
    const abandoned = new Promise<'abandoned'>((resolve) => {
      abandon = () => resolve('abandoned');
    });
    if (this.#gaveUp) abandon();
    this.#abandoners.add(abandon);
    try {
      return await Promise.race([handling, abandoned]);
    } finally {
      this.#abandoners.delete(abandon);
      clearInterval(keepAlive);
    }
  }

  #redeliverLater(resume: () => void): void {
    this.#later(this.#settings.redeliveryDelayMs, () => {
      if (!this.closed) resume();
    });
  }

  #later(delayMs: number, run: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // A timer callback must never throw: that would take the process down.
      Promise.resolve()
        .then(run)
        .catch((error: unknown) =>
          this.#logger.warn(
            { error: errorMessage(error) },
            'a scheduled step of the subscription failed',
          ),
        );
    }, delayMs);
    this.#timers.add(timer);
  }

  async #disconnect(consumer: Consumer): Promise<void> {
    try {
      // Leaving the group cannot succeed while the brokers are away; do not wait for kafkajs's retries.
      await withTimeout(consumer.disconnect(), DISCONNECT_TIMEOUT_MS);
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
