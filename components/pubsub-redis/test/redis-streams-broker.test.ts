import { randomUUID } from 'node:crypto';
import type { BrokerMessage, BrokerSubscription, MessageHandler } from '@mecha/pubsub';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamsBroker, type RedisStreamsBrokerOptions } from '../src/index.ts';
import { adminClient, killConnections, requireTestRedis, testRedis } from './fixtures/test-redis.ts';
import { TcpProxy } from './fixtures/tcp-proxy.ts';

const run = randomUUID().slice(0, 8);
let admin: Redis;
const streams = new Set<string>();
const brokers: RedisStreamsBroker[] = [];
let connections = 0;

function topic(label: string): string {
  const name = `pubsub-redis-test-${label}-${run}-${randomUUID().slice(0, 6)}`;
  streams.add(name);
  return name;
}

/** A broker with quick claim timings; its connections are named so a test can cut exactly them. */
async function broker(options: Partial<RedisStreamsBrokerOptions> = {}): Promise<RedisStreamsBroker> {
  const created = await RedisStreamsBroker.connect({
    host: testRedis,
    processingTimeoutMs: 1000,
    redeliverIntervalMs: 200,
    nackRedeliverDelayMs: 20,
    closeTimeoutMs: 300,
    blockMs: 500,
    connectionName: `pubsub-redis-test-${run}-${++connections}`,
    ...options,
  });
  brokers.push(created);
  return created;
}

function message(text: string | Uint8Array, topicName: string, metadata: Record<string, string> = {}, contentType?: string): BrokerMessage {
  const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return { topic: topicName, data, metadata, ...(contentType ? { contentType } : {}) };
}

function text(m: BrokerMessage): string {
  return new TextDecoder().decode(m.data);
}

