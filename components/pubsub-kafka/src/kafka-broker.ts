import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type {
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  PubSubBroker,
  SubscribeRequest,
} from '@mecha/pubsub';
import {
  CompressionTypes,
  Kafka,
  Partitioners,
  type Admin,
  type KafkaConfig,
  type Message,
  type Producer,
  type SASLOptions,
  type TopicMessages,
} from 'kafkajs';
import type { KafkaBrokerOptions } from './kafka-broker-options.ts';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log.ts';
import { subscriptionAwareAssigner } from './kafka-assigner.ts';
import { KafkaSubscription } from './kafka-subscription.ts';
import { withTimeout } from './with-timeout.ts';
import { refuseSchema, toKafkaMessage, type CodecOptions } from './message-codec.ts';

/**
 * `pubsub.kafka` on kafkajs. Publishing goes through one producer; each
 * subscription is its own consumer in the group (see KafkaSubscription for how offsets,
 * redelivery and reconnection work). Create it with `KafkaBroker.connect`.
 */
export class KafkaBroker implements PubSubBroker {
  readonly #options: KafkaBrokerOptions;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  /** A client that never retries, so `ping` answers as soon as a broker refuses. */
  readonly #probe: Kafka;
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #probeAdmin: Admin;
  readonly #codec: CodecOptions;
  readonly #subscriptions = new Set<KafkaSubscription>();
  #closing: Promise<void> | undefined;

