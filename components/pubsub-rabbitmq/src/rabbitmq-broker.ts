import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type {
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  PubSubBroker,
  SubscribeRequest,
} from '@mecha/pubsub';
import { within } from './bounded-wait.ts';
import type { RabbitMqBrokerOptions } from './broker-options.ts';
import { bulkPrefetch } from './bulk-prefetch.ts';
import { Publisher } from './publisher.ts';
import { subscriptionTopology, type TopologySettings } from './queue-topology.ts';
import { RabbitMqConnection } from './rabbitmq-connection.ts';
import { RabbitMqSubscription, type SubscriptionSettings } from './rabbitmq-subscription.ts';

/**
 * A PubSubBroker on RabbitMQ through amqplib, laid out as daprd's `pubsub.rabbitmq` lays it
 * out: one exchange per topic, one queue per consumer group (`<consumerGroup>-<topic>`).
 * Publishes wait for publisher confirms; deliveries are acknowledged only after the handler
 * resolved. The connection, and with it every subscription, comes back by itself.
 */
export class RabbitMqBroker implements PubSubBroker {
  readonly #options: RabbitMqBrokerOptions;
  readonly #logger: Logger;
  readonly #connection: RabbitMqConnection;
  readonly #publisher: Publisher;
  readonly #topology: TopologySettings;
  readonly #subscriptions = new Set<RabbitMqSubscription>();
  #closing: Promise<void> | undefined;

  private constructor(options: RabbitMqBrokerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#connection = new RabbitMqConnection(options, this.#logger);
    this.#topology = {
      exchangeKind: options.exchangeKind ?? 'fanout',
      durable: options.durable ?? true,
      deleteWhenUnused: options.deleteWhenUnused ?? true,
      enableDeadLetter: options.enableDeadLetter ?? false,
    };
    if (options.maxLen) this.#topology.maxLen = options.maxLen;
    if (options.maxLenBytes) this.#topology.maxLenBytes = options.maxLenBytes;
    const defaults = { deliveryMode: options.deliveryMode ?? 0, ...(options.defaultTtlMs !== undefined ? { defaultTtlMs: options.defaultTtlMs } : {}) };
    this.#publisher = new Publisher(this.#connection, this.#topology, defaults, options.publishTimeoutMs ?? 30_000, this.#logger);
  }

  /** Connects (rejecting with a message naming the broker when it cannot) and returns the broker. */
  static async connect(options: RabbitMqBrokerOptions): Promise<RabbitMqBroker> {
    const broker = new RabbitMqBroker(options);
    await broker.#connection.open();
    return broker;
  }

  /** Resolves once RabbitMQ confirmed the message. Fails at once, saying why, while the broker is unreachable. */
  async publish(message: BrokerMessage): Promise<void> {
    this.#ensureOpen();
    await this.#publisher.publish(message);
  }

  /** Publishes every message on the confirm channel at once, then reports those not confirmed. */
  async bulkPublish(messages: BrokerMessage[]): Promise<BulkPublishFailure[]> {
    this.#ensureOpen();
    return this.#publisher.publishAll(messages);
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    this.#ensureOpen();
    if (!request.consumerGroup && !request.metadata['queueName']) {
      throw new Error('a consumer group (consumerID) is required for a subscription without a queueName');
    }
    const options = this.#options;
    const settings: SubscriptionSettings = {
      topic: request.topic,
      topology: subscriptionTopology(request, this.#topology),
      autoAck: options.autoAck ?? false,
      deadLetterOnReject: (options.enableDeadLetter ?? false) && !(options.requeueInFailure ?? false),
      prefetchCount: bulkPrefetch(options.prefetchCount ?? 0, request.bulk?.maxMessages),
      concurrency: options.concurrency ?? 'parallel',
      ...(request.bulk ? { bulk: request.bulk } : {}),
      publishMessagePropertiesToMetadata: options.publishMessagePropertiesToMetadata ?? false,
      reconnectWaitMs: options.reconnectWaitMs ?? 3000,
      requeueDelayMs: options.requeueDelayMs ?? 500,
      drainTimeoutMs: options.drainTimeoutMs ?? 5000,
      subscribeTimeoutMs: options.subscribeTimeoutMs ?? 60_000,
    };
    const subscription = new RabbitMqSubscription(this.#connection, settings, handler, this.#logger, (closed) =>
      this.#subscriptions.delete(closed),
    );
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.#subscriptions.delete(subscription);
      await subscription.close();
      throw error;
    }
    this.#logger.debug({ topic: request.topic, queue: subscription.queue }, 'subscribed');
    return subscription;
  }

  /**
   * Rejects while the connection is down or blocked by a resource alarm; otherwise opens
   * and closes a channel, a round trip that proves the broker answers.
   */
  async ping(): Promise<void> {
    this.#ensureOpen();
    const model = this.#connection.current();
    const blocked = this.#connection.blocked;
    if (blocked) throw new Error(blocked);
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const opening = model.createChannel();
    let timer: NodeJS.Timeout | undefined;
    try {
      // Opening and closing both bounded: a connection the broker blocks (a resource alarm
      // raised between the check above and here) is no longer read, so neither would answer.
      await Promise.race([
        opening.then((channel) => channel.close()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`RabbitMQ at ${this.#connection.display} did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      opening.then((channel) => channel.close()).catch(() => {});
      const blockedNow = this.#connection.blocked;
      if (blockedNow) throw new Error(blockedNow, { cause: error });
      if (!this.#connection.connected) throw new Error(this.#connection.lostReason(), { cause: error });
      throw new Error(`RabbitMQ at ${this.#connection.display} does not answer: ${errorMessage(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every subscription (bounded wait for handlers in progress), the publisher, then the connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
      const bound = this.#options.drainTimeoutMs ?? 5000;
      await within(this.#publisher.close(), bound);
      await within(this.#connection.close(), bound);
    })();
    return this.#closing;
  }

  #ensureOpen(): void {
    if (this.#closing) throw new Error('the RabbitMQ broker is closed');
  }
}
