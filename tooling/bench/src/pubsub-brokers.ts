import type { ComponentSpec } from './component-files.ts';

/**
 * The message brokers of the pub/sub sections: the servers `bash tooling/services/up.sh redis
 * kafka rabbitmq mosquitto nats` starts on loopback, or others named by the environment. Each
 * section measures one broker: through mechad with its Dapr component, and with the broker's
 * own client library (see `bare-pubsub.ts`).
 */
export type BrokerKind = 'redis' | 'kafka' | 'rabbitmq' | 'mqtt' | 'jetstream';

export const brokerKinds: readonly BrokerKind[] = ['redis', 'kafka', 'rabbitmq', 'mqtt', 'jetstream'];

export interface BrokerServer {
  kind: BrokerKind;
  host: string;
  port: number;
}

interface BrokerFacts {
  /** For the report: the broker and the client library the baseline calls. */
  server: string;
  client: string;
  /** The `tooling/services` name that starts it. */
  service: string;
  /** Environment variable naming another `host:port`, and the default. */
  env: string;
  address: string;
  /** The component package whose folder the client library is loaded from. */
  component: string;
  /** What the bare baseline does, for the table's title. */
  baseline: string;
}

export const brokerFacts: Record<BrokerKind, BrokerFacts> = {
  redis: {
    server: 'Redis Streams',
    client: 'ioredis',
    service: 'redis',
    env: 'MECHA_BENCH_REDIS',
    address: '127.0.0.1:6379',
    component: 'pubsub-redis',
    baseline: 'XADD (auto-pipelined); XREADGROUP COUNT 100 BLOCK 2 s on its own connection; XACK after handling',
  },
  kafka: {
    server: 'Kafka',
    client: 'kafkajs',
    service: 'kafka',
    env: 'MECHA_BENCH_KAFKA',
    address: '127.0.0.1:9092',
    component: 'pubsub-kafka',
    baseline: 'producer.send of each message (acks -1, default partitioner, topic with the cluster default partitions); consumer eachBatch, 16 partitions at once, offsets committed after handling, per batch',
  },
  rabbitmq: {
    server: 'RabbitMQ',
    client: 'amqplib',
    service: 'rabbitmq',
    env: 'MECHA_BENCH_RABBITMQ',
    address: '127.0.0.1:5672',
    component: 'pubsub-rabbitmq',
    baseline: 'publish on a confirm channel to a fanout exchange (transient); consume from a durable queue, no prefetch limit, manual ack after handling',
  },
  mqtt: {
    server: 'MQTT (Mosquitto)',
    client: 'mqtt.js',
    service: 'mosquitto',
    env: 'MECHA_BENCH_MQTT',
    address: '127.0.0.1:1883',
    component: 'pubsub-mqtt3',
    baseline: 'QoS 1 publish resolved at PUBACK; QoS 1 shared subscription $share/<group>/<topic> on a persistent session, PUBACK after handling',
  },
  jetstream: {
    server: 'NATS JetStream',
    client: '@nats-io/jetstream',
    service: 'nats',
    env: 'MECHA_BENCH_NATS',
    address: '127.0.0.1:4222',
    component: 'pubsub-jetstream',
    baseline: 'js.publish resolved at the stream ack; durable pull consumer, consume({ max_messages: 20 }), one message at a time, ack after handling; noAsyncTraces as the component',
  },
};

export function brokerServer(kind: BrokerKind): BrokerServer {
  const address = process.env[brokerFacts[kind].env] || brokerFacts[kind].address;
  const at = address.lastIndexOf(':');
  return { kind, host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** The pub/sub component's name in mechad, and the name the app's subscription uses. */
export const pubsubName = 'pubsub';

/**
 * What the bench changes from the component's defaults, as a user tuning for throughput would:
 * the Dapr settings that bound how many messages the component hands to the app at once, set
 * to the in-flight window the bare client has (`window`, the largest `--inflight`). With the
 * defaults, `pubsub.redis` hands over 10 at a time (`concurrency`) and `pubsub.jetstream` one
 * (`concurrency: single`), while the bare client's handler returns at once, so a window it
 * does not have would bound the mechad row by the app's round trip. The components' own
 * defaults (Dapr's) are unchanged. Kafka (one message at a time per partition), RabbitMQ
 * (`prefetchCount` 0, parallel) and MQTT (the broker's in-flight window) already match the
 * bare client, so they keep their defaults.
 */
export function brokerTuning(kind: BrokerKind, window: number): Record<string, string> {
  switch (kind) {
    case 'redis':
      return { concurrency: String(Math.max(window, 1)) };
    case 'jetstream':
      return { concurrency: 'parallel' };
    default:
      return {};
  }
}

/** The tuning as the table title shows it: `concurrency: 64`, or `defaults`. */
export function describeTuning(kind: BrokerKind, window: number): string {
  const tuning = Object.entries(brokerTuning(kind, window));
  return tuning.length === 0 ? 'component defaults' : `component defaults except ${tuning.map(([name, value]) => `${name}: ${value}`).join(', ')}`;
}

/**
 * The component mechad loads for a section, as a Dapr user writes it. `group` is the consumer
 * group of the run (its own, so nothing left from an earlier run is delivered), `consumerID`
 * for most brokers, `consumerGroup` for Kafka, as Dapr names them. Everything else stays at the
 * component's defaults, which the bare baseline copies, except `brokerTuning(kind, window)`.
 */
export function brokerComponent(server: BrokerServer, group: string, window: number): ComponentSpec {
  const at = `${server.host}:${server.port}`;
  const metadata: Record<BrokerKind, Record<string, string>> = {
    redis: { redisHost: at, redisPassword: '', consumerID: group },
    kafka: { brokers: at, consumerGroup: group, authType: 'none', initialOffset: 'newest' },
    rabbitmq: { connectionString: `amqp://guest:guest@${at}`, consumerID: group },
    mqtt: { url: `tcp://${at}`, qos: '1', consumerID: group },
    jetstream: { natsURL: `nats://${at}`, consumerID: group },
  };
  const type: Record<BrokerKind, string> = {
    redis: 'pubsub.redis',
    kafka: 'pubsub.kafka',
    rabbitmq: 'pubsub.rabbitmq',
    mqtt: 'pubsub.mqtt3',
    jetstream: 'pubsub.jetstream',
  };
  return { name: pubsubName, type: type[server.kind], metadata: { ...metadata[server.kind], ...brokerTuning(server.kind, window) } };
}
