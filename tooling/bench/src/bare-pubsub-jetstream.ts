import type { BarePubSub, BarePubSubOptions } from './bare-pubsub.ts';
import { componentClientLibrary } from './component-client-library.ts';
import type { BrokerServer } from './pubsub-brokers.ts';

/** The part of the NATS v3 client the baseline uses (loaded from pubsub.jetstream's folder, untyped here). */
interface NatsConnection {
  close(): Promise<void>;
  drain(): Promise<void>;
}
interface JsMsg {
  data: Uint8Array;
  ack(): void;
}
interface ConsumerMessages extends AsyncIterable<JsMsg> {
  stop(): void;
}
interface Consumer {
  consume(options: { max_messages: number }): Promise<ConsumerMessages>;
}
interface JetStreamClient {
  publish(subject: string, data: string, options: { timeout: number }): Promise<unknown>;
  consumers: { get(stream: string, name: string): Promise<Consumer> };
}
interface JetStreamManager {
  streams: { add(config: Record<string, unknown>): Promise<unknown>; delete(name: string): Promise<boolean> };
  consumers: { add(stream: string, config: Record<string, unknown>): Promise<unknown> };
  jetstream(): JetStreamClient;
}

async function connect(server: BrokerServer): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const { connect: natsConnect } = componentClientLibrary('pubsub-jetstream', '@nats-io/transport-node') as {
    connect(options: Record<string, unknown>): Promise<NatsConnection>;
  };
  const { jetstreamManager } = componentClientLibrary('pubsub-jetstream', '@nats-io/jetstream') as {
    jetstreamManager(nc: NatsConnection, options: Record<string, unknown>): Promise<JetStreamManager>;
  };
  // noAsyncTraces as pubsub.jetstream sets it (no stack trace built for every request).
  const nc = await natsConnect({ servers: [`nats://${server.host}:${server.port}`], name: 'bench-bare', timeout: 5000, noAsyncTraces: true });
  try {
    return { nc, jsm: await jetstreamManager(nc, { timeout: 5000 }) };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/** What pubsub.jetstream pulls at most at once in its default `single` concurrency mode. */
const prefetch = 20;

/**
 * The NATS v3 JetStream client as pubsub.jetstream sets things up by default: a stream named
 * after the topic (file storage, limits retention), a durable pull consumer for the group
 * (explicit acks, deliver all, instant replay), each message published with `js.publish` and
 * resolved at the stream's acknowledgement; consumed with `consume({ max_messages: 20 })`,
 * one message at a time, each acked after the handler returned. No headers (the component
 * adds Content-Type and a Nats-Msg-Id for de-duplication).
 */
export async function openBareJetStream(options: BarePubSubOptions): Promise<BarePubSub> {
  const { server, topic, group, onMessage } = options;
  const { nc, jsm } = await connect(server);
  const js = jsm.jetstream();
  await jsm.streams.add({ name: topic, subjects: [topic], storage: 'file', retention: 'limits' });
  await jsm.consumers.add(topic, { durable_name: group, filter_subject: topic, ack_policy: 'explicit', deliver_policy: 'all', replay_policy: 'instant' });
  const consumer = await js.consumers.get(topic, group);
  const messages = await consumer.consume({ max_messages: prefetch });
  const loop = (async () => {
    for await (const message of messages) {
      onMessage(message.data);
      message.ack();
    }
  })();
  loop.catch((error: unknown) => console.error(`bare JetStream consumer stopped: ${String(error)}`));
  return {
    async publish(body) {
      await js.publish(topic, body, { timeout: 5000 });
    },
    async close() {
      messages.stop();
      await loop.catch(() => undefined);
      await nc.drain().catch(() => nc.close());
    },
  };
}

/** Deletes the run's streams; their consumers go with them. */
export async function removeObjects(server: BrokerServer, topics: readonly string[]): Promise<void> {
  const { nc, jsm } = await connect(server);
  try {
    for (const topic of topics) await jsm.streams.delete(topic).catch(() => false);
  } finally {
    await nc.close();
  }
}
