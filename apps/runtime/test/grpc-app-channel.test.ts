import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../src/grpc/app-channel/concurrency-limit.ts';
import { GrpcAppChannel, grpcAnswerOf } from '../src/grpc/app-channel/grpc-app-channel.ts';
import { headersFromMetadata, metadataFromHeaders } from '../src/grpc/app-channel/metadata-conversion.ts';
import { topicEventRequest } from '../src/grpc/app-channel/topic-event-request.ts';
import { subscriptionsFromGrpc, UNROUTED_PATH } from '../src/grpc/app-channel/topic-subscriptions.ts';
import { daprProtos } from '../src/grpc/protos.ts';
import { defaultResources, freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

/** A self-signed certificate for the `grpcs` app (test only; daprd does not verify the app's certificate). */
const testKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgM6ObqSQBVUK3gfvZ
ltHocoJPrSQUer+SjFag08NvTUehRANCAARm8VPP52nG/21sNKqzX+r5m0+NMJMl
abZ6touiW7NKU2N8Dwd9LlkZR6sVQQStKmLcVO32iKHk3Baa5ZU/Fy+a
-----END PRIVATE KEY-----
`;
const testCert = `-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUQyAN+CEONUnaKnKvkYbmLNc24a8wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQdGVzdC1hcHAuaW52YWxpZDAgFw0yNjExMjExMTU5NTdaGA8y
MTI2MTAyODExNTk1N1owGzEZMBcGA1UEAwwQdGVzdC1hcHAuaW52YWxpZDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABGbxU8/nacb/bWw0qrNf6vmbT40wkyVptnq2
i6Jbs0pTY3wPB30uWRlHqxVBBK0qYtxU7faIoeTcFprllT8XL5qjUzBRMB0GA1Ud
DgQWBBSwup7FnGM74iVsPZZzKDCODnV2MDAfBgNVHSMEGDAWgBSwup7FnGM74iVs
PZZzKDCODnV2MDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCr
lNNmhguA+5wYhEYdgLqI3v03BwEc5WKkDI738XKOiwIhAOVfkOfrwZyg+80AOV+D
p4yb0qBjfhW5IcPFv5ZTaFSM
-----END CERTIFICATE-----
`;

interface TopicEvent {
  id: string;
  type: string;
  data_content_type: string;
  data: Buffer;
  topic: string;
  pubsub_name: string;
  path: string;
  extensions: { fields: Record<string, { stringValue?: string; numberValue?: number; structValue?: unknown }> };
}

interface Seen {
  event: TopicEvent;
  metadata: Record<string, unknown>;
}

interface InvokeCall {
  method: string;
  data: { type_url: string; value: Buffer } | null;
  content_type: string;
  http_extension: { verb: string; querystring: string } | null;
}

function errorInfoDetails(reason: string): grpc.Metadata {
  const { root } = daprProtos();
  const info = root.lookupType('google.rpc.ErrorInfo');
  const status = root.lookupType('google.rpc.Status');
  const encoded = status
    .encode(
      status.fromObject({
        code: grpc.status.NOT_FOUND,
        message: 'no such order',
        details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: info.encode(info.fromObject({ reason, domain: 'shop.example', metadata: { id: '42' } })).finish() }],
      }),
    )
    .finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(encoded));
  return metadata;
}

/** A gRPC app written against the raw AppCallback service, recording what the sidecar sends. */
class FakeGrpcApp {
  readonly server = new grpc.Server();
  readonly events: Seen[] = [];
  readonly invocations: { request: InvokeCall; metadata: Record<string, unknown> }[] = [];
  readonly bindingEvents: { name: string; data: Buffer; metadata: Record<string, string> }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  #failedOnce = new Set<string>();

  constructor() {
    const protos = daprProtos();
    this.server.addService(protos.appCallback.service, {
      ListTopicSubscriptions: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, {
          subscriptions: [
            { pubsub_name: 'pubsub', topic: 'plain' },
            { pubsub_name: 'pubsub', topic: 'routed', routes: { rules: [{ match: 'event.data.kind == "big"', path: '/big' }], default: '/small' } },
            { pubsub_name: 'pubsub', topic: 'dropme', dead_letter_topic: 'dead' },
            { pubsub_name: 'pubsub', topic: 'unimplemented', dead_letter_topic: 'dead' },
            { pubsub_name: 'pubsub', topic: 'dead' },
            { pubsub_name: 'pubsub', topic: 'fails', metadata: { note: 'kept' } },
          ],
        }),
      OnTopicEvent: (call: grpc.ServerUnaryCall<TopicEvent, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const event = call.request;
        this.events.push({ event, metadata: call.metadata.getMap() });
        if (event.topic === 'dropme') return callback(null, { status: 'DROP' });
        if (event.topic === 'unimplemented') return callback({ code: grpc.status.UNIMPLEMENTED, details: 'no handler' });
        if (event.topic === 'fails' && !this.#failedOnce.has(event.id)) {
          this.#failedOnce.add(event.id);
          return callback({ code: grpc.status.INTERNAL, details: 'try again' });
        }
        callback(null, { status: 'SUCCESS' });
      },
      ListInputBindings: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { bindings: ['kafka-in', 'cron-in'] }),
      OnBindingEvent: (call: grpc.ServerUnaryCall<{ name: string; data: Buffer; metadata: Record<string, string> }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        this.bindingEvents.push(call.request);
        callback(null, {});
      },
      OnInvoke: (call: grpc.ServerUnaryCall<InvokeCall, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const request = call.request;
        this.invocations.push({ request, metadata: call.metadata.getMap() });
        if (request.method === 'missing') {
          return callback({ code: grpc.status.NOT_FOUND, details: 'no such order', metadata: errorInfoDetails('ORDER_NOT_FOUND') });
        }
        if (request.method === 'typed') {
          return callback(null, { data: { type_url: 'type.googleapis.com/google.protobuf.StringValue', value: Buffer.from([0x0a, 0x01, 0x78]) }, content_type: 'ignored' });
        }
        if (request.method === 'slow') {
          this.inFlight += 1;
          this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
          setTimeout(() => {
            this.inFlight -= 1;
            callback(null, { data: { type_url: '', value: Buffer.from('done') }, content_type: 'text/plain' });
          }, 50);
          return;
        }
        const reply = new grpc.Metadata();
        reply.set('x-reply', 'yes');
        call.sendMetadata(reply);
        callback(null, {
          data: { type_url: '', value: Buffer.from(JSON.stringify({ got: request.data?.value.toString() ?? '' })) },
          content_type: 'application/json',
        });
      },
    });
    this.server.addService(protos.appCallbackHealthCheck.service, {
      HealthCheck: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, {}),
    });
  }

  listen(port: number, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => this.server.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  on(topic: string): Seen[] {
    return this.events.filter((seen) => seen.event.topic === topic);
  }
}

async function publish(sidecar: MechadProcess, topic: string, body: string, contentType = 'application/json'): Promise<void> {
  const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  expect(response.status).toBe(204);
}

describe('gRPC app channel through mechad (a raw AppCallback app)', () => {
  const app = new FakeGrpcApp();
  let sidecar: MechadProcess;

  beforeAll(async () => {
    const appPort = await app.listen(await freePort());
    sidecar = await startMechad({
      appId: 'raw-grpc-app',
      appPort,
      args: ['--app-protocol', 'grpc', '--app-max-concurrency', '1'],
      env: { APP_API_TOKEN: 'app-token' },
      resources: {
        ...defaultResources(tempDir('mecha-data-')),
        'cron-in.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: cron-in\nspec:\n  type: bindings.cron\n  version: v1\n  metadata:\n    - name: schedule\n      value: "@every 100ms"\n',
      },
      waitFor: 'ready',
    });
    await waitFor(async () => {
      const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { subscriptions: unknown[] };
      return metadata.subscriptions.length === 6 ? true : undefined;
    }, 'the app subscriptions');
  });

  afterAll(async () => {
    await sidecar?.stop();
    await app.stop();
  });

  it('sends a TopicEventRequest with the envelope fields, extensions and message metadata', async () => {
    const event = { specversion: '1.0', id: 'evt-1', source: 'shop', type: 'order.created', datacontenttype: 'application/json', data: { n: 1 }, myext: 'custom' };
    await publish(sidecar, 'plain', JSON.stringify(event), 'application/cloudevents+json');
    const [seen] = await waitFor(() => (app.on('plain').length > 0 ? app.on('plain') : undefined), 'the event');
    expect(seen!.event).toMatchObject({
      id: 'evt-1',
      type: 'order.created',
      data_content_type: 'application/json',
      topic: 'plain',
      pubsub_name: 'pubsub',
      // A subscription without routes is delivered with an empty path, as daprd does.
      path: '',
    });
    expect(JSON.parse(seen!.event.data.toString())).toEqual({ n: 1 });
    expect(seen!.event.extensions.fields['myext']?.stringValue).toBe('custom');
    expect(seen!.event.extensions.fields['topic']?.stringValue).toBe('plain');
    expect(seen!.event.extensions.fields).not.toHaveProperty('data');
    expect(seen!.metadata['dapr-api-token']).toBe('app-token');
    expect(seen!.metadata['pubsubname']).toBe('pubsub');
  });

  it('hands binary payloads over as their bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/plain`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(response.status).toBe(204);
    const seen = await waitFor(() => app.on('plain').find((s) => s.event.data_content_type === 'application/octet-stream'), 'the binary event');
    expect(Buffer.compare(seen.event.data, bytes)).toBe(0);
  });

  it('routes by the rules the app listed', async () => {
    await publish(sidecar, 'routed', JSON.stringify({ kind: 'big' }));
    await publish(sidecar, 'routed', JSON.stringify({ kind: 'tiny' }));
    await waitFor(() => (app.on('routed').length === 2 ? true : undefined), 'two routed events');
    const paths = app.on('routed').map((s) => [JSON.parse(s.event.data.toString()).kind, s.event.path]);
    expect(paths.sort()).toEqual([
      ['big', '/big'],
      ['tiny', '/small'],
    ]);
  });

  it('dead-letters an event the app answered DROP, and one it answered UNIMPLEMENTED', async () => {
    await publish(sidecar, 'dropme', JSON.stringify({ bad: 'drop' }));
    await publish(sidecar, 'unimplemented', JSON.stringify({ bad: 'unimplemented' }));
    await waitFor(() => (app.on('dead').length === 2 ? true : undefined), 'two dead letters');
    expect(app.on('dead').map((s) => JSON.parse(s.event.data.toString()).bad).sort()).toEqual(['drop', 'unimplemented']);
    expect(app.on('dropme')).toHaveLength(1);
    expect(app.on('unimplemented')).toHaveLength(1);
  });

  it('retries an event whose delivery failed with a gRPC error', async () => {
    await publish(sidecar, 'fails', JSON.stringify({ once: true }));
    await waitFor(() => (app.on('fails').length === 2 ? true : undefined), 'the redelivery');
    const [first, second] = app.on('fails');
    expect(first!.event.id).toBe(second!.event.id);
  });

  it('lists the subscriptions with their metadata and dead-letter topics', async () => {
    const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as {
      subscriptions: { topic: string; deadLetterTopic: string; metadata?: Record<string, string>; rules: { match: string; path: string }[] }[];
    };
    const byTopic = Object.fromEntries(metadata.subscriptions.map((s) => [s.topic, s]));
    expect(byTopic['dropme']!.deadLetterTopic).toBe('dead');
    expect(byTopic['fails']!.metadata).toEqual({ note: 'kept' });
    expect(byTopic['routed']!.rules).toEqual([
      { match: 'event.data.kind == "big"', path: '/big' },
      { match: '', path: '/small' },
    ]);
  });

  it('delivers events of an input binding the app lists through OnBindingEvent', async () => {
    const [event] = await waitFor(() => (app.bindingEvents.length > 0 ? app.bindingEvents : undefined), 'a cron event');
    expect(event!.name).toBe('cron-in');
    expect(event!.data).toEqual(Buffer.alloc(0));
    expect(event!.metadata).toMatchObject({ timeZone: 'Local' });
  });

  it('invokes OnInvoke for an HTTP caller: verb, query, content type, headers as metadata, the app token', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/invoke/raw-grpc-app/method/orders/new?x=1`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'x-custom': 'c', accept: 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-reply')).toBe('yes');
    expect(await response.json()).toEqual({ got: 'hello' });
    const { request, metadata } = app.invocations.find((i) => i.request.method === 'orders/new')!;
    expect(request.http_extension).toEqual({ verb: 'PUT', querystring: 'x=1' });
    expect(request.content_type).toBe('text/plain');
    expect(request.data?.type_url).toBe('');
    expect(metadata['x-custom']).toBe('c');
    // HTTP/2-reserved or permanent HTTP headers reach a gRPC app renamed, as daprd does.
    expect(metadata['dapr-accept']).toBe('text/plain');
    expect(metadata['dapr-caller-app-id']).toBe('raw-grpc-app');
    expect(metadata['dapr-api-token']).toBe('app-token');
  });

  it("gives an HTTP caller the HTTP status of the app's gRPC error and the status as JSON with its details", async () => {
    const response = await fetch(`${sidecar.url}/v1.0/invoke/raw-grpc-app/method/missing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: grpc.status.NOT_FOUND,
      message: 'no such order',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ORDER_NOT_FOUND', domain: 'shop.example', metadata: { id: '42' } }],
    });
  });

  it('answers typed (Any) data as application/x-protobuf', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/invoke/raw-grpc-app/method/typed`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0x0a, 0x01, 0x78]));
  });

  it('keeps to --app-max-concurrency', async () => {
    const calls = [1, 2, 3, 4].map(() => fetch(`${sidecar.url}/v1.0/invoke/raw-grpc-app/method/slow`, { method: 'POST' }));
    const responses = await Promise.all(calls);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(app.maxInFlight).toBe(1);
  });
});

describe('GrpcAppChannel', () => {
  const app = new FakeGrpcApp();
  let port: number;

  beforeAll(async () => {
    port = await app.listen(0);
  });

  afterAll(async () => {
    await app.stop();
  });

  it('probes the app with AppCallbackHealthCheck and reads its lists', async () => {
    const channel = new GrpcAppChannel({ port });
    try {
      await channel.healthProbe();
      expect(await channel.listInputBindings()).toEqual(['kafka-in', 'cron-in']);
      expect((await channel.listTopicSubscriptions()).map((s) => s.topic)).toContain('routed');
    } finally {
      await channel.close();
    }
  });

  it('keeps the gRPC answer for gRPC callers', async () => {
    const channel = new GrpcAppChannel({ port });
    try {
      const response = await channel.invoke({ method: 'missing', httpVerb: 'GET', query: '', headers: {}, body: new Uint8Array(0) });
      const answer = grpcAnswerOf(response);
      expect(answer?.status.code).toBe(grpc.status.NOT_FOUND);
      expect(answer?.status.details.map((d) => d.type_url)).toEqual(['type.googleapis.com/google.rpc.ErrorInfo']);
      expect(grpcAnswerOf({ status: 200, headers: {}, body: new Uint8Array(0) })).toBeUndefined();
    } finally {
      await channel.close();
    }
  });

  it('answers 503 with UNAVAILABLE when the app is not there', async () => {
    const channel = new GrpcAppChannel({ port: await freePort() });
    try {
      const response = await channel.invoke({ method: 'x', httpVerb: 'GET', query: '', headers: {}, body: new Uint8Array(0) });
      expect(response.status).toBe(503);
      expect(JSON.parse(Buffer.from(response.body).toString()).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      await channel.close();
    }
  });

  it('stops a call when the caller aborts', async () => {
    const channel = new GrpcAppChannel({ port });
    try {
      const controller = new AbortController();
      const call = channel.invoke({ method: 'slow', httpVerb: 'POST', query: '', headers: {}, body: new Uint8Array(0), signal: controller.signal });
      controller.abort(new Error('caller went away'));
      await expect(call).rejects.toThrow('caller went away');
    } finally {
      await channel.close();
    }
  });

  it('speaks TLS to a grpcs app without verifying its self-signed certificate', async () => {
    const tlsApp = new FakeGrpcApp();
    const tlsPort = await tlsApp.listen(0, grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(testKey), cert_chain: Buffer.from(testCert) }]));
    const channel = new GrpcAppChannel({ port: tlsPort, tls: true });
    const plain = new GrpcAppChannel({ port: tlsPort });
    try {
      const response = await channel.invoke({ method: 'echo', httpVerb: 'POST', query: '', headers: {}, body: Buffer.from('over tls') });
      expect(response.status).toBe(200);
      expect(JSON.parse(Buffer.from(response.body).toString())).toEqual({ got: 'over tls' });
      // Without TLS the same app cannot be reached.
      expect((await plain.invoke({ method: 'echo', httpVerb: 'POST', query: '', headers: {}, body: new Uint8Array(0) })).status).toBe(503);
    } finally {
      await channel.close();
      await plain.close();
      await tlsApp.stop();
    }
  });

  it('refuses a port out of range', () => {
    expect(() => new GrpcAppChannel({ port: 70000 })).toThrow(RangeError);
  });
});

describe('TopicEventRequest and subscription mapping', () => {
  const delivery = (event: Record<string, unknown>) => ({
    path: '/p',
    event: { id: 'e1', source: 's', type: 't', specversion: '1.0', ...event },
    raw: new Uint8Array(0),
    contentType: 'application/cloudevents+json',
    topic: 'topic',
    pubsubName: 'pubsub',
    metadata: {},
  });

  it('reads the payload by content type, as daprd does', () => {
    expect(topicEventRequest(delivery({ datacontenttype: 'text/plain', data: 'words' })).data.toString()).toBe('words');
    expect(topicEventRequest(delivery({ datacontenttype: 'application/json; charset=utf-8', data: { a: [1] } })).data.toString()).toBe('{"a":[1]}');
    expect(topicEventRequest(delivery({ datacontenttype: 'application/octet-stream', data_base64: 'AAH/' })).data).toEqual(Buffer.from([0, 1, 255]));
    expect(topicEventRequest(delivery({ datacontenttype: 'application/x-custom', data: 'as is' })).data.toString()).toBe('as is');
    expect(topicEventRequest(delivery({})).data).toHaveLength(0);
  });

  it('refuses payloads it cannot read (the block then retries)', () => {
    expect(() => topicEventRequest(delivery({ data_base64: 'not base64!' }))).toThrow(/data_base64/);
    expect(() => topicEventRequest(delivery({ data_base64: 42 }))).toThrow(/data_base64/);
    expect(() => topicEventRequest(delivery({ datacontenttype: 'text/plain', data: { not: 'text' } }))).toThrow(/must be a string/);
  });

  it('carries every other attribute, nested ones included, in extensions', () => {
    const request = topicEventRequest(delivery({ traceparent: '00-abc', nested: { deep: [1, null, true] }, time: '2026-01-01T00:00:00Z' }));
    expect(request.extensions.fields['traceparent']).toEqual({ stringValue: '00-abc' });
    expect(request.extensions.fields['nested']).toEqual({
      structValue: { fields: { deep: { listValue: { values: [{ numberValue: 1 }, { nullValue: 'NULL_VALUE' }, { boolValue: true }] } } } },
    });
    expect(Object.keys(request.extensions.fields).sort()).toEqual(['nested', 'time', 'traceparent']);
    expect(request.path).toBe('/p');
  });

  it('maps ListTopicSubscriptions entries to subscription specs', () => {
    const [plain, routed] = subscriptionsFromGrpc([
      { pubsub_name: 'ps', topic: 'a', metadata: {}, routes: null, dead_letter_topic: '', bulk_subscribe: null },
      {
        pubsub_name: 'ps',
        topic: 'b',
        metadata: { rawPayload: 'true' },
        routes: { rules: [{ match: 'event.type == "x"', path: 'x' }], default: '' },
        dead_letter_topic: 'dlq',
        bulk_subscribe: { enabled: true, max_messages_count: 10, max_await_duration_ms: 0 },
      },
    ]);
    expect(plain).toEqual({ pubsubName: 'ps', topic: 'a', routes: { rules: [], default: UNROUTED_PATH }, metadata: {}, source: 'programmatic' });
    expect(topicEventRequest({ ...delivery({}), path: UNROUTED_PATH }).path).toBe('');
    expect(routed).toEqual({
      pubsubName: 'ps',
      topic: 'b',
      routes: { rules: [{ match: 'event.type == "x"', path: 'x' }] },
      metadata: { rawPayload: 'true' },
      deadLetterTopic: 'dlq',
      bulkSubscribe: { enabled: true, maxMessagesCount: 10 },
      source: 'programmatic',
    });
  });
});

describe('ConcurrencyLimit', () => {
  it('runs waiters in order and lets an aborted waiter leave the queue', async () => {
    const limit = new ConcurrencyLimit(1);
    const order: string[] = [];
    let release!: () => void;
    const first = limit.run(() => new Promise<void>((resolve) => (release = resolve)).then(() => order.push('first')));
    const controller = new AbortController();
    const aborted = limit.run(async () => order.push('aborted'), controller.signal);
    const third = limit.run(async () => order.push('third'));
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    release();
    await Promise.all([first, third]);
    expect(order).toEqual(['first', 'third']);
  });

  it('treats 0 or less as unlimited', async () => {
    const limit = new ConcurrencyLimit(0);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    };
    await Promise.all([limit.run(task), limit.run(task), limit.run(task)]);
    expect(peak).toBe(3);
  });
});

describe('metadata conversion', () => {
  it('leaves out what gRPC metadata cannot carry instead of failing', () => {
    const metadata = metadataFromHeaders({ 'x-ok': 'fine', 'x-latin': 'caf\u00e9', 'Bad Name': 'x', ':authority': 'h', 'x-bin': 'AQI=', host: 'h:1', 'x-many': ['a', 'b'] });
    expect(metadata.getMap()).toEqual({ 'x-ok': 'fine', 'x-bin': Buffer.from([1, 2]), 'dapr-host': 'h:1', 'x-many': 'a' });
    expect(metadata.get('x-many')).toEqual(['a', 'b']);
    const back = new grpc.Metadata();
    back.add('x-reply', 'r');
    back.add('grpc-custom', 'g');
    back.add('trace-bin', Buffer.from([1]));
    back.add('content-type', 'application/grpc');
    expect(headersFromMetadata(back)).toEqual({ 'x-reply': 'r', 'dapr-grpc-custom': 'g' });
  });
});
