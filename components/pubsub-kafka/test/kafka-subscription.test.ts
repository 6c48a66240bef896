import { silentLogger } from '@mecha/core';
import type { BrokerMessage, MessageHandler } from '@mecha/pubsub';
import { describe, expect, it } from 'vitest';
import { KafkaSubscription, type KafkaSubscriptionSettings } from '../src/kafka-subscription.ts';
import { FakeKafka } from './fake-kafka.ts';
import { pause, waitFor } from './kafka-server.ts';

// The subscription's delivery and recovery logic against a scripted stand-in for kafkajs:
// the cases a real broker can only produce by chance (kafkajs giving up on a consumer, a
// join that never completes) and exact checks of what gets committed when.

function settings(
  fake: FakeKafka,
  handler: MessageHandler,
  extra: Partial<KafkaSubscriptionSettings> = {},
): KafkaSubscriptionSettings {
  return {
    kafka: fake.asKafka(),
    admin: fake.asAdmin(),
    topic: fake.topic,
    groupId: 'group',
    initialOffset: 'newest',
    consumer: {},
    heartbeatIntervalMs: 1000,
    redeliveryDelayMs: 30,
    closeTimeoutMs: 200,
    joinTimeoutMs: 2000,
    partitionsConsumedConcurrently: 4,
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    codec: {},
    handler,
    logger: silentLogger(),
    ...extra,
  };
}

const text = (message: BrokerMessage) => Buffer.from(message.data).toString();

