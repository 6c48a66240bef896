import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type {
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  PubSubBroker,
  SubscribeRequest,
} from '@mecha/pubsub';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { instanceName } from './consumer-name.ts';
import { connectRedis, createRedisClient, describeTarget, type RedisClient, type RedisConnectionOptions } from './redis-connection.ts';
import { entryFields } from './stream-entry.ts';
import { StreamSubscription, type ConsumerSettings } from './stream-subscription.ts';

export interface RedisStreamsBrokerOptions extends RedisConnectionOptions {
  /** Idle time after which a pending message of any consumer is claimed; 0: never. Default 60000. */
  processingTimeoutMs?: number;
  /** How often each subscription looks for such messages; 0: never. Default 15000. */
  redeliverIntervalMs?: number;
  /** First wait before a rejected message is delivered again, doubled per rejection. Default 1000. */
  nackRedeliverDelayMs?: number;
  /** Most messages one subscription holds at once; the COUNT of each read. Default 100. */
  queueDepth?: number;
  /** Handlers running at once across all subscriptions. Default 10. */
  concurrency?: number;
  /** Trim streams to about this many entries on publish (XADD MAXLEN ~); 0: no limit. */
  maxLenApprox?: number;
  /** Trim entries older than this on publish (XADD MINID ~), when maxLenApprox is not set. */
  streamTtlMs?: number;
  /** How long one blocking read waits for new entries. Default 2000. */
  blockMs?: number;
  /** How long closing waits for handlers in progress. Default 5000. */
  closeTimeoutMs?: number;
  /** A consumer of a group with nothing pending and idle this long is deleted. Default 5 minutes. */
  idleConsumerExpiryMs?: number;
  /** Start of every consumer name this broker uses; default host, pid and a random part. */
  consumerNamePrefix?: string;
  logger?: Logger;
}

/**
 * Pub/sub on Redis Streams, laid out as daprd's `pubsub.redis`: one stream per topic (the
 * topic is the key), one consumer group per `consumerGroup`, the payload in field `data`.
 * Delivery is at least once: an entry is acknowledged (XACK) only after the handler
 * resolved. Each subscription is its own named consumer, so several processes share a group
 * and a survivor claims what a dead one left pending.
 */