  private constructor(options: KafkaBrokerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    const reconnect = reconnectDelays(options);
    const common: KafkaConfig = {
      brokers: options.brokers,
      clientId: options.clientId ?? 'mecha',
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      logLevel: kafkaLogLevel(this.#logger),
      logCreator: kafkaLogCreator(this.#logger),
    };
    if (options.ssl !== undefined) common.ssl = options.ssl;
    if (options.sasl) common.sasl = { ...options.sasl } as SASLOptions;
    this.#kafka = new Kafka({
      ...common,
      retry: {
        initialRetryTime: reconnect.initialDelayMs,
        maxRetryTime: reconnect.maxDelayMs,
        retries: 5,
      },
    });
    const pingTimeout = options.pingTimeoutMs ?? 3000;
    this.#probe = new Kafka({
      ...common,
      connectionTimeout: Math.min(common.connectionTimeout!, pingTimeout),
      requestTimeout: Math.max(pingTimeout, 1),
      retry: { retries: 0 },
    });
    this.#producer = this.#kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: {
        initialRetryTime: reconnect.initialDelayMs,
        maxRetryTime: reconnect.maxDelayMs,
        retries: options.producerRetries ?? 5,
      },
      ...(options.metadataMaxAgeMs !== undefined
        ? { metadataMaxAge: options.metadataMaxAgeMs }
        : {}),
    });
    this.#admin = this.#kafka.admin();
    this.#probeAdmin = this.#probe.admin();
    this.#codec = {
      escapeHeaders: options.escapeHeaders ?? false,
      ...(options.excludeHeaderMetadata
        ? { excludeHeaderMetadata: options.excludeHeaderMetadata }
        : {}),
      ...(options.maxMessageBytes !== undefined
        ? { maxMessageBytes: options.maxMessageBytes }
        : {}),
    };
  }

  /** Connects (failing fast, with the brokers named, when none answers) and returns the broker. */
  static async connect(options: KafkaBrokerOptions): Promise<KafkaBroker> {
    if (options.brokers.length === 0) throw new Error('no Kafka brokers given');
    const broker = new KafkaBroker(options);
    try {
      await broker.ping();
      await Promise.all([broker.#producer.connect(), broker.#admin.connect()]);
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  async publish(message: BrokerMessage): Promise<void> {
    this.#ensureOpen();
    await this.#producer.send({
      topic: message.topic,
      messages: [toKafkaMessage(message, this.#codec)],
      ...this.#sendOptions(),
    });
  }

  /**
   * One produce request for the whole batch. Entries the component refuses (bad
   * `partitionNumber`, too large) are reported as failures and the rest is sent; a failed
   * request fails every entry it carried (Kafka may still have stored some of them).
   */
  async bulkPublish(messages: BrokerMessage[]): Promise<BulkPublishFailure[]> {
    this.#ensureOpen();
    const failures: BulkPublishFailure[] = [];
    const sent: number[] = [];
    const byTopic = new Map<string, Message[]>();
    for (const [index, message] of messages.entries()) {
      let record: Message;
      try {
        record = toKafkaMessage(message, this.#codec);
      } catch (error) {
        failures.push({ index, error: errorMessage(error) });
        continue;
      }
      const records = byTopic.get(message.topic) ?? [];
      records.push(record);
      byTopic.set(message.topic, records);
      sent.push(index);
    }
    if (sent.length === 0) return failures;
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, records]) => ({
      topic,
      messages: records,
    }));
    try {
      await this.#producer.sendBatch({ topicMessages, ...this.#sendOptions() });
    } catch (error) {
      const reason = errorMessage(error);
      for (const index of sent) failures.push({ index, error: reason });
      failures.sort((a, b) => a.index - b.index);
    }
    return failures;
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    this.#ensureOpen();
    refuseSchema(request.metadata);
    const groupId = this.#options.consumerGroup || request.consumerGroup;
    if (!groupId)
      throw new Error('a Kafka subscription needs a consumer group (consumerGroup or consumerID)');
    await this.#ensureTopic(request.topic);
    const options = this.#options;
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000;
    const reconnect = reconnectDelays(options);
    const subscription = new KafkaSubscription({
      kafka: this.#kafka,
      admin: this.#admin,
      topic: request.topic,
      groupId,
      initialOffset: options.initialOffset ?? 'newest',
      consumer: {
        partitionAssigners: [subscriptionAwareAssigner(options.assignmentStrategy ?? 'range')],
        sessionTimeout: options.sessionTimeoutMs ?? 10_000,
        heartbeatInterval: heartbeatIntervalMs,
        maxWaitTimeInMs: options.fetchMaxWaitMs ?? 250,
        minBytes: options.fetchMinBytes ?? 1,
        maxBytesPerPartition: options.fetchMaxBytesPerPartition ?? 1_048_576,
        retry: {
          initialRetryTime: reconnect.initialDelayMs,
          maxRetryTime: reconnect.maxDelayMs,
          retries: 5,
        },
        ...(options.metadataMaxAgeMs !== undefined
          ? { metadataMaxAge: options.metadataMaxAgeMs }
          : {}),
      },
      heartbeatIntervalMs,
      ...(request.bulk ? { bulk: request.bulk } : {}),
      redeliveryDelayMs: options.redeliveryDelayMs ?? 100,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      joinTimeoutMs: options.joinTimeoutMs ?? 60_000,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 16,
      reconnect,
      codec: this.#codec,
      handler,
      logger: this.#logger,
    });
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.#subscriptions.delete(subscription);
      throw error;
    }
    return {
      close: async () => {
        await subscription.close();
        this.#subscriptions.delete(subscription);
      },
    };
  }

  /** Asks the cluster for its brokers, without retries, within `pingTimeoutMs`. */
  async ping(): Promise<void> {
    const timeoutMs = this.#options.pingTimeoutMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          await this.#probeAdmin.connect();
          await this.#probeAdmin.describeCluster();
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      // A fresh connection next time, rather than a half-open one.
      await withTimeout(this.#probeAdmin.disconnect(), 1000).catch(() => {});
      throw new Error(
        `Kafka brokers ${this.#options.brokers.join(',')} are unreachable: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every subscription (each waiting, bounded, for its handlers), then the clients. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(
        [...this.#subscriptions].map((subscription) => subscription.close()),
      );
      this.#subscriptions.clear();
      await Promise.allSettled(
        [this.#producer, this.#admin, this.#probeAdmin].map((client) =>
          withTimeout(client.disconnect(), 3000),
        ),
      );
    })();
    return this.#closing;
  }

  #ensureOpen(): void {
    if (this.#closing) throw new Error('the Kafka pub/sub component is closed');
  }

  #sendOptions(): { acks: number; compression: CompressionTypes } {
    return {
      acks: this.#options.acks ?? -1,
      compression:
        this.#options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    };
  }

  /** Subscribing creates a missing topic (with the cluster's default partitions) first. */
  async #ensureTopic(topic: string): Promise<void> {
    try {
      await this.#admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    } catch (error) {
      // The cluster may forbid creating topics; that is fine when the topic exists.
      const exists = await this.#admin.fetchTopicMetadata({ topics: [topic] }).then(
        () => true,
        () => false,
      );
      if (!exists)
        throw new Error(
          `topic ${topic} does not exist and could not be created: ${errorMessage(error)}`,
          { cause: error },
        );
      this.#logger.debug(
        { topic, error: errorMessage(error) },
        'could not create the topic; it exists',
      );
    }
  }
}

function reconnectDelays(options: KafkaBrokerOptions): {
  initialDelayMs: number;
  maxDelayMs: number;
} {
  return {
    initialDelayMs: options.reconnect?.initialDelayMs ?? 300,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
  };
}