describe('KafkaSubscription', () => {
  it('holds newly assigned partitions paused until the group has committed their end offsets (newest)', async () => {
    const fake = new FakeKafka('orders', [0, 1]);
    fake.committed.set(1, '7');
    fake.ends.set(0, '42');
    fake.ends.set(1, '50');
    const subscription = new KafkaSubscription(settings(fake, async () => {}));
    await subscription.start();
    const consumer = fake.latest;
    // Both are paused from the join until the group's offsets are known; partition 0 had no
    // committed offset, so it starts at the end offset of subscribe time, committed for whoever
    // owns it next. Partition 1 keeps its committed offset.
    expect(consumer.log).toEqual([
      'pause 0',
      'pause 1',
      'seek 0@42',
      'commit 0@42',
      'resume 0',
      'resume 1',
    ]);
    expect(fake.committed.get(1)).toBe('7');
    expect([...consumer.paused]).toEqual([]);
    expect(consumer.fromBeginning).toBe(false);
    await subscription.close();
    expect(consumer.disconnected).toBe(true);
  });

  it('leaves the start to kafkajs for initialOffset oldest', async () => {
    const fake = new FakeKafka('orders', [0, 1]);
    const subscription = new KafkaSubscription({
      ...settings(fake, async () => {}),
      initialOffset: 'oldest',
    });
    await subscription.start();
    expect(fake.latest.fromBeginning).toBe(true);
    expect(fake.latest.seeks).toEqual([]);
    expect(fake.latest.commits).toEqual([]);
    await subscription.close();
  });

  it('commits a partition only past messages whose handler resolved', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.committed.set(0, '0');
    const releases: Array<() => void> = [];
    const seen: string[] = [];
    const subscription = new KafkaSubscription(
      settings(fake, (message) => {
        seen.push(text(message));
        return new Promise<void>((resolve) => releases.push(resolve));
      }),
    );
    await subscription.start();
    const consumer = fake.latest;
    const batch = consumer.batch(0, [0, 1, 2]);
    await waitFor('the first delivery', () => seen.length === 1);
    await pause(20);
    // One at a time per partition, and nothing committed while the handler runs.
    expect(seen).toEqual(['0']);
    expect(consumer.commits).toEqual([]);
    releases[0]!();
    await waitFor('the second delivery', () => seen.length === 2);
    await waitFor('the first commit', () => consumer.commits.length >= 1);
    expect(consumer.commits[0]).toEqual({ partition: 0, offset: '1' });
    releases[1]!();
    await waitFor('the third delivery', () => seen.length === 3);
    releases[2]!();
    await batch;
    expect(consumer.commits.at(-1)).toEqual({ partition: 0, offset: '3' });
    expect(consumer.resolved.map((entry) => entry.offset)).toEqual(['0', '1', '2']);
    await subscription.close();
  });

  it('stops at a rejected message: not resolved, nothing behind it handled, partition resumed after the delay', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.committed.set(0, '0');
    const seen: string[] = [];
    const subscription = new KafkaSubscription(
      settings(fake, async (message) => {
        seen.push(text(message));
        if (text(message) === '1') throw new Error('not now');
      }),
    );
    await subscription.start();
    const consumer = fake.latest;
    await consumer.batch(0, [0, 1, 2, 3]);
    expect(seen).toEqual(['0', '1']);
    expect(consumer.resolved.map((entry) => entry.offset)).toEqual(['0']);
    expect(consumer.commits).toEqual([{ partition: 0, offset: '1' }]);
    expect(consumer.paused.has(0)).toBe(true);
    await waitFor('the partition to resume', () => !consumer.paused.has(0), 2000);
    await subscription.close();
  });

  it('abandons a handler that never settles when closing, leaving its message uncommitted', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.committed.set(0, '5');
    let taken = 0;
    const subscription = new KafkaSubscription(
      settings(fake, () => {
        taken++;
        return new Promise<void>(() => {});
      }),
    );
    await subscription.start();
    const consumer = fake.latest;
    const batch = consumer.batch(0, [5, 6]);
    await waitFor('the delivery', () => taken === 1);
    await subscription.close();
    await batch;
    expect(taken).toBe(1);
    expect(consumer.resolved).toEqual([]);
    expect(consumer.commits).toEqual([]);
    expect(consumer.disconnected).toBe(true);
  });

  it('lets in-flight handlers finish on close and commits them', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.committed.set(0, '0');
    let release: () => void = () => {};
    const subscription = new KafkaSubscription({
      ...settings(fake, () => new Promise<void>((resolve) => (release = resolve))),
      closeTimeoutMs: 5000,
    });
    await subscription.start();
    const consumer = fake.latest;
    const batch = consumer.batch(0, [0, 1]);
    await pause(20);
    const closing = subscription.close();
    setTimeout(() => release(), 50);
    await closing;
    await batch;
    // The message in flight was acknowledged and committed; the next one was never started.
    expect(consumer.commits).toEqual([{ partition: 0, offset: '1' }]);
    expect(consumer.resolved.map((entry) => entry.offset)).toEqual(['0']);
  });

  it('replaces a consumer kafkajs gave up on, and the new one delivers', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.committed.set(0, '0');
    const seen: string[] = [];
    const subscription = new KafkaSubscription(
      settings(fake, async (message) => void seen.push(text(message))),
    );
    await subscription.start();
    const first = fake.latest;
    first.crash(true);
    await pause(100);
    // kafkajs restarts it itself: nothing to do.
    expect(fake.consumers).toHaveLength(1);
    // A crash kafkajs will not restart from, and the first replacement fails to connect.
    fake.failConnect = 1;
    first.crash(false);
    await waitFor('a working replacement consumer', () => fake.consumers.length === 3);
    expect(first.disconnected).toBe(true);
    expect(fake.consumers[1]!.disconnected).toBe(true);
    await fake.latest.batch(0, [0]);
    expect(seen).toEqual(['0']);
    // The replaced consumer, should kafkajs bring it back, gets its batches failed, unhandled.
    await expect(first.batch(0, [1])).rejects.toThrow(/no longer uses this consumer/);
    expect(seen).toEqual(['0']);
    // A crash report from a consumer already replaced changes nothing.
    first.crash(false);
    await pause(100);
    expect(fake.consumers).toHaveLength(3);
    await subscription.close();
    expect(fake.latest.disconnected).toBe(true);
  });

  it('fails start, naming the group, when the join does not complete in time', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.joinOnRun = false;
    const subscription = new KafkaSubscription({
      ...settings(fake, async () => {}),
      joinTimeoutMs: 100,
    });
    await expect(subscription.start()).rejects.toThrow(
      /joining consumer group group for topic orders took longer than 100 ms/,
    );
    expect(fake.latest.disconnected).toBe(true);
  });

  it('fails start when the first connection is refused', async () => {
    const fake = new FakeKafka('orders', [0]);
    fake.failConnect = 1;
    const subscription = new KafkaSubscription(settings(fake, async () => {}));
    await expect(subscription.start()).rejects.toThrow(/ECONNREFUSED/);
    expect(fake.latest.disconnected).toBe(true);
  });
});
