import { randomUUID } from 'node:crypto';
import type { BrokerMessage, BrokerSubscription, MessageHandler } from '@mecha/pubsub';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBroker, type KafkaBrokerOptions } from '../src/index.ts';
import { KAFKA, pause, requireKafka, waitFor } from './kafka-server.ts';

// The delivery promises against the shared broker: commit only after handling, redelivery in
// partition order, hand-over of unacknowledged messages, retention while a group is away,
// initial offsets, competing consumers and native bulk publish.

const base: KafkaBrokerOptions = {
  brokers: [KAFKA],
  heartbeatIntervalMs: 300,
  sessionTimeoutMs: 3000,
  redeliveryDelayMs: 20,
  closeTimeoutMs: 300,
};

const opened: KafkaBroker[] = [];
async function connect(extra: Partial<KafkaBrokerOptions> = {}): Promise<KafkaBroker> {
  const broker = await KafkaBroker.connect({ ...base, ...extra });
  opened.push(broker);
  return broker;
}

let broker: KafkaBroker;
beforeAll(async () => {
  await requireKafka(KAFKA, 'kafka');
  broker = await connect();
});
afterAll(async () => {
  await Promise.allSettled(opened.map((each) => each.close()));
});

const unique = (label: string) => `kafka-${label}-${randomUUID().slice(0, 8)}`;
const text = (message: BrokerMessage) => new TextDecoder().decode(message.data);
const message = (
  topic: string,
  body: string,
  metadata: Record<string, string> = {},
): BrokerMessage => ({
  topic,
  data: new TextEncoder().encode(body),
  metadata,
});

/** Subscribes and records every delivery; `answer` may throw to reject. */
async function record(
  on: KafkaBroker,
  topic: string,
  group: string,
  answer: (message: BrokerMessage) => Promise<void> | void = () => {},
): Promise<{ seen: BrokerMessage[]; subscription: BrokerSubscription }> {
  const seen: BrokerMessage[] = [];
  const handler: MessageHandler = async (delivered) => {
    seen.push(delivered);
    await answer(delivered);
  };
  const subscription = await on.subscribe({ topic, consumerGroup: group, metadata: {} }, handler);
  return { seen, subscription };
}

