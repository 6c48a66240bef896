import { describe, expect, it } from 'vitest';
import { PubSubService, type PubSubFeature } from '../src/index.ts';
import { FakeBroker, json } from './fake-broker.ts';

function setup(options: { features?: PubSubFeature[]; rawMetadata?: Record<string, string> } = {}) {
  const broker = new FakeBroker();
  const pubsub = new PubSubService({
    name: 'orders-bus',
    broker,
    features: options.features ?? [],
    appId: 'checkout',
    rawMetadata: options.rawMetadata,
  });
  return { broker, pubsub };
}

describe('publish: envelope', () => {
  it('wraps JSON data in a CloudEvent as daprd does', async () => {
    const { broker, pubsub } = setup();
    await pubsub.publish({ topic: 'orders', data: { id: 7, items: ['a'] } });
    const message = broker.published[0]!;
    expect(message.topic).toBe('orders');
    expect(message.contentType).toBe('application/cloudevents+json');
    const event = json(message);
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'com.dapr.event.sent',
      source: 'checkout',
      datacontenttype: 'application/json',
      topic: 'orders',
      pubsubname: 'orders-bus',
      data: { id: 7, items: ['a'] },
    });
    expect(event['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    expect(Date.parse(String(event['time']))).toBeGreaterThan(Date.now() - 60_000);
    expect(event).not.toHaveProperty('data_base64');
    expect(event).not.toHaveProperty('traceid');
  });

  it('parses JSON bytes for a JSON content type and keeps unparseable JSON as a string', async () => {
    const { broker, pubsub } = setup();
    await pubsub.publish({
      topic: 't',
      data: new TextEncoder().encode('{"a":[1,2]}'),
      contentType: 'application/json; charset=utf-8',
    });
    await pubsub.publish({ topic: 't', data: 'not { json', contentType: 'application/json' });
    await pubsub.publish({
      topic: 't',
      data: '"quoted"',
      contentType: 'application/vnd.thing+json',
    });
    expect(json(broker.published[0]!)['data']).toEqual({ a: [1, 2] });
    expect(json(broker.published[1]!)['data']).toBe('not { json');
    expect(json(broker.published[2]!)['data']).toBe('quoted');
  });

  it('puts text in data as a string and binary in data_base64', async () => {
    const { broker, pubsub } = setup();
    await pubsub.publish({ topic: 't', data: 'hello' });
    await pubsub.publish({ topic: 't', data: new Uint8Array([0, 255, 10]) });
    await pubsub.publish({
      topic: 't',
      data: new TextEncoder().encode('<a/>'),
      contentType: 'application/xml',
    });
    expect(json(broker.published[0]!)).toMatchObject({
      datacontenttype: 'text/plain',
      data: 'hello',
    });
    const binary = json(broker.published[1]!);
    expect(binary).toMatchObject({
      datacontenttype: 'application/octet-stream',
      data_base64: Buffer.from([0, 255, 10]).toString('base64'),
    });
    expect(binary).not.toHaveProperty('data');
    expect(json(broker.published[2]!)).toMatchObject({
      datacontenttype: 'application/xml',
      data: '<a/>',
    });
  });

  it('keeps a CloudEvent the publisher built and only fills what is missing', async () => {
    const { broker, pubsub } = setup();
    const given = {
      specversion: '1.0',
      id: 'evt-1',
      source: 'https://shop.example/checkout',
      type: 'order.placed',
      time: '2024-01-02T03:04:05+02:00',
      myext: 'kept',
      topic: 'wrong-topic',
      pubsubname: 'wrong-bus',
      data: { ok: true },
    };
    await pubsub.publish({
      topic: 'orders',
      data: JSON.stringify(given),
      contentType: 'application/cloudevents+json',
      metadata: { 'cloudevent.type': 'ignored.for.cloudevents' },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(json(broker.published[0]!)).toEqual({
      ...given,
      topic: 'orders',
      pubsubname: 'orders-bus',
      traceid: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });

  it('treats an object with specversion and no content type as a CloudEvent, adding defaults', async () => {
    const { broker, pubsub } = setup();
    await pubsub.publish({
      topic: 'orders',
      data: { specversion: '1.0', id: 'x1', data: 'payload' },
    });
    expect(json(broker.published[0]!)).toMatchObject({
      id: 'x1',
      source: 'Dapr',
      type: 'com.dapr.event.sent',
      data: 'payload',
      topic: 'orders',
      pubsubname: 'orders-bus',
    });
  });

  it('refuses a CloudEvent that is not JSON, not an object, or invalid', async () => {
    const { broker, pubsub } = setup();
    const ce = 'application/cloudevents+json';
    for (const data of [
      '{broken',
      '[1,2]',
      JSON.stringify({ specversion: '1.0', id: 42, source: 's', type: 't' }),
    ]) {
      await expect(pubsub.publish({ topic: 't', data, contentType: ce })).rejects.toMatchObject({
        code: 'ERR_PUBSUB_CLOUD_EVENTS_SER',
        info: { reason: 'DAPR_PUBSUB_CLOUD_EVENT_CREATION' },
      });
    }
    expect(broker.published).toHaveLength(0);
  });

  it('applies cloudevent.* metadata and trace context to a new envelope', async () => {
    const { broker, pubsub } = setup();
    await pubsub.publish({
      topic: 't',
      data: 'x',
      metadata: {
        'cloudevent.id': 'fixed-id',
        'CloudEvent.Type': 'custom.type',
        'cloudevent.source': 'custom-source',
        'cloudevent.subject': 'subj',
        tracestate: 'k=v',
      },
      traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
    });
    expect(json(broker.published[0]!)).toMatchObject({
      id: 'fixed-id',
      type: 'custom.type',
      source: 'custom-source',
      subject: 'subj',
      traceid: '00-11111111111111111111111111111111-2222222222222222-01',
      traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
      tracestate: 'k=v',
    });
    expect(broker.published[0]!.metadata['cloudevent.id']).toBe('fixed-id');
  });

  it('sends a raw payload untouched', async () => {
    const { broker, pubsub } = setup();
    const payload = new Uint8Array([1, 2, 3]);
    await pubsub.publish({
      topic: 't',
      data: payload,
      contentType: 'application/x-thing',
      metadata: { rawPayload: 'true' },
    });
    await pubsub.publish({ topic: 't', data: { a: 1 }, metadata: { rawPayload: 'True' } });
    expect(broker.published[0]).toMatchObject({
      data: payload,
      contentType: 'application/x-thing',
      metadata: { rawPayload: 'true' },
    });
    expect(new TextDecoder().decode(broker.published[1]!.data)).toBe('{"a":1}');
    expect(broker.published[1]!.contentType).toBe('application/json');
  });

  it('refuses a rawPayload value that is not a boolean, with daprd wording', async () => {
    const { pubsub } = setup();
    await expect(
      pubsub.publish({ topic: 't', data: 'x', metadata: { rawPayload: 'yes' } }),
    ).rejects.toMatchObject({
      code: 'ERR_PUBSUB_REQUEST_METADATA',
      kind: 'invalid-argument',
      message:
        "failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is 'yes'",
    });
  });
});

describe('publish: TTL', () => {
  it('adds expiration when the broker cannot expire messages', async () => {
    const { broker, pubsub } = setup();
    const before = Date.now();
    await pubsub.publish({ topic: 't', data: 'x', metadata: { ttlInSeconds: '30' } });
    await pubsub.publish({ topic: 't', data: 'x', metadata: { ttlInSeconds: '1m' } });
    const first = Date.parse(String(json(broker.published[0]!)['expiration']));
    const second = Date.parse(String(json(broker.published[1]!)['expiration']));
    expect(first).toBeGreaterThanOrEqual(before + 30_000);
    expect(first).toBeLessThan(before + 40_000);
    expect(second).toBeGreaterThanOrEqual(before + 60_000);
    expect(broker.published[0]!.metadata['ttlInSeconds']).toBe('30');
  });

  it('leaves expiry to a broker that declares MESSAGE_TTL', async () => {
    const { broker, pubsub } = setup({ features: ['MESSAGE_TTL'] });
    await pubsub.publish({ topic: 't', data: 'x', metadata: { ttlInSeconds: '30' } });
    expect(json(broker.published[0]!)).not.toHaveProperty('expiration');
    expect(broker.published[0]!.metadata['ttlInSeconds']).toBe('30');
  });

  it('refuses a TTL that is not a number or duration', async () => {
    const { pubsub } = setup();
    for (const ttl of ['soon', '-5']) {
      await expect(
        pubsub.publish({ topic: 't', data: 'x', metadata: { ttlInSeconds: ttl } }),
      ).rejects.toMatchObject({
        code: 'ERR_PUBSUB_REQUEST_METADATA',
      });
    }
  });
});

describe('publish: errors and scopes', () => {
  it('refuses an empty topic', async () => {
    const { pubsub } = setup();
    await expect(pubsub.publish({ topic: '', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_TOPIC_NAME_EMPTY',
      message: 'topic is empty in pubsub orders-bus',
    });
  });

  it('wraps a broker failure in ERR_PUBSUB_PUBLISH_MESSAGE', async () => {
    const { broker, pubsub } = setup();
    broker.failPublish = new Error('connection reset');
    await expect(pubsub.publish({ topic: 'orders', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_PUBLISH_MESSAGE',
      kind: 'internal',
      message: 'error when publishing to topic orders in pubsub orders-bus: connection reset',
      info: {
        resource: { type: 'pubsub', name: 'orders-bus' },
        metadata: { topic: 'orders', error: 'connection reset' },
      },
    });
  });

  it('refuses to publish after close', async () => {
    const { broker, pubsub } = setup();
    await pubsub.close();
    expect(broker.closed).toBe(true);
    await expect(pubsub.publish({ topic: 't', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_PUBLISH_MESSAGE',
    });
  });

  it('honours allowedTopics', async () => {
    const { broker, pubsub } = setup({ rawMetadata: { allowedTopics: 'orders, payments' } });
    await pubsub.publish({ topic: 'payments', data: 'x' });
    await expect(pubsub.publish({ topic: 'secrets', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_FORBIDDEN',
      kind: 'permission-denied',
      message: 'topic secrets is not allowed for app id checkout',
    });
    expect(broker.published).toHaveLength(1);
  });

  it('honours publishingScopes for the listed app only', async () => {
    const scoped = setup({ rawMetadata: { publishingScopes: 'checkout=orders;audit=' } });
    await scoped.pubsub.publish({ topic: 'orders', data: 'x' });
    await expect(scoped.pubsub.publish({ topic: 'payments', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_FORBIDDEN',
    });
    const unlisted = setup({ rawMetadata: { publishingScopes: 'billing=orders' } });
    await unlisted.pubsub.publish({ topic: 'anything', data: 'x' });
    const none = new PubSubService({
      name: 'b',
      broker: new FakeBroker(),
      features: [],
      appId: 'audit',
      rawMetadata: { publishingScopes: 'checkout=orders;audit=' },
    });
    await expect(none.publish({ topic: 'orders', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_FORBIDDEN',
    });
  });

  it('lets only granted apps use protected topics', async () => {
    const granted = setup({
      rawMetadata: { protectedTopics: 'payments', publishingScopes: 'checkout=payments' },
    });
    await granted.pubsub.publish({ topic: 'payments', data: 'x' });
    const other = setup({ rawMetadata: { protectedTopics: 'payments' } });
    await expect(other.pubsub.publish({ topic: 'payments', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_FORBIDDEN',
    });
    await other.pubsub.publish({ topic: 'orders', data: 'x' });
  });
});

describe('bulkPublish', () => {
  const entries = [
    { entryId: '1', event: { a: 1 }, contentType: 'application/json' },
    { entryId: '2', event: 'text', contentType: 'text/plain' },
    {
      entryId: '3',
      event: Buffer.from('bin').toString('base64'),
      contentType: 'application/octet-stream',
    },
  ];

  it('falls back to one publish per entry and reports failures by entryId', async () => {
    const { broker, pubsub } = setup();
    let calls = 0;
    const publish = broker.publish.bind(broker);
    broker.publish = async (message) => {
      calls += 1;
      if (calls === 2) throw new Error('boom');
      await publish(message);
    };
    const result = await pubsub.bulkPublish({ topic: 't', entries, metadata: { shared: 'yes' } });
    expect(result.failedEntries).toEqual([{ entryId: '2', error: 'boom' }]);
    expect(broker.published.map((m) => json(m)['data'] ?? json(m)['data_base64'])).toEqual([
      { a: 1 },
      Buffer.from('bin').toString('base64'),
    ]);
    expect(broker.published[0]!.metadata).toEqual({ shared: 'yes' });
  });

  it('uses the broker bulk publish and maps failures back to entry ids', async () => {
    const { broker, pubsub } = setup();
    const batches: number[] = [];
    broker.bulkPublish = async (messages) => {
      batches.push(messages.length);
      return [{ index: 2, error: 'too big' }];
    };
    const result = await pubsub.bulkPublish({ topic: 't', entries });
    expect(batches).toEqual([3]);
    expect(result.failedEntries).toEqual([{ entryId: '3', error: 'too big' }]);
  });

  it('reports every entry as failed when the broker bulk publish throws', async () => {
    const { broker, pubsub } = setup();
    broker.bulkPublish = async () => {
      throw new Error('down');
    };
    const result = await pubsub.bulkPublish({ topic: 't', entries });
    expect(result.failedEntries.map((f) => f.entryId)).toEqual(['1', '2', '3']);
    expect(result.failedEntries[0]!.error).toBe('down');
  });

  it('keeps JSON string events as strings, applies per-entry metadata, and passes CloudEvents through', async () => {
    const { broker, pubsub } = setup();
    await pubsub.bulkPublish({
      topic: 't',
      metadata: { rawPayload: 'false', level: 'request' },
      entries: [
        {
          entryId: 'a',
          event: '{"looks":"like json"}',
          contentType: 'application/json',
          metadata: { level: 'entry' },
        },
        {
          entryId: 'b',
          event: { specversion: '1.0', id: 'ce-b', source: 's', type: 'x.y' },
          contentType: 'application/cloudevents+json',
        },
        { entryId: 'c', event: new Uint8Array([5]), contentType: 'image/png' },
      ],
    });
    expect(json(broker.published[0]!)['data']).toBe('{"looks":"like json"}');
    expect(broker.published[0]!.metadata['level']).toBe('entry');
    expect(json(broker.published[1]!)).toMatchObject({ id: 'ce-b', type: 'x.y', topic: 't' });
    expect(json(broker.published[2]!)).toMatchObject({
      datacontenttype: 'image/png',
      data: '\u0005',
    });
  });

  it('refuses missing or duplicated entry ids before publishing anything', async () => {
    const { broker, pubsub } = setup();
    for (const bad of [
      [{ entryId: '', event: 1, contentType: 'application/json' }],
      [
        { entryId: 'x', event: 1, contentType: 'application/json' },
        { entryId: 'x', event: 2, contentType: 'application/json' },
      ],
    ]) {
      await expect(pubsub.bulkPublish({ topic: 't', entries: bad })).rejects.toMatchObject({
        code: 'ERR_PUBSUB_EVENTS_SER',
        kind: 'invalid-argument',
        message: expect.stringContaining('entryId is duplicated or not present for entry'),
      });
    }
    expect(broker.published).toHaveLength(0);
  });

  it('refuses an event that does not fit its content type', async () => {
    const { broker, pubsub } = setup();
    for (const entry of [
      { entryId: 'a', event: { not: 'text' }, contentType: 'text/plain' },
      { entryId: 'a', event: 'not base64!', contentType: 'application/octet-stream' },
      { entryId: 'a', event: 'x', contentType: '' },
      { entryId: 'a', event: 'x', contentType: 'application/unknown' },
    ]) {
      await expect(pubsub.bulkPublish({ topic: 't', entries: [entry] })).rejects.toMatchObject({
        code: 'ERR_PUBSUB_EVENTS_SER',
        message: expect.stringContaining('mismatch between contentType and event'),
      });
    }
    expect(broker.published).toHaveLength(0);
  });

  it('checks the topic and scopes first', async () => {
    const { pubsub } = setup({ rawMetadata: { allowedTopics: 'ok' } });
    await expect(pubsub.bulkPublish({ topic: '', entries })).rejects.toMatchObject({
      code: 'ERR_TOPIC_NAME_EMPTY',
    });
    await expect(pubsub.bulkPublish({ topic: 'no', entries })).rejects.toMatchObject({
      code: 'ERR_PUBSUB_FORBIDDEN',
    });
  });
});
