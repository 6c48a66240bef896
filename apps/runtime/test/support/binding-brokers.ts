import { createRequire } from 'node:module';
import { reachable } from '../backends/backends.ts';
import { component } from '../backends/brokers.ts';

/**
 * The real brokers behind the input-binding suite, each with the Dapr component file a Dapr
 * user writes for its binding and a plain client of the broker (the very library the component
 * uses, reached through the component's package, since it is not this package's dependency).
 * A queue or topic is made per suite, as a Dapr user makes theirs before starting the app.
 */
export interface BindingBroker {
  name: 'rabbitmq' | 'kafka' | 'sqs';
  /** Dapr's component type. */
  type: string;
  /** What `bash tooling/services/up.sh <service>` calls it. */
  service: string;
  /** Whether one reader gets the events in the order they were written (an SQS standard queue does not promise it). */
  ordered: boolean;
  /** Makes a fresh queue or topic for one suite; fails naming the server and up.sh when it is down. */
  open(run: string): Promise<BrokerQueue>;
}

export interface BrokerQueue {
  /** The component file of a binding named `name` reading from and sending to this queue. */
  componentYaml(name: string): string;
  /** Puts a message straight into the broker, as some other producer would. */
  produce(body: string): Promise<void>;
  /**
   * True once the broker holds nothing the binding has not acknowledged. RabbitMQ does not
   * show unacknowledged messages until their consumer is gone, so ask it after the sidecar stopped.
   */
  settled(): Promise<boolean>;
  /** What `settled` last saw, for a failure message. */
  describe(): Promise<string>;
  close(): Promise<void>;
}

const env = (name: string, fallback: string) => process.env[name] || fallback;

/** The library `name` as the component `pkg` loads it. Typed loosely by the callers: it is not this package's dependency. */
function fromComponent(pkg: string, name: string): unknown {
  return createRequire(new URL(import.meta.resolve(pkg)))(name);
}

async function requireServer(service: string, address: string): Promise<void> {
  if (!(await reachable(address))) {
    throw new Error(`${service} is not reachable at ${address}: start it with \`bash tooling/services/up.sh ${service}\``);
  }
}

interface AmqpChannel {
  assertQueue(queue: string, options: object): Promise<unknown>;
  sendToQueue(queue: string, content: Buffer, options: object): boolean;
  waitForConfirms(): Promise<void>;
  checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
  deleteQueue(queue: string): Promise<unknown>;
}
interface AmqpConnection {
  createConfirmChannel(): Promise<AmqpChannel>;
  close(): Promise<void>;
}

const rabbitmq: BindingBroker = {
  name: 'rabbitmq',
  type: 'bindings.rabbitmq',
  service: 'rabbitmq',
  ordered: true,
  async open(run) {
    const url = env('MECHA_TEST_RABBITMQ', 'amqp://guest:guest@127.0.0.1:5672');
    await requireServer('rabbitmq', /@([^/]+)/.exec(url)?.[1] ?? url);
    const amqp = fromComponent('@mecha/bindings-rabbitmq', 'amqplib') as { connect(url: string): Promise<AmqpConnection> };
    const connection = await amqp.connect(url);
    const channel = await connection.createConfirmChannel();
    const queue = `bindings-${run}`;
    // Declared as the component declares it (durable), so the component's own declaration agrees.
    await channel.assertQueue(queue, { durable: true });
    let last = '';
    return {
      componentYaml: (name) => component(name, 'bindings.rabbitmq', { host: url, queueName: queue, durable: 'true', reconnectWaitInSeconds: '1' }),
      async produce(body) {
        channel.sendToQueue(queue, Buffer.from(body), { persistent: true, contentType: 'application/json' });
        await channel.waitForConfirms();
      },
      async settled() {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        last = `queue ${queue}: ${messageCount} messages ready, ${consumerCount} consumers`;
        return messageCount === 0 && consumerCount === 0;
      },
      describe: async () => last,
      async close() {
        await channel.deleteQueue(queue).catch(() => undefined);
        await connection.close().catch(() => undefined);
      },
    };
  },
};

interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(options: object): Promise<boolean>;
  deleteTopics(options: object): Promise<void>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string }[]>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<{ partitions: { partition: number; offset: string }[] }[]>;
}
interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: { value: string }[] }): Promise<unknown>;
}
interface KafkaClient {
  admin(): KafkaAdmin;
  producer(): KafkaProducer;
}

