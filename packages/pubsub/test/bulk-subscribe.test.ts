import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PubSubService,
  type BrokerMessage,
  type BulkDelivery,
  type BulkDeliveryStatus,
  type DeliverBulk,
  type Delivery,
  type DeliveryStatus,
  type SubscriptionSpec,
} from '../src/index.ts';
import { FakeBroker, bytes, json } from './fake-broker.ts';
import { recordingLogger } from './recording-logger.ts';

function setup(maxAttempts = 3) {
  const broker = new FakeBroker();
  const logger = recordingLogger();
  const pubsub = new PubSubService({
    name: 'bus',
    broker,
    features: [],
    appId: 'shipping',
    logger,
    retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts },
  });
  return { broker, pubsub, logger };
}

function spec(extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
  return {
    pubsubName: 'bus',
    topic: 'orders',
    routes: { rules: [], default: '/orders' },
    metadata: {},
    source: 'programmatic',
    bulkSubscribe: { enabled: true, maxMessagesCount: 3, maxAwaitDurationMs: 60_000 },
    ...extra,
  };
}

function envelope(id: string, data: unknown = { n: id }): BrokerMessage {
  return {
    topic: 'orders',
    data: bytes({
      specversion: '1.0',
      id,
      source: 'checkout',
      type: 'com.dapr.event.sent',
      topic: 'orders',
      pubsubname: 'bus',
      datacontenttype: 'application/json',
      data,
    }),
    contentType: 'application/cloudevents+json',
    metadata: { traceparent: `tp-${id}` },
  };
}

type Answer = Array<DeliveryStatus | undefined> | Error;

/**
 * A bulk subscriber that answers each call from `answers` (statuses by position in the batch,
 * `undefined` leaving an entry unanswered; an Error is thrown); SUCCESS for everything after.
 */
function bulkRecorder(answers: Answer[] = []) {
  const calls: BulkDelivery[] = [];
  const deliverBulk: DeliverBulk = async (delivery) => {
    calls.push({ ...delivery, entries: [...delivery.entries] });
    const answer = answers.shift();
    if (answer instanceof Error) throw answer;
    const statuses: BulkDeliveryStatus[] = [];
    delivery.entries.forEach((entry, index) => {
      const status = answer ? answer[index] : 'SUCCESS';
      if (status !== undefined) statuses.push({ entryId: entry.entryId, status });
    });
    return statuses;
  };
  return { calls, deliverBulk };
}

/** The ids of the events in a bulk call, in order. */
function ids(delivery: BulkDelivery | undefined): string[] {
  return (delivery?.entries ?? []).map((entry) => entry.event.id);
}