describe('KafkaBroker against a real broker', () => {
  it('creates a missing topic with the cluster default of 4 partitions before subscribing', async () => {
    const topic = unique('create');
    const { subscription } = await record(broker, topic, unique('g'));
    const admin = new Kafka({ brokers: [KAFKA], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]!.partitions).toHaveLength(4);
    } finally {
      await admin.disconnect();
    }
    await subscription.close();
  });

  it('carries the key, headers and content type, and honours partitionNumber', async () => {
    const topic = unique('headers');
    const { seen, subscription } = await record(broker, topic, unique('g'));
    await broker.publish({
      ...message(topic, '{"a":1}', {
        partitionKey: 'order-7',
        traceparent: '00-abc-def-01',
        partitionNumber: '2',
      }),
      contentType: 'application/json',
    });
    await waitFor('the delivery', () => seen.length === 1);
    expect(seen[0]!.contentType).toBe('application/json');
    expect(text(seen[0]!)).toBe('{"a":1}');
    expect(seen[0]!.metadata).toMatchObject({
      partitionKey: 'order-7',
      traceparent: '00-abc-def-01',
      __key: 'order-7',
      __topic: topic,
      __partition: '2',
      __offset: '0',
    });
    await subscription.close();
  });

  it('redelivers a rejected message and holds its partition behind it, while other partitions go on', async () => {
    const topic = unique('redeliver');
    let rejections = 0;
    const { seen, subscription } = await record(broker, topic, unique('g'), (delivered) => {
      if (text(delivered) === 'held-3' && rejections < 3) {
        rejections++;
        throw new Error('not yet');
      }
    });
    for (let n = 0; n < 8; n++)
      await broker.publish(message(topic, `held-${n}`, { partitionNumber: '0' }));
    for (let n = 0; n < 4; n++)
      await broker.publish(message(topic, `free-${n}`, { partitionNumber: '1' }));
    await waitFor('every message handled', () => new Set(seen.map(text)).size === 12);
    const held = seen.map(text).filter((body) => body.startsWith('held-'));
    // Three rejected deliveries of held-3, then held-3 again, and nothing of partition 0 behind
    // it before that: per-partition order survives the redeliveries.
    expect(held).toEqual([
      'held-0',
      'held-1',
      'held-2',
      'held-3',
      'held-3',
      'held-3',
      'held-3',
      'held-4',
      'held-5',
      'held-6',
      'held-7',
    ]);
    expect(seen.map(text).filter((body) => body.startsWith('free-'))).toEqual([
      'free-0',
      'free-1',
      'free-2',
      'free-3',
    ]);
    await pause(200);
    expect(seen).toHaveLength(15);
    await subscription.close();
  });

  it("hands a message whose handler never settled to the group's next subscriber, and close does not hang", async () => {
    const topic = unique('handover');
    const group = unique('g');
    const first = await connect();
    const stuck = await record(first, topic, group, () => new Promise<void>(() => {}));
    await broker.publish(message(topic, 'stuck'));
    await waitFor('the first subscriber to take it', () => stuck.seen.length === 1);
    await stuck.subscription.close();
    const next = await record(broker, topic, group);
    await waitFor('the redelivery', () => next.seen.length === 1);
    expect(text(next.seen[0]!)).toBe('stuck');
    expect(next.seen[0]!.metadata.__offset).toBe(stuck.seen[0]!.metadata.__offset);
    await next.subscription.close();
  });

  it('keeps messages published while the group had no subscriber, and not those it acknowledged', async () => {
    const topic = unique('offline');
    const group = unique('g');
    const before = await record(broker, topic, group);
    await broker.publish(message(topic, 'acknowledged'));
    await waitFor('the first delivery', () => before.seen.length === 1);
    await before.subscription.close();
    for (let n = 0; n < 3; n++) await broker.publish(message(topic, `while-away-${n}`));
    const after = await record(broker, topic, group);
    await waitFor('the three kept messages', () => after.seen.length >= 3);
    await pause(200);
    expect(after.seen.map(text).sort()).toEqual(['while-away-0', 'while-away-1', 'while-away-2']);
    await after.subscription.close();
  });

  it('starts a new group at the newest message, or the oldest, and never misses a publish made right after subscribe', async () => {
    const topic = unique('initial');
    await broker.publish(message(topic, 'early'));
    const newest = await record(broker, topic, unique('newest'));
    const oldest = await record(
      await connect({ initialOffset: 'oldest' }),
      topic,
      unique('oldest'),
    );
    await broker.publish(message(topic, 'late'));
    await waitFor(
      'late in both groups',
      () => newest.seen.some((m) => text(m) === 'late') && oldest.seen.length >= 2,
    );
    await pause(200);
    expect(newest.seen.map(text)).toEqual(['late']);
    expect(oldest.seen.map(text).sort()).toEqual(['early', 'late']);
    await Promise.all([newest.subscription.close(), oldest.subscription.close()]);
  });

  it("shares a topic's four partitions between two subscribers of one group", async () => {
    const topic = unique('compete');
    const group = unique('g');
    const a = await record(broker, topic, group);
    const b = await record(await connect(), topic, group);
    const count = 40;
    for (let n = 0; n < count; n++)
      await broker.publish(message(topic, `m${n}`, { partitionKey: `key-${n}` }));
    await waitFor(`${count} deliveries`, () => a.seen.length + b.seen.length >= count);
    await pause(200);
    const all = [...a.seen, ...b.seen].map(text);
    expect(all).toHaveLength(count);
    expect(new Set(all).size).toBe(count);
    const partitions = (seen: BrokerMessage[]) => new Set(seen.map((m) => m.metadata.__partition));
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
    expect([...partitions(a.seen)].filter((p) => partitions(b.seen).has(p))).toEqual([]);
    expect(new Set([...partitions(a.seen), ...partitions(b.seen)]).size).toBe(4);
    await Promise.all([a.subscription.close(), b.subscription.close()]);
  });

  it('lets subscriptions to different topics share one consumer group', async () => {
    const group = unique('g');
    const orders = unique('orders');
    const payments = unique('payments');
    const first = await record(broker, orders, group);
    const second = await record(broker, payments, group);
    for (let n = 0; n < 8; n++) {
      await broker.publish(message(orders, `o${n}`, { partitionKey: `k${n}` }));
      await broker.publish(message(payments, `p${n}`, { partitionKey: `k${n}` }));
    }
    await waitFor(
      'every message of both topics',
      () => first.seen.length >= 8 && second.seen.length >= 8,
    );
    expect(first.seen.map(text).sort()).toEqual(['o0', 'o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7']);
    expect(second.seen.map(text).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    await Promise.all([first.subscription.close(), second.subscription.close()]);
  });

  it("puts every subscription in the component's consumerGroup when it is set", async () => {
    const topic = unique('fixed-group');
    const fixed = await connect({ consumerGroup: unique('fixed') });
    const a = await record(fixed, topic, 'app-a');
    const b = await record(fixed, topic, 'app-b');
    for (let n = 0; n < 12; n++)
      await broker.publish(message(topic, `m${n}`, { partitionKey: `key-${n}` }));
    await waitFor('12 deliveries', () => a.seen.length + b.seen.length >= 12);
    await pause(200);
    // One group: the two subscriptions compete instead of each getting everything.
    expect(a.seen.length + b.seen.length).toBe(12);
    await Promise.all([a.subscription.close(), b.subscription.close()]);
  });

  it('publishes a batch in one request and reports refused entries by index', async () => {
    const topic = unique('bulk');
    const { seen, subscription } = await record(broker, topic, unique('g'));
    const batch = Array.from({ length: 50 }, (_, n) => message(topic, `b${n}`));
    batch[7] = message(topic, 'bad', { partitionNumber: 'seven' });
    const failures = await broker.bulkPublish(batch);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      index: 7,
      error: expect.stringMatching(/partitionNumber/),
    });
    await waitFor('49 deliveries', () => seen.length >= 49);
    await pause(200);
    expect(seen).toHaveLength(49);
    expect(seen.map(text)).not.toContain('bad');
    await subscription.close();
  });

  it('answers ping, refuses a schema subscription, and refuses work once closed', async () => {
    const own = await connect();
    await own.ping();
    await expect(
      own.subscribe(
        { topic: unique('schema'), consumerGroup: 'g', metadata: { valueSchemaType: 'Avro' } },
        async () => {},
      ),
    ).rejects.toThrow(/schema registry/);
    await own.close();
    await expect(own.publish(message('any', 'x'))).rejects.toThrow(/closed/);
    await expect(
      own.subscribe({ topic: 'any', consumerGroup: 'g', metadata: {} }, async () => {}),
    ).rejects.toThrow(/closed/);
  });
});
