import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprProtos } from '../src/grpc/protos.ts';
import { startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface EventMessage {
  id: string;
  source: string;
  type: string;
  spec_version: string;
  data_content_type: string;
  data: Buffer;
  topic: string;
  pubsub_name: string;
  path: string;
  extensions: { fields: Record<string, { stringValue?: string }> };
}

type Answer = 'SUCCESS' | 'RETRY' | 'DROP' | 'none';

/**
 * A raw grpc-js client of SubscribeTopicEventsAlpha1 (the SDK in this version has no
 * streaming subscriptions): records every event and answers each with `answer(event)`.
 */
class StreamingSubscriber {
  readonly events: EventMessage[] = [];
  readonly status: Promise<grpc.StatusObject>;
  readonly opened: Promise<void>;
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;

  constructor(port: number, answer: (event: EventMessage) => Answer = () => 'SUCCESS') {
    const { dapr } = daprProtos();
    this.#client = new dapr(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const open = (this.#client as unknown as Record<string, () => grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>>)[
      'SubscribeTopicEventsAlpha1'
    ]!;
    this.#call = open.call(this.#client);
    let markOpened!: () => void;
    this.opened = new Promise((resolve) => (markOpened = resolve));
    this.status = new Promise((resolve) => this.#call.on('status', resolve));
    this.#call.on('error', () => undefined);
    this.#call.on('data', (message: { initial_response: unknown; event_message: EventMessage | null }) => {
      if (message.initial_response) return markOpened();
      const event = message.event_message!;
      this.events.push(event);
      const status = answer(event);
      if (status !== 'none') this.ack(event.id, status);
    });
  }

  send(message: Record<string, unknown>): void {
    this.#call.write(message);
  }

  subscribe(pubsubName: string, topic: string, extra: Record<string, unknown> = {}): void {
    this.send({ initial_request: { pubsub_name: pubsubName, topic, metadata: {}, ...extra } });
  }

  ack(id: string, status: 'SUCCESS' | 'RETRY' | 'DROP'): void {
    this.send({ event_processed: { id, status: { status } } });
  }

  end(): void {
    this.#call.end();
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

async function publish(sidecar: MechadProcess, topic: string, data: unknown): Promise<void> {
  const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
  expect(response.status).toBe(204);
}

async function streamingSubscriptions(sidecar: MechadProcess): Promise<{ topic: string; type: string; rules: unknown }[]> {
  const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { subscriptions: { topic: string; type: string; rules: unknown }[] };
  return metadata.subscriptions.filter((s) => s.type === 'STREAMING');
}

/** Streaming subscriptions (SubscribeTopicEventsAlpha1) against a real mechad with no app. */
describe('gRPC streaming subscriptions', () => {
  let sidecar: MechadProcess;
  const open: StreamingSubscriber[] = [];
  const subscriber = (answer?: (event: EventMessage) => Answer): StreamingSubscriber => {
    const s = new StreamingSubscriber(sidecar.grpcPort, answer);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    sidecar = await startMechad({ appId: 'streamer' });
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await sidecar?.stop();
  });

  it('receives every event published while connected, as TopicEventRequests', async () => {
    const s = subscriber();
    s.subscribe('pubsub', 'fifty');
    await s.opened;
    for (let n = 0; n < 50; n++) await publish(sidecar, 'fifty', { n });
    await waitFor(() => (s.events.length >= 50 ? true : undefined), '50 events');
    expect(s.events.map((e) => JSON.parse(e.data.toString()).n).sort((a: number, b: number) => a - b)).toEqual([...Array(50).keys()]);
    expect(new Set(s.events.map((e) => e.id)).size).toBe(50);
    const first = s.events[0]!;
    expect(first).toMatchObject({
      topic: 'fifty',
      pubsub_name: 'pubsub',
      path: '/',
      spec_version: '1.0',
      data_content_type: 'application/json',
      type: 'com.dapr.event.sent',
      source: 'streamer',
    });
    expect(first.extensions.fields['pubsubname']?.stringValue).toBe('pubsub');
    expect(first.extensions.fields['topic']?.stringValue).toBe('fifty');
    // Attributes with their own field are not repeated in the extensions.
    expect(Object.keys(first.extensions.fields)).not.toContain('id');
    expect(Object.keys(first.extensions.fields)).not.toContain('data');
    s.end();
    expect((await s.status).code).toBe(grpc.status.OK);
  });

  it('delivers again an event answered RETRY', async () => {
    let retried = false;
    const s = subscriber((event) => {
      if (!retried && JSON.parse(event.data.toString()).flaky) {
        retried = true;
        return 'RETRY';
      }
      return 'SUCCESS';
    });
    s.subscribe('pubsub', 'retries');
    await s.opened;
    await publish(sidecar, 'retries', { flaky: true });
    await publish(sidecar, 'retries', { flaky: false });
    await waitFor(() => (s.events.length >= 3 ? true : undefined), 'the redelivery');
    const flaky = s.events.filter((e) => JSON.parse(e.data.toString()).flaky);
    expect(flaky).toHaveLength(2);
    expect(flaky[0]!.id).toBe(flaky[1]!.id);
    s.end();
  });

  it('waits for the answer: an unanswered event stays in flight, and is redelivered once answered RETRY late', async () => {
    const s = subscriber(() => 'none');
    s.subscribe('pubsub', 'slow');
    await s.opened;
    await publish(sidecar, 'slow', { one: 1 });
    await waitFor(() => (s.events.length === 1 ? true : undefined), 'the event');
    // Acknowledging an id the stream is not waiting for is ignored, not an error.
    s.ack('no-such-event', 'SUCCESS');
    s.ack(s.events[0]!.id, 'RETRY');
    await waitFor(() => (s.events.length === 2 ? true : undefined), 'the redelivery');
    expect(s.events[1]!.id).toBe(s.events[0]!.id);
    s.ack(s.events[1]!.id, 'SUCCESS');
    s.end();
    expect((await s.status).code).toBe(grpc.status.OK);
  });

  it('sends a dropped event to the dead-letter topic', async () => {
    const dead = subscriber();
    dead.subscribe('pubsub', 'graveyard');
    await dead.opened;
    const s = subscriber(() => 'DROP');
    s.subscribe('pubsub', 'doomed', { dead_letter_topic: 'graveyard' });
    await s.opened;
    await publish(sidecar, 'doomed', { rip: true });
    await waitFor(() => (dead.events.length === 1 ? true : undefined), 'the dead letter');
    expect(JSON.parse(dead.events[0]!.data.toString())).toEqual({ rip: true });
    expect(s.events).toHaveLength(1);
    s.end();
    dead.end();
  });

  it('lists the subscription as STREAMING while the stream is open, and removes it after', async () => {
    const s = subscriber();
    s.subscribe('pubsub', 'listed');
    await s.opened;
    expect(await streamingSubscriptions(sidecar)).toEqual([expect.objectContaining({ topic: 'listed', type: 'STREAMING' })]);
    s.close();
    await waitFor(async () => ((await streamingSubscriptions(sidecar)).length === 0 ? true : undefined), 'the subscription to go');
  });

  it('lets two streams share a topic: each gets the events', async () => {
    const a = subscriber();
    const b = subscriber();
    a.subscribe('pubsub', 'shared');
    b.subscribe('pubsub', 'shared');
    await Promise.all([a.opened, b.opened]);
    await publish(sidecar, 'shared', { x: 1 });
    await waitFor(() => (a.events.length + b.events.length >= 1 ? true : undefined), 'the event');
    a.end();
    b.end();
  });

  it('refuses an unknown pub/sub with INVALID_ARGUMENT', async () => {
    const s = subscriber();
    s.subscribe('nope', 'x');
    const status = await s.status;
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toBe('pubsub nope is not found');
  });

  it('answers protocol mistakes as daprd does (UNKNOWN)', async () => {
    const noInitial = subscriber();
    noInitial.send({ event_processed: { id: 'x', status: { status: 'SUCCESS' } } });
    expect(await noInitial.status).toMatchObject({ code: grpc.status.UNKNOWN, details: 'initial request is required' });

    const noTopic = subscriber();
    noTopic.subscribe('pubsub', '');
    expect(await noTopic.status).toMatchObject({ code: grpc.status.UNKNOWN, details: 'topic is required' });

    const noPubsub = subscriber();
    noPubsub.subscribe('', 'x');
    expect(await noPubsub.status).toMatchObject({ code: grpc.status.UNKNOWN, details: 'pubsubName is required' });

    const twice = subscriber();
    twice.subscribe('pubsub', 'twice');
    await twice.opened;
    twice.subscribe('pubsub', 'twice');
    expect(await twice.status).toMatchObject({ code: grpc.status.UNKNOWN, details: 'duplicate initial request received' });
    await waitFor(async () => ((await streamingSubscriptions(sidecar)).some((s) => s.topic === 'twice') ? undefined : true), 'the subscription to go');
  });

  it('keeps serving after a client vanishes mid-delivery', async () => {
    const gone = subscriber(() => 'none');
    gone.subscribe('pubsub', 'vanish');
    await gone.opened;
    await publish(sidecar, 'vanish', { lost: true });
    await waitFor(() => (gone.events.length === 1 ? true : undefined), 'the event');
    gone.close();
    const next = subscriber();
    next.subscribe('pubsub', 'vanish');
    await next.opened;
    await publish(sidecar, 'vanish', { after: true });
    await waitFor(() => (next.events.some((e) => JSON.parse(e.data.toString()).after) ? true : undefined), 'an event on a new stream');
    next.end();
  });
});

describe('gRPC streaming subscriptions at shutdown', () => {
  it('ends open streams with UNAVAILABLE when the sidecar stops', async () => {
    const sidecar = await startMechad({ appId: 'streamer-stop' });
    const s = new StreamingSubscriber(sidecar.grpcPort);
    try {
      s.subscribe('pubsub', 'bye');
      await s.opened;
      expect(await sidecar.stop()).toBe(0);
      expect((await s.status).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      s.close();
      await sidecar.stop();
    }
  });
});
