import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { streamNameForTopic } from '../src/jetstream-names.ts';
import { CREATED_STREAM_DESCRIPTION } from '../src/stream-catalog.ts';
import { brokerFixture } from './broker-fixture.ts';
import { withAdmin } from './jetstream-admin.ts';
import { NATS_URL, requireServer } from './nats-server.ts';
import { pause, Recorder, text } from './recorder.ts';

beforeAll(() => requireServer(NATS_URL, 'nats'));

const fixture = brokerFixture(() => NATS_URL);

function cloudEvent(id: string, topic: string): Uint8Array {
  return text(JSON.stringify({ specversion: '1.0', id, source: 'test', type: 't', topic, data: id }));
}

describe('pubsub.jetstream delivery', () => {
  it('delivers a rejected message again, after the redelivery delay, until the handler succeeds', async () => {
    const broker = await fixture.broker();
    const topic = fixture.topic('nak');
    const recorder = new Recorder((_, attempt) => {
      if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
    });
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await broker.publish({ topic, data: text('again'), metadata: {} });
    await recorder.waitFor('three attempts', () => recorder.messages.length >= 3);
    await pause(300);
    expect(recorder.texts).toEqual(['again', 'again', 'again']);
  });

  it('waits the backOff delay for the delivery count before redelivering a rejected message', async () => {
    const broker = await fixture.broker({ consumer: { backOffMs: [50, 400], maxDeliver: 10 } });
    const topic = fixture.topic('backoff');
    const times: number[] = [];
    const recorder = new Recorder((_, attempt) => {
      times.push(Date.now());
      if (attempt < 3) throw new Error('not yet');
    });
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await broker.publish({ topic, data: text('x'), metadata: {} });
    await recorder.waitFor('three attempts', () => recorder.messages.length >= 3);
    // The second redelivery waited for the second entry (a lower bound, not a speed check).
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(350);
  });

  it('redelivers to the next subscriber of the group a message whose subscriber closed mid-handling', async () => {
    const topic = fixture.topic('abandoned');
    const first = await fixture.broker({ consumer: { ackWaitMs: 1000 } });
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    const stuck = new Recorder(() => {
      started();
      return new Promise<void>(() => {}); // never settles
    });
    const subscription = await first.subscribe({ topic, consumerGroup: 'workers', metadata: {} }, stuck.handler);
    await first.publish({ topic, data: text('unfinished'), metadata: {} });
    await handling;
    await subscription.close(); // gives up on the handler after closeTimeoutMs, without an ack
    await first.close();

    const second = await fixture.broker({ consumer: { ackWaitMs: 1000 } });
    const next = new Recorder();
    await second.subscribe({ topic, consumerGroup: 'workers', metadata: {} }, next.handler);
    await next.waitFor('the redelivery', () => next.messages.length === 1);
    expect(next.texts).toEqual(['unfinished']);
  });

  it('gives back messages waiting behind a running handler when the subscription closes', async () => {
    const topic = fixture.topic('queued');
    const broker = await fixture.broker({ consumer: { ackWaitMs: 30_000 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new Recorder(() => gate);
    const subscription = await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, slow.handler);
    for (const n of [1, 2, 3]) await broker.publish({ topic, data: text(`m${n}`), metadata: {} });
    await slow.waitFor('the first message', () => slow.messages.length === 1);
    await pause(200); // the other two are fetched and wait behind it
    const closing = subscription.close();
    release();
    await closing;
    // ackWait is 30 s: only a nak on close gets m2 and m3 to another subscriber this soon.
    const other = new Recorder();
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, other.handler);
    await other.waitFor('m2 and m3', () => other.messages.length >= 2);
    expect(other.texts.sort()).toEqual(['m2', 'm3']);
  });

  it('keeps messages for a group while it has no subscriber', async () => {
    const topic = fixture.topic('offline');
    const broker = await fixture.broker();
    const early = new Recorder();
    const subscription = await broker.subscribe({ topic, consumerGroup: 'billing', metadata: {} }, early.handler);
    await broker.publish({ topic, data: text('while-online'), metadata: {} });
    await early.waitFor('the first message', () => early.messages.length === 1);
    await subscription.close();

    for (const n of [1, 2, 3]) await broker.publish({ topic, data: text(`while-away-${n}`), metadata: {} });
    const later = new Recorder();
    await broker.subscribe({ topic, consumerGroup: 'billing', metadata: {} }, later.handler);
    await later.waitFor('the three kept messages', () => later.messages.length >= 3);
    await pause(200);
    expect(later.texts).toEqual(['while-away-1', 'while-away-2', 'while-away-3']);
  });

  it('hands messages over in order, one at a time, with concurrency single', async () => {
    const topic = fixture.topic('single');
    const broker = await fixture.broker({ concurrency: 'single' });
    let running = 0;
    let most = 0;
    const recorder = new Recorder(async () => {
      most = Math.max(most, ++running);
      await pause(2);
      running--;
    });
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    const sent = Array.from({ length: 30 }, (_, n) => `m${n}`);
    await broker.bulkPublish(sent.map((value) => ({ topic, data: text(value), metadata: {} })));
    await recorder.waitFor('30 messages', () => recorder.messages.length === 30);
    expect(most).toBe(1);
    expect(recorder.texts).toEqual(sent.toSorted((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
  });

  it('runs handlers side by side with concurrency parallel', async () => {
    const topic = fixture.topic('parallel');
    const broker = await fixture.broker({ concurrency: 'parallel' });
    let running = 0;
    let most = 0;
    const recorder = new Recorder(async () => {
      most = Math.max(most, ++running);
      await pause(50);
      running--;
    });
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await broker.bulkPublish(Array.from({ length: 10 }, (_, n) => ({ topic, data: text(`m${n}`), metadata: {} })));
    await recorder.waitFor('10 messages', () => recorder.messages.length === 10);
    expect(most).toBeGreaterThan(1);
  });

  it('does not redeliver a message whose handler outlives ackWait', async () => {
    const topic = fixture.topic('slow');
    const broker = await fixture.broker({ consumer: { ackWaitMs: 1000 } });
    const recorder = new Recorder(() => pause(2500));
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await broker.publish({ topic, data: text('slow'), metadata: {} });
    await recorder.waitFor('the delivery', () => recorder.messages.length === 1);
    await pause(2500);
    expect(recorder.texts).toEqual(['slow']);
  });

  it('carries the content type and the bytes unchanged', async () => {
    const topic = fixture.topic('bytes');
    const broker = await fixture.broker();
    const recorder = new Recorder();
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await broker.publish({ topic, data: bytes, contentType: 'application/octet-stream', metadata: {} });
    await recorder.waitFor('the delivery', () => recorder.messages.length === 1);
    expect(recorder.messages[0]).toMatchObject({ topic, contentType: 'application/octet-stream' });
    expect(new Uint8Array(recorder.messages[0]!.data)).toEqual(bytes);
  });

  it('creates a stream for a topic no stream captures, on publish, and keeps the message for a later group', async () => {
    const topic = fixture.topic('publish-first');
    const broker = await fixture.broker();
    await broker.publish({ topic, data: text('before any subscriber'), metadata: {} });
    const info = await withAdmin(NATS_URL, (jsm) => jsm.streams.info(streamNameForTopic(topic)));
    expect(info.config.subjects).toEqual([topic]);
    expect(info.config.description).toBe(CREATED_STREAM_DESCRIPTION);
    const recorder = new Recorder();
    await broker.subscribe({ topic, consumerGroup: 'late', metadata: {} }, recorder.handler);
    await recorder.waitFor('the earlier message', () => recorder.messages.length === 1);
  });

  it('uses an existing stream that captures the topic with a wildcard', async () => {
    const stream = fixture.stream(`mecha-test-orders-${randomUUID().slice(0, 8)}`);
    const prefix = `${stream}.orders`;
    await withAdmin(NATS_URL, (jsm) => jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] }));
    const broker = await fixture.broker();
    const recorder = new Recorder();
    await broker.subscribe({ topic: `${prefix}.created`, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await broker.publish({ topic: `${prefix}.created`, data: text('o1'), metadata: {} });
    await broker.publish({ topic: `${prefix}.deleted`, data: text('other topic'), metadata: {} });
    await recorder.waitFor('the delivery', () => recorder.messages.length === 1);
    await pause(200);
    expect(recorder.texts).toEqual(['o1']);
    const streams = await withAdmin(NATS_URL, async (jsm) => {
      const names: string[] = [];
      for await (const name of jsm.streams.names(`${prefix}.created`)) names.push(name);
      return names;
    });
    expect(streams).toEqual([stream]);
  });

  it('refuses a streamName stream it did not create and that does not capture the topic', async () => {
    const stream = fixture.stream(`mecha-test-foreign-${randomUUID().slice(0, 8)}`);
    await withAdmin(NATS_URL, (jsm) => jsm.streams.add({ name: stream, subjects: [`${stream}.only`] }));
    const broker = await fixture.broker({ streamName: stream });
    await expect(
      broker.subscribe({ topic: `${stream}.other`, consumerGroup: 'g', metadata: {} }, async () => {}),
    ).rejects.toThrow(/stream '.*' \(metadata field 'streamName'\) does not capture topic/);
  });

  it('drops a second publish of one CloudEvent id on a topic, but not the same event on another topic', async () => {
    const stream = fixture.stream(`mecha-test-dedupe-${randomUUID().slice(0, 8)}`);
    const broker = await fixture.broker({ streamName: stream });
    const main = `${stream}.main`;
    const dead = `${stream}.dead`;
    const mainRecorder = new Recorder();
    const deadRecorder = new Recorder();
    await broker.subscribe({ topic: main, consumerGroup: 'g', metadata: {} }, mainRecorder.handler);
    await broker.subscribe({ topic: dead, consumerGroup: 'g', metadata: {} }, deadRecorder.handler);
    const contentType = 'application/cloudevents+json';
    await broker.publish({ topic: main, data: cloudEvent('evt-1', main), contentType, metadata: {} });
    await broker.publish({ topic: main, data: cloudEvent('evt-1', main), contentType, metadata: {} });
    await broker.publish({ topic: dead, data: cloudEvent('evt-1', main), contentType, metadata: {} });
    await deadRecorder.waitFor('the dead letter', () => deadRecorder.messages.length === 1);
    await mainRecorder.waitFor('the event', () => mainRecorder.messages.length >= 1);
    await pause(200);
    expect(mainRecorder.messages).toHaveLength(1);
  });

  it('refuses a durableName that already names the consumer of another topic in the stream', async () => {
    const stream = fixture.stream(`mecha-test-durable-${randomUUID().slice(0, 8)}`);
    const broker = await fixture.broker({ streamName: stream, durableName: 'shared' });
    await broker.subscribe({ topic: `${stream}.a`, consumerGroup: 'g', metadata: {} }, async () => {});
    await expect(
      broker.subscribe({ topic: `${stream}.b`, consumerGroup: 'g', metadata: {} }, async () => {}),
    ).rejects.toThrow(/'durableName' can name the consumer of only one topic/);
  });

  it('names the durable consumer durableName when it is set', async () => {
    const topic = fixture.topic('named');
    const broker = await fixture.broker({ durableName: 'my-durable' });
    await broker.subscribe({ topic, consumerGroup: 'ignored', metadata: {} }, async () => {});
    const info = await withAdmin(NATS_URL, (jsm) => jsm.consumers.info(streamNameForTopic(topic), 'my-durable'));
    expect(info.config).toMatchObject({ filter_subject: topic, ack_policy: 'explicit', durable_name: 'my-durable' });
  });

  it('applies changed ackWait and maxDeliver to an existing consumer and keeps its position', async () => {
    const topic = fixture.topic('settings');
    const first = await fixture.broker({ consumer: { ackWaitMs: 1000 } });
    const seen = new Recorder();
    const subscription = await first.subscribe({ topic, consumerGroup: 'g', metadata: {} }, seen.handler);
    await first.publish({ topic, data: text('handled'), metadata: {} });
    await seen.waitFor('the first message', () => seen.messages.length === 1);
    await subscription.close();

    const second = await fixture.broker({ consumer: { ackWaitMs: 3000, maxDeliver: 7, deliverPolicy: 'new' } });
    const later = new Recorder();
    await second.subscribe({ topic, consumerGroup: 'g', metadata: {} }, later.handler);
    await second.publish({ topic, data: text('next'), metadata: {} });
    await later.waitFor('the next message', () => later.messages.length === 1);
    expect(later.texts).toEqual(['next']);
    const [info] = await withAdmin(NATS_URL, async (jsm) => {
      const infos = [];
      for await (const consumer of jsm.consumers.list(streamNameForTopic(topic))) infos.push(consumer);
      return infos;
    });
    // ackWait and maxDeliver change in place; the deliver policy of a consumer never does.
    expect(info!.config).toMatchObject({ ack_wait: 3000 * 1e6, max_deliver: 7, deliver_policy: 'all' });
  });

  it('publishes in bulk and reports every entry it could not publish', async () => {
    const topic = fixture.topic('bulk');
    const broker = await fixture.broker();
    const recorder = new Recorder();
    await broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    const failures = await broker.bulkPublish([
      { topic, data: text('a'), metadata: {} },
      { topic: 'not a subject', data: text('b'), metadata: {} },
      { topic, data: text('c'), metadata: {} },
      { topic: 'wild.*', data: text('d'), metadata: {} },
    ]);
    expect(failures.map((failure) => failure.index)).toEqual([1, 3]);
    expect(failures[0]!.error).toMatch(/cannot publish to topic 'not a subject'/);
    await recorder.waitFor('a and c', () => recorder.messages.length === 2);
    expect(recorder.texts.sort()).toEqual(['a', 'c']);
  });

  it('refuses publish, bulk publish and subscribe once closed', async () => {
    const broker = await fixture.broker();
    const topic = fixture.topic('closed');
    await broker.close();
    await expect(broker.publish({ topic, data: text('x'), metadata: {} })).rejects.toThrow(/closed/);
    await expect(broker.bulkPublish([{ topic, data: text('x'), metadata: {} }])).rejects.toThrow(/closed/);
    await expect(broker.subscribe({ topic, consumerGroup: 'g', metadata: {} }, async () => {})).rejects.toThrow(
      /closed/,
    );
    await expect(broker.ping()).rejects.toThrow(/closed/);
  });
});