const kafka: BindingBroker = {
  name: 'kafka',
  type: 'bindings.kafka',
  service: 'kafka',
  ordered: true,
  async open(run) {
    const brokers = env('MECHA_TEST_KAFKA', '127.0.0.1:9092');
    await requireServer('kafka', brokers.split(',')[0]!);
    const kafkajs = fromComponent('@mecha/bindings-kafka', 'kafkajs') as {
      Kafka: new (config: object) => KafkaClient;
      logLevel: { NOTHING: number };
    };
    const client = new kafkajs.Kafka({ brokers: brokers.split(','), clientId: `bindings-brokers-${run}`, logLevel: kafkajs.logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    const topic = `bindings-${run}`;
    const group = `bindings-${run}`;
    // One partition: the events of a suite keep one order, so "came back" and "came after" mean something.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = client.producer();
    await producer.connect();
    let last = '';
    return {
      componentYaml: (name) =>
        component(name, 'bindings.kafka', {
          brokers,
          topics: topic,
          consumerGroup: group,
          publishTopic: topic,
          authType: 'none',
          // A killed member's partitions go to the next one after this long (Kafka's minimum).
          sessionTimeout: '6s',
          heartbeatInterval: '1s',
        }),
      async produce(body) {
        await producer.send({ topic, messages: [{ value: body }] });
      },
      async settled() {
        const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
        last = `topic ${topic}: end offsets ${JSON.stringify(ends.map((e) => e.high))}, group ${group} committed ${JSON.stringify(committed?.partitions.map((p) => p.offset))}`;
        // A partition nothing was written to has nothing to commit (the group's offset stays -1).
        return ends.every((end) => end.high === '0' || committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
      },
      describe: async () => last,
      async close() {
        await producer.disconnect().catch(() => undefined);
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      },
    };
  },
};

interface SqsSdk {
  SQSClient: new (config: object) => { send(command: object): Promise<Record<string, unknown>>; destroy(): void };
  CreateQueueCommand: new (input: object) => object;
  SendMessageCommand: new (input: object) => object;
  GetQueueAttributesCommand: new (input: object) => object;
  DeleteQueueCommand: new (input: object) => object;
}

const sqs: BindingBroker = {
  name: 'sqs',
  type: 'bindings.aws.sqs',
  service: 'sqs',
  ordered: false,
  async open(run) {
    const endpoint = env('MECHA_TEST_SQS_ENDPOINT', 'http://127.0.0.1:9324');
    await requireServer('sqs', new URL(endpoint).host);
    const sdk = fromComponent('@mecha/bindings-aws-sqs', '@aws-sdk/client-sqs') as SqsSdk;
    const credentials = { accessKey: 'mechatest', secretKey: 'mechatest' };
    const client = new sdk.SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey } });
    const queue = `bindings-${run}`;
    // A short visibility timeout: SQS hands a message nobody deleted out again after it, and
    // that is the only way a message the app did not take (or a dead reader held) comes back.
    const created = await client.send(new sdk.CreateQueueCommand({ QueueName: queue, Attributes: { VisibilityTimeout: '2' } }));
    const queueUrl = created['QueueUrl'] as string;
    let last = '';
    return {
      componentYaml: (name) => component(name, 'bindings.aws.sqs', { queueName: queue, region: 'us-east-1', endpoint, ...credentials }),
      async produce(body) {
        await client.send(new sdk.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      },
      async settled() {
        const output = await client.send(
          new sdk.GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        );
        const attributes = (output['Attributes'] ?? {}) as Record<string, string>;
        last = `queue ${queue}: ${attributes['ApproximateNumberOfMessages']} visible, ${attributes['ApproximateNumberOfMessagesNotVisible']} in flight`;
        return attributes['ApproximateNumberOfMessages'] === '0' && attributes['ApproximateNumberOfMessagesNotVisible'] === '0';
      },
      describe: async () => last,
      async close() {
        await client.send(new sdk.DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
        client.destroy();
      },
    };
  },
};

export const bindingBrokers: readonly BindingBroker[] = [rabbitmq, kafka, sqs];
