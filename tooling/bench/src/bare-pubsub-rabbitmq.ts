import type { BarePubSub, BarePubSubOptions } from './bare-pubsub.ts';
import { componentClientLibrary } from './component-client-library.ts';
import type { BrokerServer } from './pubsub-brokers.ts';

/** The part of amqplib's promise API the baseline uses (loaded from pubsub.rabbitmq's folder, untyped here). */
interface Message {
  content: Buffer;
}
interface Channel {
  assertExchange(name: string, kind: string, options: Record<string, unknown>): Promise<unknown>;
  assertQueue(name: string, options: Record<string, unknown>): Promise<unknown>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  consume(queue: string, onMessage: (message: Message | null) => void, options: Record<string, unknown>): Promise<{ consumerTag: string }>;
  ack(message: Message): void;
  deleteQueue(name: string): Promise<unknown>;
  deleteExchange(name: string): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): Promise<void>;
}
interface ConfirmChannel extends Channel {
  publish(exchange: string, routingKey: string, content: Buffer, options: Record<string, unknown>, confirmed: (error: unknown) => void): boolean;
}
interface Connection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): Promise<void>;
}
interface AmqpLib {
  connect(url: string, socketOptions?: Record<string, unknown>): Promise<Connection>;
}

/** As the component connects: Nagle off (without it a lone publish waits ~40 ms for its confirm), 10 s heartbeat and connect timeout. */
function connect(server: BrokerServer): Promise<Connection> {
  const amqp = componentClientLibrary('pubsub-rabbitmq', 'amqplib') as AmqpLib;
  return amqp.connect(`amqp://guest:guest@${server.host}:${server.port}?heartbeat=10`, { noDelay: true, timeout: 10_000 });
}

/** The queue pubsub.rabbitmq declares for a consumer group, as daprd names it. */
export function rabbitQueueName(group: string, topic: string): string {
  return `${group}-${topic}`;
}

/**
 * amqplib as pubsub.rabbitmq uses it by default: a fanout exchange named after the topic
 * (durable, auto-delete), a durable auto-delete classic queue `<group>-<topic>` bound to it;
 * transient messages published on a confirm channel, each resolved at its confirm; a consumer
 * with manual acknowledgement and no prefetch limit (the component's default `prefetchCount`
 * 0), each message acknowledged after the handler returned.
 */
export async function openBareRabbitMq(options: BarePubSubOptions): Promise<BarePubSub> {
  const { server, topic, group, onMessage } = options;
  const connection = await connect(server);
  connection.on('error', () => undefined);
  const queue = rabbitQueueName(group, topic);
  const consuming = await connection.createChannel();
  consuming.on('error', () => undefined);
  await consuming.assertExchange(topic, 'fanout', { durable: true, autoDelete: true });
  await consuming.assertQueue(queue, { durable: true, autoDelete: true, exclusive: false, arguments: { 'x-queue-type': 'classic' } });
  await consuming.bindQueue(queue, topic, '');
  await consuming.consume(
    queue,
    (message) => {
      if (message === null) return;
      onMessage(message.content);
      consuming.ack(message);
    },
    { noAck: false },
  );
  const publishing = await connection.createConfirmChannel();
  publishing.on('error', () => undefined);
  return {
    publish(body) {
      return new Promise<void>((resolve, reject) => {
        publishing.publish(topic, '', Buffer.from(body), {}, (error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()));
      });
    },
    async close() {
      await connection.close().catch(() => undefined);
    },
  };
}

/**
 * Queues and exchanges are auto-delete and go with their last consumer; this deletes them
 * anyway, in case one was left (a consumer that never attached).
 */
export async function removeObjects(server: BrokerServer, topics: readonly string[], groups: readonly string[]): Promise<void> {
  const connection = await connect(server);
  connection.on('error', () => undefined);
  try {
    for (const topic of topics) {
      for (const group of groups) {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await channel.deleteQueue(rabbitQueueName(group, topic)).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await channel.deleteExchange(topic).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}
