import type { BrokerKind, BrokerServer } from './pubsub-brokers.ts';

/**
 * A broker's own client library publishing and consuming directly, in one process: the
 * baseline of the pub/sub sections. Each implementation copies the settings mechad's
 * component uses by default (consumer group, prefetch or read size, acknowledgement after
 * handling, publish confirmation), with nothing on top.
 */
export interface BarePubSub {
  /** Publishes one message; resolves once the broker confirmed it (as the component's publish does). */
  publish(body: string): Promise<void>;
  /** Stops consuming and closes the connections. */
  close(): Promise<void>;
}

export interface BarePubSubOptions {
  server: BrokerServer;
  topic: string;
  /** The consumer group (queue, durable consumer, shared-subscription group) of the run. */
  group: string;
  /**
   * The handler: called for each message the consumer is handed, synchronously; the message
   * is acknowledged only after it returned.
   */
  onMessage(payload: Uint8Array): void;
}

/** Resolves once the subscription is in place: a message published after that is delivered. */
export async function openBarePubSub(options: BarePubSubOptions): Promise<BarePubSub> {
  switch (options.server.kind) {
    case 'redis':
      return (await import('./bare-pubsub-redis.ts')).openBareRedisStreams(options);
    case 'kafka':
      return (await import('./bare-pubsub-kafka.ts')).openBareKafka(options);
    case 'rabbitmq':
      return (await import('./bare-pubsub-rabbitmq.ts')).openBareRabbitMq(options);
    case 'mqtt':
      return (await import('./bare-pubsub-mqtt.ts')).openBareMqtt(options);
    case 'jetstream':
      return (await import('./bare-pubsub-jetstream.ts')).openBareJetStream(options);
  }
}

/**
 * Removes what a run left on the shared broker: its streams, topics, queues, consumer groups
 * (mechad's and the baseline's), so repeated runs do not pile data up. Errors are reported
 * by the caller and do not fail the run.
 */
export async function removeBrokerObjects(server: BrokerServer, topics: readonly string[], groups: readonly string[]): Promise<void> {
  const modules: Record<BrokerKind, () => Promise<{ removeObjects(server: BrokerServer, topics: readonly string[], groups: readonly string[]): Promise<void> }>> = {
    redis: () => import('./bare-pubsub-redis.ts'),
    kafka: () => import('./bare-pubsub-kafka.ts'),
    rabbitmq: () => import('./bare-pubsub-rabbitmq.ts'),
    mqtt: () => import('./bare-pubsub-mqtt.ts'),
    jetstream: () => import('./bare-pubsub-jetstream.ts'),
  };
  await (await modules[server.kind]()).removeObjects(server, topics, groups);
}
