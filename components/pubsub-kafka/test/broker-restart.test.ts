import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BrokerMessage } from '@mecha/pubsub';
import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBroker } from '../src/index.ts';
import { KAFKA_FAILURE, requireKafka, waitFor } from './kafka-server.ts';

// This file stops and starts kafka-failure, which other suites restart too: take turns.
let releaseService: () => void = () => {};
beforeAll(async () => {
  releaseService = await holdService('kafka-failure');
}, 15 * 60_000);
afterAll(() => releaseService());

// The private broker `kafka-failure` is stopped and started under a live subscription: ping
// must report it, and the subscription must carry on by itself, including a message it kept
// rejecting through the outage.

const ctl = path.resolve(import.meta.dirname, '../../../tooling/services/ctl.sh');
const run = promisify(execFile);
async function service(action: 'stop' | 'start'): Promise<void> {
  await run('bash', [ctl, action, 'kafka-failure'], { timeout: 120_000 });
}

let broker: KafkaBroker | undefined;
beforeAll(() => requireKafka(KAFKA_FAILURE, 'kafka-failure'));
afterAll(async () => {
  await broker?.close();
  // Leave the server up for the next run even when the test failed half-way.
  await service('start');
});

async function untilPingSucceeds(on: KafkaBroker, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await on.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('KafkaBroker across a broker restart', () => {
  it('reports the broker down through ping and resumes the subscription by itself', async () => {
    broker = await KafkaBroker.connect({
      brokers: [KAFKA_FAILURE],
      heartbeatIntervalMs: 300,
      sessionTimeoutMs: 3000,
      redeliveryDelayMs: 50,
      closeTimeoutMs: 300,
      pingTimeoutMs: 1000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    });
    const topic = `kafka-restart-${randomUUID().slice(0, 8)}`;
    const seen: string[] = [];
    let outageOver = false;
    let heldAccepted = false;
    const subscription = await broker.subscribe(
      { topic, consumerGroup: `g-${randomUUID().slice(0, 8)}`, metadata: {} },
      async (message: BrokerMessage) => {
        const body = new TextDecoder().decode(message.data);
        seen.push(body);
        // Rejected until the broker has been restarted: it must not be lost on the way.
        if (body === 'held') {
          if (!outageOver) throw new Error('not yet');
          heldAccepted = true;
        }
      },
    );
    const publish = (body: string) =>
      broker!.publish({ topic, data: new TextEncoder().encode(body), metadata: {} });
    await publish('before');
    await publish('held');
    await waitFor(
      'the first message and a rejection of the held one',
      () => seen.includes('before') && seen.includes('held'),
    );

    // A second subscription, closed while the broker is away: closing must not hang on it.
    const other = await broker.subscribe(
      { topic: `${topic}-other`, consumerGroup: `g-${randomUUID().slice(0, 8)}`, metadata: {} },
      async () => {},
    );

    await service('stop');
    await expect(broker.ping()).rejects.toThrow(/Kafka brokers 127\.0\.0\.1:9094 are unreachable/);
    const closing = other.close();

    await service('start');
    await closing;
    await untilPingSucceeds(broker, 60_000);
    outageOver = true;
    await publish('after');
    await waitFor(
      'the held message accepted and the one published after the restart',
      () => heldAccepted && seen.includes('after'),
      60_000,
    );
    expect(seen.filter((body) => body === 'before')).toHaveLength(1);
    expect(seen.filter((body) => body === 'after')).toHaveLength(1);
    await subscription.close();
  }, 180_000);
});