function neverDeliver() {
  const singles: Delivery[] = [];
  return {
    singles,
    deliver: async (delivery: Delivery): Promise<DeliveryStatus> => {
      singles.push(delivery);
      return 'SUCCESS';
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('bulk subscribe: batching', () => {
  it('delivers a batch as soon as maxMessagesCount messages are waiting, and acks each', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    const single = neverDeliver();
    await pubsub.subscribe(spec(), single.deliver, { deliverBulk: bulk.deliverBulk });
    const acks = ['a', 'b', 'c'].map((id) => broker.deliver(envelope(id)));
    await Promise.all(acks);
    expect(bulk.calls).toHaveLength(1);
    expect(single.singles).toHaveLength(0);
    const [call] = bulk.calls;
    expect(ids(call)).toEqual(['a', 'b', 'c']);
    expect(call).toMatchObject({
      path: '/orders',
      topic: 'orders',
      pubsubName: 'bus',
      rawPayload: false,
      metadata: { pubsubName: 'bus' },
    });
    expect(call!.id).toMatch(/^[0-9a-f-]{36}$/);
    const first = call!.entries[0]!;
    expect(first.entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(call!.entries.map((entry) => entry.entryId)).size).toBe(3);
    expect(first.contentType).toBe('application/cloudevents+json');
    expect(first.metadata).toEqual({ traceparent: 'tp-a' });
    expect(first.event.data).toEqual({ n: 'a' });
    expect(JSON.parse(new TextDecoder().decode(first.data))).toMatchObject({ id: 'a' });
  });

  it('splits a stream of messages into batches of maxMessagesCount', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    await pubsub.subscribe(spec(), neverDeliver().deliver, { deliverBulk: bulk.deliverBulk });
    await Promise.all(['1', '2', '3', '4', '5', '6'].map((id) => broker.deliver(envelope(id))));
    expect(bulk.calls.map(ids)).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
  });

  it('delivers a partial batch once its first message has waited maxAwaitDurationMs', async () => {
    vi.useFakeTimers();
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    await pubsub.subscribe(
      spec({ bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 500 } }),
      neverDeliver().deliver,
      { deliverBulk: bulk.deliverBulk },
    );
    const first = broker.deliver(envelope('a'));
    await vi.advanceTimersByTimeAsync(300);
    const second = broker.deliver(envelope('b'));
    await vi.advanceTimersByTimeAsync(199);
    expect(bulk.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([first, second]);
    expect(bulk.calls.map(ids)).toEqual([['a', 'b']]);
    // The next message starts a new wait.
    const third = broker.deliver(envelope('c'));
    await vi.advanceTimersByTimeAsync(499);
    expect(bulk.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await third;
    expect(bulk.calls.map(ids)).toEqual([['a', 'b'], ['c']]);
  });

  it("uses daprd's defaults: 100 messages, 1000 ms (also for 0)", async () => {
    vi.useFakeTimers();
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    await pubsub.subscribe(
      spec({ bulkSubscribe: { enabled: true, maxMessagesCount: 0 } }),
      neverDeliver().deliver,
      { deliverBulk: bulk.deliverBulk },
    );
    const hundred = Array.from({ length: 100 }, (_, i) => broker.deliver(envelope(`m${i}`)));
    await Promise.all(hundred);
    expect(bulk.calls.map((call) => call.entries.length)).toEqual([100]);
    const late = broker.deliver(envelope('late'));
    await vi.advanceTimersByTimeAsync(999);
    expect(bulk.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await late;
    expect(bulk.calls.map(ids)[1]).toEqual(['late']);
  });

  it('delivers one batch per path when routing rules send entries to different paths', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    await pubsub.subscribe(
      spec({
        routes: { rules: [{ match: 'event.data.big == true', path: '/big' }], default: '/small' },
      }),
      neverDeliver().deliver,
      { deliverBulk: bulk.deliverBulk },
    );
    await Promise.all([
      broker.deliver(envelope('a', { big: true })),
      broker.deliver(envelope('b', { big: false })),
      broker.deliver(envelope('c', { big: true })),
    ]);
    const byPath = Object.fromEntries(bulk.calls.map((call) => [call.path, ids(call)]));
    expect(byPath).toEqual({ '/big': ['a', 'c'], '/small': ['b'] });
  });

  it('settles messages that cannot be delivered before batching, without waiting for the batch', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    await pubsub.subscribe(
      spec({
        deadLetterTopic: 'orders-dead',
        routes: { rules: [{ match: 'event.data.ok == true', path: '/ok' }] },
      }),
      neverDeliver().deliver,
      { deliverBulk: bulk.deliverBulk },
    );
    // Not a CloudEvent: dead-lettered. Matches no rule: dead-lettered too (as daprd does).
    await broker.deliver({ topic: 'orders', data: bytes('not json'), metadata: {} });
    await broker.deliver(envelope('nomatch', { ok: false }));
    expect(bulk.calls).toHaveLength(0);
    expect(broker.published.map((message) => message.topic)).toEqual([
      'orders-dead',
      'orders-dead',
    ]);
  });

  it('hands raw payloads over as they arrived, with application/octet-stream when the broker gives no type', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder();
    await pubsub.subscribe(
      spec({
        metadata: { rawPayload: 'true' },
        bulkSubscribe: { enabled: true, maxMessagesCount: 2 },
      }),
      neverDeliver().deliver,
      { deliverBulk: bulk.deliverBulk },
    );
    await Promise.all([
      broker.deliver({
        topic: 'orders',
        data: bytes('plain text'),
        contentType: 'text/plain',
        metadata: {},
      }),
      broker.deliver({ topic: 'orders', data: new Uint8Array([0, 1, 2]), metadata: {} }),
    ]);
    const [call] = bulk.calls;
    expect(call!.rawPayload).toBe(true);
    expect(call!.entries.map((entry) => entry.contentType)).toEqual([
      'text/plain',
      'application/octet-stream',
    ]);
    expect([...call!.entries[1]!.data]).toEqual([0, 1, 2]);
    expect(call!.entries[0]!.event.data_base64).toBe(Buffer.from('plain text').toString('base64'));
  });

  it('falls back to single deliveries without deliverBulk, or when bulkSubscribe is not enabled', async () => {
    const { broker, pubsub } = setup();
    const single = neverDeliver();
    await pubsub.subscribe(spec(), single.deliver);
    await broker.deliver(envelope('a'));
    const bulk = bulkRecorder();
    await pubsub.subscribe(
      spec({ topic: 'other', bulkSubscribe: { enabled: false } }),
      single.deliver,
      {
        deliverBulk: bulk.deliverBulk,
      },
    );
    await broker.deliver({ ...envelope('b'), topic: 'other' });
    expect(single.singles.map((delivery) => delivery.event.id)).toEqual(['a', 'b']);
    expect(bulk.calls).toHaveLength(0);
  });
});

