import type { Binding, BindingRequest, BindingResponse, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import { CompressionTypes, Kafka, type Admin, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import { bounded } from './bounded.ts';
import { groupAssigner } from './group-assigner.ts';
import type { KafkaBindingOptions } from './kafka-binding-options.ts';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log.ts';
import { toKafkaRecord, type RecordOptions } from './kafka-records.ts';
import { keyHashPartitioner } from './key-partitioner.ts';
import { TopicsReader } from './topics-reader.ts';

const empty: BindingResponse = { data: new Uint8Array(0), metadata: {} };

/**
 * `bindings.kafka` on kafkajs. Output: `create` sends the data to `publishTopic` through one
 * producer and returns once the brokers acknowledged it (`producerRequiredAcks`). Input: the
 * `topics` are read in `consumerGroup` by a TopicsReader, which commits a message only after
 * the handler resolved. Create it with `KafkaBinding.connect`.
 */
export class KafkaBinding implements Binding {
  readonly operations = ['create'] as const;
  readonly #options: KafkaBindingOptions;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #records: RecordOptions;
  #reader: TopicsReader | undefined;
  #reading = false;
  #closing: Promise<void> | undefined;

  private constructor(options: KafkaBindingOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#kafka = new Kafka({ ...this.#config(), retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 } });
    this.#producer = this.#kafka.producer({
      createPartitioner: keyHashPartitioner,
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: options.producerRetries ?? 5 },
      ...(options.metadataMaxAgeMs !== undefined ? { metadataMaxAge: options.metadataMaxAgeMs } : {}),
    });
    this.#admin = this.#kafka.admin();
    this.#records = {
      escapeHeaders: options.escapeHeaders ?? false,
      ...(options.excludeHeaderMetadata ? { excludeHeaderMetadata: options.excludeHeaderMetadata } : {}),
      ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
    };
  }

  /** Checks that a broker answers (quickly, naming the brokers when none does), then connects the producer. */
  static async connect(options: KafkaBindingOptions): Promise<KafkaBinding> {
    if (options.brokers.length === 0) throw new Error('metadata field "brokers" names no broker');
    const binding = new KafkaBinding(options);
    try {
      await binding.#probe();
      await Promise.all([binding.#producer.connect(), binding.#admin.connect()]);
    } catch (error) {
      await binding.close();
      throw error;
    }
    return binding;
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    if (request.operation !== 'create') throw new Error(`bindings.kafka does not support the operation "${request.operation}" (supported: create)`);
    if (this.#closing) throw new Error('the Kafka binding is closed');
    const topic = this.#options.publishTopic;
    if (!topic) throw new Error('bindings.kafka cannot publish: the component has no publishTopic');
    const record = toKafkaRecord(request, this.#records);
    await this.#producer.send({
      topic,
      messages: [record],
      acks: this.#options.acks ?? -1,
      compression: this.#options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });
    return empty;
  }

  /**
   * Joins the consumer group on the binding's topics; resolves once the start position of
   * every assigned partition is fixed. Without topics it only logs that there is nothing to read.
   */
  async read(handler: InputBindingHandler): Promise<void> {
    if (this.#closing) throw new Error('the Kafka binding is closed');
    if (this.#reading) throw new Error('the Kafka binding is already being read');
    const options = this.#options;
    const topics = options.topics ?? [];
    if (topics.length === 0) {
      this.#logger.warn('bindings.kafka has no topics: the input binding does not read');
      return;
    }
    if (!options.consumerGroup) throw new Error('metadata field "consumerGroup" is required to read topics');
    this.#reading = true;
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000;
    const reader = new TopicsReader({
      kafka: this.#kafka,
      admin: this.#admin,
      topics,
      groupId: options.consumerGroup,
      initialOffset: options.initialOffset ?? 'newest',
      consumer: {
        partitionAssigners: [groupAssigner(options.assignmentStrategy ?? 'range')],
        sessionTimeout: options.sessionTimeoutMs ?? 10_000,
        heartbeatInterval: heartbeatIntervalMs,
        maxWaitTimeInMs: 250,
        minBytes: options.fetchMinBytes ?? 1,
        maxBytesPerPartition: options.fetchMaxBytesPerPartition ?? 1_048_576,
        retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 },
        ...(options.metadataMaxAgeMs !== undefined ? { metadataMaxAge: options.metadataMaxAgeMs } : {}),
      },
      heartbeatIntervalMs,
      redeliveryDelayMs: options.redeliveryDelayMs ?? 100,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      joinTimeoutMs: 60_000,
      relaunchDelayMs: 1000,
      records: this.#records,
      handler,
      logger: this.#logger,
    });
    this.#reader = reader;
    try {
      await reader.start();
    } catch (error) {
      this.#reader = undefined;
      this.#reading = false;
      throw new Error(`cannot read topics ${topics.join(', ')} in consumer group ${options.consumerGroup}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Closes the reader (waiting, bounded, for its handlers), then the producer. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#reader?.close();
      await Promise.allSettled([this.#producer, this.#admin].map((client) => bounded(client.disconnect(), 3000)));
    })();
    return this.#closing;
  }

  #config(): KafkaConfig {
    const options = this.#options;
    const config: KafkaConfig = {
      brokers: options.brokers,
      clientId: options.clientId ?? 'mecha',
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      logLevel: kafkaLogLevel(this.#logger),
      logCreator: kafkaLogCreator(this.#logger),
    };
    if (options.ssl !== undefined) config.ssl = options.ssl;
    if (options.sasl) config.sasl = { ...options.sasl } as SASLOptions;
    if (options.socketFactory) config.socketFactory = options.socketFactory;
    return config;
  }

  /** One describe-cluster without retries, so an unreachable cluster fails the start at once. */
  async #probe(): Promise<void> {
    const timeoutMs = this.#options.pingTimeoutMs ?? 5000;
    const config = this.#config();
    const probe = new Kafka({ ...config, connectionTimeout: Math.min(config.connectionTimeout!, timeoutMs), retry: { retries: 0 } }).admin();
    try {
      await bounded(
        (async () => {
          await probe.connect();
          await probe.describeCluster();
        })(),
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`Kafka brokers ${this.#options.brokers.join(',')} are unreachable: ${errorMessage(error)}`, { cause: error });
    } finally {
      await bounded(probe.disconnect(), 1000).catch(() => {});
    }
  }
}