export class RedisStreamsBroker implements PubSubBroker {
  /** Where it points, for messages. */
  readonly target: string;
  /** The prefix of this broker's consumer names. */
  readonly instanceId: string;
  readonly #options: RedisStreamsBrokerOptions;
  readonly #commands: RedisClient;
  readonly #settings: ConsumerSettings;
  readonly #limit: ConcurrencyLimit;
  readonly #logger: Logger;
  readonly #subscriptions = new Set<StreamSubscription>();
  #sequence = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: RedisStreamsBrokerOptions, commands: RedisClient) {
    this.#options = options;
    this.#commands = commands;
    this.target = describeTarget(options);
    this.instanceId = options.consumerNamePrefix ?? instanceName();
    this.#logger = options.logger ?? silentLogger();
    this.#limit = new ConcurrencyLimit(options.concurrency ?? 10);
    this.#settings = {
      queueDepth: options.queueDepth ?? 100,
      processingTimeoutMs: options.processingTimeoutMs ?? 60_000,
      redeliverIntervalMs: options.redeliverIntervalMs ?? 15_000,
      nackRedeliverDelayMs: options.nackRedeliverDelayMs ?? 1000,
      blockMs: options.blockMs ?? 2000,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      idleConsumerExpiryMs: options.idleConsumerExpiryMs ?? 300_000,
    };
    if (!Number.isInteger(this.#settings.queueDepth) || this.#settings.queueDepth < 1) {
      throw new RangeError(`queueDepth must be a whole number of at least 1 (got ${this.#settings.queueDepth})`);
    }
  }

  /** Connects (failing within the dial timeout when Redis is unreachable) and returns the broker. */
  static async connect(options: RedisStreamsBrokerOptions): Promise<RedisStreamsBroker> {
    const commands = createRedisClient(options, { autoPipelining: true });
    const broker = new RedisStreamsBroker(options, commands);
    // A dropped connection is reported by ping() and by failing calls; ioredis reconnects by itself.
    commands.on('error', (error: Error) => broker.#logger.debug({ error: error.message }, 'redis connection error'));
    await connectRedis(commands, broker.target, options.dialTimeoutMs ?? 5000);
    return broker;
  }

  async publish(message: BrokerMessage): Promise<void> {
    this.#ensureOpen();
    try {
      await this.#commands.xadd(message.topic, ...this.#addArgs(message));
    } catch (error) {
      throw new Error(`redis streams: error from publish to ${message.topic}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** One pipeline round trip for the whole batch; each entry succeeds or fails on its own. */
  async bulkPublish(messages: BrokerMessage[]): Promise<BulkPublishFailure[]> {
    this.#ensureOpen();
    if (messages.length === 0) return [];
    const pipeline = this.#commands.pipeline();
    for (const message of messages) pipeline.xadd(message.topic, ...this.#addArgs(message));
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      const reason = `redis streams: error from publish: ${errorMessage(error)}`;
      return messages.map((_, index) => ({ index, error: reason }));
    }
    const failures: BulkPublishFailure[] = [];
    messages.forEach((message, index) => {
      const error = results?.[index]?.[0] ?? (results ? null : new Error('no reply'));
      if (error) failures.push({ index, error: `redis streams: error from publish to ${message.topic}: ${error.message}` });
    });
    return failures;
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    this.#ensureOpen();
    if (!request.topic) throw new Error('redis streams: the topic is empty');
    if (!request.consumerGroup) throw new Error('redis streams: the consumer group is empty');
    const reader = this.#readerClient();
    const subscription = new StreamSubscription({
      stream: request.topic,
      group: request.consumerGroup,
      consumer: `${this.instanceId}-${++this.#sequence}`,
      commands: this.#commands,
      reader,
      handler,
      // A bulk subscription's messages wait for their batch: its own worker limit, and room to
      // hold a whole batch, let one be handed over at once, where the shared `concurrency`
      // workers (or a smaller `queueDepth`) would cap every batch and leave it to its time limit.
      limit: request.bulk ? new ConcurrencyLimit(Math.max(this.#limit.size, request.bulk.maxMessages)) : this.#limit,
      settings: request.bulk ? { ...this.#settings, queueDepth: Math.max(this.#settings.queueDepth, request.bulk.maxMessages) } : this.#settings,
      logger: this.#logger,
      onClosed: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.#subscriptions.delete(subscription);
      reader.disconnect();
      throw new Error(`redis streams: cannot subscribe to ${request.topic} as group ${request.consumerGroup}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    return subscription;
  }

  /** Rejects, naming the server, while Redis cannot be reached. */
  async ping(): Promise<void> {
    if (this.#closing) throw new Error('redis streams: the component is closed');
    if (this.#commands.status !== 'ready') {
      throw new Error(`redis streams: ${this.target} is unreachable (connection ${this.#commands.status})`);
    }
    try {
      await this.#commands.ping();
    } catch (error) {
      throw new Error(`redis streams: ${this.target} is unreachable: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Closes every subscription (see StreamSubscription.close), then the connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
      try {
        await this.#commands.quit();
      } catch {
        this.#commands.disconnect();
      }
    })();
    return this.#closing;
  }

  #ensureOpen(): void {
    if (this.#closing) throw new Error('redis streams: the component is closed');
  }

  /** XADD's arguments after the key: trimming, auto ID, fields. */
  #addArgs(message: BrokerMessage): Array<string | number | Buffer> {
    const trim: Array<string | number> = [];
    const { maxLenApprox, streamTtlMs } = this.#options;
    if (maxLenApprox !== undefined && maxLenApprox > 0) trim.push('MAXLEN', '~', maxLenApprox);
    else if (streamTtlMs !== undefined && streamTtlMs > 0) trim.push('MINID', '~', `${Date.now() - streamTtlMs}-1`);
    return [...trim, '*', ...entryFields(message)];
  }

  /** A connection of its own per subscription: a blocking read holds its connection until it returns. */
  #readerClient(): RedisClient {
    const readTimeout = this.#options.commandTimeoutMs ?? 3000;
    const client = createRedisClient(this.#options, {
      autoPipelining: false,
      commandTimeoutMs: readTimeout > 0 ? this.#settings.blockMs + readTimeout : 0,
    });
    client.on('error', (error: Error) => this.#logger.debug({ error: error.message }, 'redis connection error (subscription reader)'));
    return client;
  }
}
