import type { BarePubSub, BarePubSubOptions } from './bare-pubsub.ts';
import { componentClientLibrary } from './component-client-library.ts';
import type { BrokerServer } from './pubsub-brokers.ts';

/** The part of kafkajs the baseline uses (loaded from pubsub.kafka's folder, untyped here). */
interface KafkaMessage {
  offset: string;
  value: Buffer | null;
}
interface EachBatchPayload {
  batch: { topic: string; partition: number; messages: KafkaMessage[] };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(offsets: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}
interface Producer {
  connect(): Promise<void>;
  send(record: { topic: string; messages: { value: string }[]; acks: number }): Promise<unknown>;
  disconnect(): Promise<void>;
}
interface Consumer {
  connect(): Promise<void>;
  subscribe(subscription: { topic: string; fromBeginning: boolean }): Promise<void>;
  run(config: { autoCommit: boolean; eachBatchAutoResolve: boolean; partitionsConsumedConcurrently: number; eachBatch(payload: EachBatchPayload): Promise<void> }): Promise<void>;
  on(event: string, listener: (event: unknown) => void): unknown;
  events: { GROUP_JOIN: string; CRASH: string };
  disconnect(): Promise<void>;
}
interface Admin {
  connect(): Promise<void>;
  createTopics(options: { topics: { topic: string }[]; waitForLeaders: boolean }): Promise<boolean>;
  deleteTopics(options: { topics: string[] }): Promise<void>;
  deleteGroups(groups: string[]): Promise<unknown>;
  disconnect(): Promise<void>;
}
interface Kafka {
  producer(config: Record<string, unknown>): Producer;
  consumer(config: Record<string, unknown>): Consumer;
  admin(): Admin;
}
interface KafkaJs {
  Kafka: new (config: Record<string, unknown>) => Kafka;
  Partitioners: { DefaultPartitioner: unknown };
  logLevel: { NOTHING: number };
}

const retry = { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 };

function kafkaClient(server: BrokerServer): Kafka {
  const { Kafka, logLevel } = componentClientLibrary('pubsub-kafka', 'kafkajs') as KafkaJs;
  return new Kafka({
    brokers: [`${server.host}:${server.port}`],
    clientId: 'bench-bare',
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry,
    logLevel: logLevel.NOTHING,
  });
}

/**
 * kafkajs as pubsub.kafka uses it: a producer sending each message on its own with acks -1
 * (all in-sync replicas), no compression, the default partitioner (no key: round robin over
 * the topic's partitions); the topic created with the cluster's default partitions; a consumer
 * in its own group with the component's fetch settings (max wait 500 ms, min 1 byte, 1 MiB per
 * partition), up to 16 partitions handled at once, each partition's messages one at a time,
 * and the offset past the handled messages committed at the end of each batch (no auto-commit).
 */
export async function openBareKafka(options: BarePubSubOptions): Promise<BarePubSub> {
  const { server, topic, group, onMessage } = options;
  const { Partitioners } = componentClientLibrary('pubsub-kafka', 'kafkajs') as KafkaJs;
  const kafka = kafkaClient(server);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry });
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 500,
    minBytes: 1,
    maxBytesPerPartition: 1_048_576,
    retry,
  });
  const joined = new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    consumer.on(consumer.events.CRASH, (event) => reject(new Error(`the kafkajs consumer crashed: ${JSON.stringify(event)}`)));
  });
  await Promise.all([producer.connect(), consumer.connect()]);
  // A new group with no committed offsets: from the beginning, so nothing published after the topic was made is missed.
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 16,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      let last: string | undefined;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        if (message.value) onMessage(message.value);
        resolveOffset(message.offset);
        last = message.offset;
      }
      if (last !== undefined) {
        await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }] });
      }
      await heartbeat();
    },
  });
  await joined;
  return {
    async publish(body) {
      await producer.send({ topic, messages: [{ value: body }], acks: -1 });
    },
    async close() {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    },
  };
}

/** Deletes the run's consumer groups, then its topics. */
export async function removeObjects(server: BrokerServer, topics: readonly string[], groups: readonly string[]): Promise<void> {
  const admin = kafkaClient(server).admin();
  await admin.connect();
  try {
    if (groups.length > 0) await admin.deleteGroups([...groups]).catch(() => undefined);
    if (topics.length > 0) await admin.deleteTopics({ topics: [...topics] });
  } finally {
    await admin.disconnect();
  }
}
