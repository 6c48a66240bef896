import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BrokerMessage } from '@mecha/pubsub';
import { Redis } from 'ioredis';
import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamsBroker } from '../src/index.ts';

// This file stops and starts redis-volatile, which other suites restart too: take turns.
let releaseService: () => void = () => {};
beforeAll(async () => {
  releaseService = await holdService('redis-volatile');
}, 15 * 60_000);
afterAll(() => releaseService());

/**
 * The real thing the DEL and proxy tests imitate: the `redis-volatile` server (no persistence)
 * stopped and started again, so every stream and consumer group is gone. Only suites testing
 * failures use that server (see tooling/services/README.md).
 */
const volatile = process.env.MECHA_TEST_REDIS_VOLATILE ?? '127.0.0.1:6391';
const host = volatile.slice(0, volatile.lastIndexOf(':'));
const port = Number(volatile.slice(volatile.lastIndexOf(':') + 1));
const ctl = fileURLToPath(new URL('../../../tooling/services/ctl.sh', import.meta.url));
const run = promisify(execFile);

async function reachable(): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function succeeds(action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch {
    return false;
  }
}

describe('pubsub.redis and a Redis restart that loses everything', () => {
  let broker: RedisStreamsBroker | undefined;
  afterAll(async () => {
    await broker?.close();
    // Leave the server up for whoever runs next, whatever happened here.
    if (!(await reachable())) await run('bash', [ctl, 'start', 'redis-volatile']);
  });

  it('recovers its subscription by itself, and ping reports the outage while it lasts', async () => {
    if (!(await reachable())) {
      throw new Error(
        `the Redis without persistence is not reachable at ${volatile} (set MECHA_TEST_REDIS_VOLATILE to use another address); start it with \`bash tooling/services/up.sh redis-volatile\``,
      );
    }
    const topic = `pubsub-redis-volatile-${randomUUID().slice(0, 8)}`;
    broker = await RedisStreamsBroker.connect({ host: volatile, processingTimeoutMs: 1000, redeliverIntervalMs: 200, blockMs: 500 });
    const b = broker;
    const seen: string[] = [];
    await b.subscribe({ topic, consumerGroup: 'app', metadata: {} }, async (m: BrokerMessage) => {
      seen.push(new TextDecoder().decode(m.data));
    });
    const message = (text: string): BrokerMessage => ({ topic, data: new TextEncoder().encode(text), metadata: {} });
    await b.publish(message('before'));
    await until('the first delivery', () => seen.length === 1);

    await run('bash', [ctl, 'stop', 'redis-volatile']);
    await until('ping to fail', async () => !(await succeeds(() => b.ping())));
    await expect(b.ping()).rejects.toThrow(volatile);
    await expect(b.publish(message('while down'))).rejects.toThrow(/publish/);

    await run('bash', [ctl, 'start', 'redis-volatile']);
    await until('ping to succeed again', () => succeeds(() => b.ping()));
    const admin = new Redis({ host, port });
    try {
      await until('a publish to succeed', () => succeeds(() => b.publish(message('after'))));
      await until('the delivery after the restart', () => seen.includes('after'));
      expect(seen).toEqual(['before', 'after']);
      // The restart really lost the stream: only what was published since is there.
      expect((await admin.xrange(topic, '-', '+')).map(([, fields]) => fields[1])).toEqual(['after']);
      expect(((await admin.xinfo('GROUPS', topic)) as unknown[][]).map((group) => group[1])).toEqual(['app']);
      // Closed first: a live subscription would create the stream again (that is the point of it).
      await b.close();
      await admin.del(topic);
    } finally {
      admin.disconnect();
    }
  });
});
