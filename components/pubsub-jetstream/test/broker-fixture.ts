import { randomUUID } from 'node:crypto';
import { afterAll, afterEach } from 'vitest';
import { JetStreamBroker, type JetStreamBrokerOptions } from '../src/index.ts';
import { streamNameForTopic } from '../src/jetstream-names.ts';
import { deleteStreams } from './jetstream-admin.ts';

/**
 * Brokers with short timings for tests, closed after each test; the streams of the topics
 * handed out are deleted after the file.
 */
export function brokerFixture(url: () => string) {
  const open: JetStreamBroker[] = [];
  const streams = new Set<string>();

  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((broker) => broker.close()));
  });
  afterAll(async () => {
    await deleteStreams(url(), streams);
  });

  return {
    async broker(options: Partial<JetStreamBrokerOptions> = {}): Promise<JetStreamBroker> {
      const broker = await JetStreamBroker.connect({
        servers: [url()],
        redeliveryDelayMs: 50,
        closeTimeoutMs: 300,
        reconnectWaitMs: 100,
        requestTimeoutMs: 2000,
        pingTimeoutMs: 1000,
        ...options,
      });
      open.push(broker);
      return broker;
    },
    /** A topic of its own for one test, whose stream is cleaned up. */
    topic(label: string): string {
      const topic = `mecha-test.${label}.${randomUUID().slice(0, 8)}`;
      streams.add(streamNameForTopic(topic));
      return topic;
    },
    /** Registers a stream name for clean-up. */
    stream(name: string): string {
      streams.add(name);
      return name;
    },
  };
}