/** Records every delivery; `answer` decides (resolve = ack, throw = reject). */
function recorder(answer: (m: BrokerMessage, count: number) => Promise<void> | void = () => undefined) {
  const seen: BrokerMessage[] = [];
  const handler: MessageHandler = async (m) => {
    seen.push(m);
    await answer(m, seen.length);
  };
  return { seen, handler };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pendingCount(stream: string, group: string): Promise<number> {
  const summary = (await admin.xpending(stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

async function consumers(stream: string, group: string): Promise<Array<{ name: string; pending: number }>> {
  const reply = (await admin.xinfo('CONSUMERS', stream, group)) as unknown[][];
  return reply.map((item) => ({ name: String(item[item.indexOf('name') + 1]), pending: Number(item[item.indexOf('pending') + 1]) }));
}

/** Publishes once Redis takes it (after a cut, the component's connection comes back by itself). */
async function publishWhenUp(target: RedisStreamsBroker, m: BrokerMessage): Promise<void> {
  await until('a publish to succeed', async () => {
    try {
      await target.publish(m);
      return true;
    } catch {
      return false;
    }
  });
}

beforeAll(async () => {
  await requireTestRedis();
  admin = adminClient();
});

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  if (streams.size > 0) await admin.del(...streams);
  admin.disconnect();
});

describe('pubsub.redis entry layout', () => {
  it("writes daprd's fields (data, metadata as JSON) plus contentType, byte for byte", async () => {
    const b = await broker();
    const t = topic('layout');
    const bytes = new Uint8Array([0, 255, 1, 128, 10, 13]);
    await b.publish(message(bytes, t, { traceparent: '00-abc-def-01', ttlInSeconds: '30' }, 'application/octet-stream'));
    await b.publish(message('no metadata', t));
    const entries = await admin.xrangeBuffer(t, '-', '+');
    expect(entries).toHaveLength(2);
    const fields = (entry: [Buffer, Buffer[]]) =>
      Object.fromEntries(entry[1].flatMap((value, i, all) => (i % 2 === 0 ? [[value.toString(), all[i + 1]!]] : [])));
    const first = fields(entries[0]!);
    expect(Object.keys(first).sort()).toEqual(['contentType', 'data', 'metadata']);
    expect(new Uint8Array(first['data']!)).toEqual(bytes);
    expect(JSON.parse(first['metadata']!.toString())).toEqual({ traceparent: '00-abc-def-01', ttlInSeconds: '30' });
    expect(first['contentType']!.toString()).toBe('application/octet-stream');
    expect(Object.keys(fields(entries[1]!))).toEqual(['data']);
  });

  it('delivers entries daprd wrote (data and JSON metadata) and tolerates unreadable metadata', async () => {
    const b = await broker();
    const t = topic('from-dapr');
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    const event = '{"specversion":"1.0","id":"1","source":"daprd","type":"com.dapr.event.sent","data":"hi"}';
    await admin.xadd(t, '*', 'data', event, 'metadata', '{"traceparent":"00-1-2-01","Content-Type":"x"}');
    await admin.xadd(t, '*', 'data', 'second', 'metadata', 'not json');
    await admin.xadd(t, '*', 'other', 'field');
    await until('three deliveries', () => seen.length === 3);
    expect(text(seen[0]!)).toBe(event);
    expect(seen[0]!.metadata).toEqual({ traceparent: '00-1-2-01', 'Content-Type': 'x' });
    expect(seen[0]!.contentType).toBeUndefined();
    expect(seen[0]!.topic).toBe(t);
    expect(text(seen[1]!)).toBe('second');
    expect(seen[1]!.metadata).toEqual({});
    expect(seen[2]!.data).toHaveLength(0);
    await until('all acknowledged', async () => (await pendingCount(t, 'app')) === 0);
  });

  it('carries binary payloads, content type and metadata from publisher to subscriber', async () => {
    const b = await broker();
    const t = topic('roundtrip');
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    const bytes = new Uint8Array(256).map((_, i) => i);
    await b.publish(message(bytes, t, { key: 'value', 'with space': 'ü' }, 'application/octet-stream'));
    await until('one delivery', () => seen.length === 1);
    expect(new Uint8Array(seen[0]!.data)).toEqual(bytes);
    expect(seen[0]!.contentType).toBe('application/octet-stream');
    expect(seen[0]!.metadata).toEqual({ key: 'value', 'with space': 'ü' });
  });
});

describe('pubsub.redis delivery', () => {
  it('acknowledges a message only once its handler resolved', async () => {
    const b = await broker();
    const t = topic('ack');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { seen, handler } = recorder(() => gate);
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await b.publish(message('one', t));
    await until('the handler to start', () => seen.length === 1);
    expect(await pendingCount(t, 'app')).toBe(1);
    release();
    await until('the acknowledgement', async () => (await pendingCount(t, 'app')) === 0);
    expect(seen).toHaveLength(1);
  });

  it('delivers a rejected message again, keeping it pending until a handler resolves', async () => {
    const b = await broker({ processingTimeoutMs: 0 }); // claiming off: only the nack path can redeliver
    const t = topic('nack');
    const pendingDuringHandling: number[] = [];
    const { seen, handler } = recorder(async (_m, count) => {
      pendingDuringHandling.push(await pendingCount(t, 'app'));
      if (count < 3) throw new Error(`not yet (${count})`);
    });
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await b.publish(message('stubborn', t));
    await until('three attempts', () => seen.length === 3);
    await until('the acknowledgement', async () => (await pendingCount(t, 'app')) === 0);
    expect(seen.map(text)).toEqual(['stubborn', 'stubborn', 'stubborn']);
    expect(pendingDuringHandling).toEqual([1, 1, 1]);
    await pause(100);
    expect(seen).toHaveLength(3);
  });

  it('hands a message whose handler never settled to the next subscriber of the group once the first closes', async () => {
    // A processingTimeout far beyond the test: only the release on close can bring it back this soon.
    const first = await broker({ processingTimeoutMs: 3_600_000 });
    const t = topic('abandoned');
    const stuck = recorder(() => new Promise<void>(() => undefined));
    const subscription = await first.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, stuck.handler);
    await first.publish(message('in progress', t));
    await until('the first handler to start', () => stuck.seen.length === 1);
    await subscription.close();
    expect(await pendingCount(t, 'app')).toBe(1);
    const second = await broker({ processingTimeoutMs: 3_600_000 });
    const next = recorder();
    await second.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, next.handler);
    await until('the redelivery', () => next.seen.length === 1);
    expect(text(next.seen[0]!)).toBe('in progress');
    await until('the acknowledgement', async () => (await pendingCount(t, 'app')) === 0);
  });

  it("claims a dead consumer's pending messages after processingTimeout", async () => {
    const t = topic('dead');
    await admin.xgroup('CREATE', t, 'app', '0', 'MKSTREAM');
    await admin.xadd(t, '*', 'data', 'orphan');
    // A process that read the message and died before acknowledging it.
    await admin.xreadgroup('GROUP', 'app', 'crashed-process', 'COUNT', 10, 'STREAMS', t, '>');
    expect(await pendingCount(t, 'app')).toBe(1);
    const b = await broker({ processingTimeoutMs: 300, redeliverIntervalMs: 100 });
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await until('the orphan to be claimed and delivered', () => seen.length === 1);
    expect(text(seen[0]!)).toBe('orphan');
    await until('the acknowledgement', async () => (await pendingCount(t, 'app')) === 0);
    expect((await consumers(t, 'app')).find((c) => c.name === 'crashed-process')?.pending).toBe(0);
  });

  it('deletes consumers of the group that own nothing and stopped reading, and keeps its own', async () => {
    const t = topic('ghosts');
    await admin.xgroup('CREATE', t, 'app', '0', 'MKSTREAM');
    await admin.xgroup('CREATECONSUMER', t, 'app', 'ghost');
    await admin.xadd(t, '*', 'data', 'owned by a live-looking consumer');
    await admin.xreadgroup('GROUP', 'app', 'busy', 'COUNT', 1, 'STREAMS', t, '>');
    const b = await broker({ idleConsumerExpiryMs: 1, processingTimeoutMs: 3_600_000, redeliverIntervalMs: 100 });
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, recorder().handler);
    await until('the ghost to be deleted', async () => !(await consumers(t, 'app')).some((c) => c.name === 'ghost'));
    const names = (await consumers(t, 'app')).map((c) => c.name);
    expect(names).toContain('busy'); // it still owns a message
    expect(names.some((name) => name.startsWith(b.instanceId))).toBe(true);
  });

  it('keeps messages published while the group had no subscriber', async () => {
    const b = await broker();
    const t = topic('offline');
    const subscription = await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, recorder().handler);
    await subscription.close();
    for (const n of ['1', '2', '3']) await b.publish(message(n, t));
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await until('three deliveries', () => seen.length === 3);
    expect(seen.map(text).sort()).toEqual(['1', '2', '3']);
  });

  it('shares a group between two processes, each its own consumer, without duplicates', async () => {
    const t = topic('shared');
    const one = await broker();
    const two = await broker();
    expect(one.instanceId).not.toBe(two.instanceId);
    const a = recorder(() => pause(2));
    const b = recorder(() => pause(2));
    await one.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, a.handler);
    await two.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, b.handler);
    const count = 40;
    for (let i = 0; i < count; i++) await one.publish(message(String(i), t));
    await until(`${count} deliveries`, () => a.seen.length + b.seen.length >= count);
    await until('all acknowledged', async () => (await pendingCount(t, 'app')) === 0);
    const all = [...a.seen, ...b.seen].map(text);
    expect(new Set(all).size).toBe(count);
    expect(all).toHaveLength(count);
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
    const names = (await consumers(t, 'app')).map((c) => c.name);
    expect(names.filter((name) => name.startsWith(one.instanceId))).toHaveLength(1);
    expect(names.filter((name) => name.startsWith(two.instanceId))).toHaveLength(1);
  });

  it('gives every consumer group each message', async () => {
    const b = await broker();
    const t = topic('groups');
    const x = recorder();
    const y = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'x', metadata: {} }, x.handler);
    await b.subscribe({ topic: t, consumerGroup: 'y', metadata: {} }, y.handler);
    for (const n of ['1', '2']) await b.publish(message(n, t));
    await until('both groups', () => x.seen.length === 2 && y.seen.length === 2);
  });

  it('holds at most queueDepth messages and runs at most `concurrency` handlers at once', async () => {
    const b = await broker({ queueDepth: 3, concurrency: 2 });
    const t = topic('limits');
    let running = 0;
    let most = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { seen, handler } = recorder(async () => {
      running += 1;
      most = Math.max(most, running);
      await gate;
      running -= 1;
    });
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    for (let i = 0; i < 10; i++) await b.publish(message(String(i), t));
    await until('two handlers running', () => running === 2);
    await pause(300); // room for a wrongly eager reader to take more
    expect(seen).toHaveLength(2);
    expect(await pendingCount(t, 'app')).toBe(3);
    open();
    await until('ten deliveries', () => seen.length === 10);
    await until('all acknowledged', async () => (await pendingCount(t, 'app')) === 0);
    expect(most).toBe(2);
  });

  it('waits for handlers in progress when closing, acknowledges them, and leaves the group', async () => {
    const b = await broker({ closeTimeoutMs: 5000 });
    const t = topic('drain');
    let finished = false;
    const { seen, handler } = recorder(async () => {
      await pause(150);
      finished = true;
    });
    const subscription: BrokerSubscription = await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await b.publish(message('slow', t));
    await until('the handler to start', () => seen.length === 1);
    await subscription.close();
    expect(finished).toBe(true);
    expect(await pendingCount(t, 'app')).toBe(0);
    expect(await consumers(t, 'app')).toEqual([]);
  });

  it('skips entries deleted before anyone acknowledged them', async () => {
    const t = topic('trimmed');
    await admin.xgroup('CREATE', t, 'app', '0', 'MKSTREAM');
    const gone = await admin.xadd(t, '*', 'data', 'gone');
    await admin.xadd(t, '*', 'data', 'kept');
    await admin.xreadgroup('GROUP', 'app', 'crashed-process', 'COUNT', 10, 'STREAMS', t, '>');
    await admin.xdel(t, gone!);
    const b = await broker({ processingTimeoutMs: 100, redeliverIntervalMs: 100 });
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await until('the remaining message', () => seen.length === 1);
    await until('nothing pending', async () => (await pendingCount(t, 'app')) === 0);
    expect(seen.map(text)).toEqual(['kept']);
  });
});