describe('bulk subscribe: statuses, retries and dead letters', () => {
  it('acks SUCCESS, dead-letters DROP, and redelivers only the RETRY entries in a smaller batch', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder([['SUCCESS', 'DROP', 'RETRY'], ['SUCCESS']]);
    await pubsub.subscribe(spec({ deadLetterTopic: 'orders-dead' }), neverDeliver().deliver, {
      deliverBulk: bulk.deliverBulk,
    });
    await Promise.all(['a', 'b', 'c'].map((id) => broker.deliver(envelope(id))));
    expect(bulk.calls.map(ids)).toEqual([['a', 'b', 'c'], ['c']]);
    // The retry is the same batch (id) and the same entry (entry id).
    expect(bulk.calls[1]!.id).toBe(bulk.calls[0]!.id);
    expect(bulk.calls[1]!.entries[0]!.entryId).toBe(bulk.calls[0]!.entries[2]!.entryId);
    expect(broker.published.map((message) => [message.topic, json(message)['id']])).toEqual([
      ['orders-dead', 'b'],
    ]);
  });

  it('treats an entry without a status, or with an unknown one, as RETRY and ignores unknown entry ids', async () => {
    const { broker, pubsub, logger } = setup();
    const calls: BulkDelivery[] = [];
    let call = 0;
    const deliverBulk: DeliverBulk = async (delivery) => {
      calls.push(delivery);
      call += 1;
      if (call > 1)
        return delivery.entries.map((entry) => ({
          entryId: entry.entryId,
          status: 'SUCCESS' as const,
        }));
      return [
        { entryId: delivery.entries[0]!.entryId, status: 'SUCCESS' },
        { entryId: delivery.entries[1]!.entryId, status: 'MAYBE' as DeliveryStatus },
        { entryId: 'not-in-the-batch', status: 'SUCCESS' },
      ];
    };
    await pubsub.subscribe(spec(), neverDeliver().deliver, { deliverBulk });
    await Promise.all(['a', 'b', 'c'].map((id) => broker.deliver(envelope(id))));
    expect(calls.map(ids)).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
    expect(logger.lines.some((line) => line.msg.includes('not in the batch'))).toBe(true);
    expect(logger.lines.some((line) => line.msg.includes('unknown delivery status'))).toBe(true);
  });

  it('retries every entry when the bulk delivery throws', async () => {
    const { broker, pubsub } = setup();
    const bulk = bulkRecorder([new Error('app down')]);
    await pubsub.subscribe(spec(), neverDeliver().deliver, { deliverBulk: bulk.deliverBulk });
    await Promise.all(['a', 'b', 'c'].map((id) => broker.deliver(envelope(id))));
    expect(bulk.calls.map(ids)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('dead-letters the entries still failing after the last attempt, each with its original bytes', async () => {
    const { broker, pubsub } = setup(3);
    const bulk = bulkRecorder([
      ['RETRY', 'SUCCESS', 'RETRY'],
      ['RETRY', 'RETRY'],
      [undefined, 'RETRY'],
    ]);
    await pubsub.subscribe(spec({ deadLetterTopic: 'orders-dead' }), neverDeliver().deliver, {
      deliverBulk: bulk.deliverBulk,
    });
    const messages = ['a', 'b', 'c'].map((id) => envelope(id));
    await Promise.all(messages.map((message) => broker.deliver(message)));
    expect(bulk.calls.map(ids)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'c'],
      ['a', 'c'],
    ]);
    expect(broker.published.map((message) => message.topic)).toEqual([
      'orders-dead',
      'orders-dead',
    ]);
    expect(broker.published.map((message) => message.data)).toEqual([
      messages[0]!.data,
      messages[2]!.data,
    ]);
  });

  it('nacks the entries still failing after the last attempt when there is no dead-letter topic', async () => {
    const { broker, pubsub } = setup(2);
    const bulk = bulkRecorder([
      ['RETRY', 'SUCCESS', 'RETRY'],
      ['RETRY', 'RETRY'],
    ]);
    await pubsub.subscribe(spec(), neverDeliver().deliver, { deliverBulk: bulk.deliverBulk });
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((id) => broker.deliver(envelope(id))),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(broker.published).toHaveLength(0);
  });

  it('nacks waiting and backing-off messages when the subscription closes', async () => {
    const broker = new FakeBroker();
    const pubsub = new PubSubService({
      name: 'bus',
      broker,
      features: [],
      appId: 'shipping',
      retry: { initialDelayMs: 60_000, maxAttempts: 5 },
    });
    const bulk = bulkRecorder([['SUCCESS', 'RETRY', 'SUCCESS']]);
    const handle = await pubsub.subscribe(spec(), neverDeliver().deliver, {
      deliverBulk: bulk.deliverBulk,
    });
    const batch = ['a', 'b', 'c'].map((id) => broker.deliver(envelope(id)));
    const waiting = broker.deliver(envelope('d'));
    await Promise.allSettled([batch[0], batch[2]]);
    await handle.close();
    const outcomes = await Promise.allSettled([...batch, waiting]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(bulk.calls.map(ids)).toEqual([['a', 'b', 'c']]);
    // A message arriving after close is refused too.
    await expect(broker.deliver(envelope('e'))).rejects.toThrow(/closed/);
  });
});