describe('pubsub.redis publishing', () => {
  it('publishes in bulk with one pipeline and reports failures per entry', async () => {
    const b = await broker();
    const t = topic('bulk');
    const notAStream = topic('bulk-string');
    await admin.set(notAStream, 'a plain string');
    expect(await b.bulkPublish([])).toEqual([]);
    const failures = await b.bulkPublish([message('a', t), message('b', notAStream), message('c', t)]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ index: 1 });
    expect(failures[0]!.error).toMatch(/WRONGTYPE/);
    expect((await admin.xrange(t, '-', '+')).map(([, fields]) => fields[1])).toEqual(['a', 'c']);
  });

  it('trims streams to about maxLenApprox entries', async () => {
    const b = await broker({ maxLenApprox: 10 });
    const t = topic('maxlen');
    for (let i = 0; i < 5; i++) {
      expect(await b.bulkPublish(Array.from({ length: 100 }, (_, n) => message(`${i}-${n}`, t)))).toEqual([]);
    }
    const length = await admin.xlen(t);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
  });

  it('trims entries older than streamTTL', async () => {
    const b = await broker({ streamTtlMs: 60_000 });
    const t = topic('ttl');
    // 200 entries from 1970: whole old nodes that a MINID ~ trim removes.
    const pipeline = admin.pipeline();
    for (let n = 1; n <= 200; n++) pipeline.xadd(t, `1-${n}`, 'data', 'ancient');
    await pipeline.exec();
    await b.publish(message('fresh', t));
    const entries = await admin.xrange(t, '-', '+');
    expect(entries.length).toBeLessThan(201);
    expect(entries.at(-1)![1]).toEqual(['data', 'fresh']);
  });

  it('refuses to publish or subscribe once closed, and ping says it is closed', async () => {
    const b = await broker();
    await b.close();
    const t = topic('closed');
    await expect(b.publish(message('x', t))).rejects.toThrow(/closed/);
    await expect(b.bulkPublish([message('x', t)])).rejects.toThrow(/closed/);
    await expect(b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, recorder().handler)).rejects.toThrow(/closed/);
    await expect(b.ping()).rejects.toThrow(/closed/);
  });
});

describe('pubsub.redis failures', () => {
  it('recovers by itself when its connections are cut', async () => {
    const name = `pubsub-redis-test-${run}-cut`;
    const b = await broker({ connectionName: name });
    const t = topic('cut');
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await b.publish(message('before', t));
    await until('the first delivery', () => seen.length === 1);
    // The shared connection and the subscription's reader.
    expect(await killConnections(admin, name)).toBeGreaterThanOrEqual(2);
    await publishWhenUp(b, message('after', t));
    await until('the delivery after the cut', () => seen.length === 2);
    expect(seen.map(text)).toEqual(['before', 'after']);
    await b.ping();
  });

  it('after a cut, first delivers what Redis had handed it in a reply that was lost', async () => {
    const proxy = new TcpProxy(admin.options.host!, admin.options.port!);
    await proxy.start();
    try {
      // Claiming is far off: only reading its own pending entries again can bring the entry back.
      const b = await broker({ host: proxy.address, processingTimeoutMs: 3_600_000 });
      const t = topic('lost-reply');
      const { seen, handler } = recorder();
      await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
      await b.publish(message('first', t));
      await until('the first delivery', () => seen.length === 1);
      await until('the acknowledgement', async () => (await pendingCount(t, 'app')) === 0);
      proxy.freeze();
      await admin.xadd(t, '*', 'data', 'reply lost');
      await until('Redis to hand the entry to the blocked reader', async () => (await pendingCount(t, 'app')) === 1);
      await proxy.stop();
      expect(seen).toHaveLength(1);
      await proxy.start();
      await until('the lost entry to be delivered', () => seen.length === 2);
      expect(text(seen[1]!)).toBe('reply lost');
      await until('the acknowledgement', async () => (await pendingCount(t, 'app')) === 0);
    } finally {
      await Promise.all(brokers.splice(0).map((b) => b.close()));
      await proxy.stop();
    }
  });

  it('goes on after the stream and its group were deleted under it (NOGROUP)', async () => {
    const b = await broker();
    const t = topic('nogroup');
    const { seen, handler } = recorder();
    await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
    await admin.del(t);
    await b.publish(message('after the loss', t));
    await until('the delivery after the loss', () => seen.length === 1);
    expect(text(seen[0]!)).toBe('after the loss');
    expect(((await admin.xinfo('GROUPS', t)) as unknown[][]).map((g) => g[1])).toEqual(['app']);
  });

  it('survives Redis going away and coming back without its data, and ping reports the outage', async () => {
    const proxy = new TcpProxy(admin.options.host!, admin.options.port!);
    await proxy.start();
    try {
      const b = await broker({ host: proxy.address });
      const t = topic('restart');
      const { seen, handler } = recorder();
      await b.subscribe({ topic: t, consumerGroup: 'app', metadata: {} }, handler);
      await b.ping();
      await b.publish(message('before', t));
      await until('the first delivery', () => seen.length === 1);

      await proxy.stop();
      await until('ping to fail', async () => {
        try {
          await b.ping();
          return false;
        } catch (error) {
          expect((error as Error).message).toMatch(/unreachable/);
          return true;
        }
      });
      await expect(b.ping()).rejects.toThrow(proxy.address);
      await expect(b.publish(message('while down', t))).rejects.toThrow(/publish/);
      // What a restart without persistence does to the stream: it and its group are gone.
      await admin.del(t);

      await proxy.start();
      await until('ping to succeed again', async () => {
        try {
          await b.ping();
          return true;
        } catch {
          return false;
        }
      });
      await publishWhenUp(b, message('after', t));
      await until('the delivery after the restart', () => seen.length === 2);
      expect(seen.map(text)).toEqual(['before', 'after']);
    } finally {
      await Promise.all(brokers.splice(0).map((b) => b.close()));
      await proxy.stop();
    }
  });
});
