import { describe, expect, it } from 'vitest';
import {
  PubSubService,
  type BrokerMessage,
  type Deliver,
  type Delivery,
  type DeliveryStatus,
  type SubscriptionSpec,
} from '../src/index.ts';
import { FakeBroker, bytes, json } from './fake-broker.ts';
import { recordingLogger } from './recording-logger.ts';

function setup(rawMetadata: Record<string, string> = {}) {
  const broker = new FakeBroker();
  const logger = recordingLogger();
  const pubsub = new PubSubService({
    name: 'bus',
    broker,
    features: [],
    appId: 'shipping',
    logger,
    retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    rawMetadata,
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
    ...extra,
  };
}

function envelope(fields: Record<string, unknown> = {}): BrokerMessage {
  const event = {
    specversion: '1.0',
    id: 'e1',
    source: 'checkout',
    type: 'com.dapr.event.sent',
    topic: 'orders',
    pubsubname: 'bus',
    data: { n: 1 },
    ...fields,
  };
  return {
    topic: 'orders',
    data: bytes(event),
    contentType: 'application/cloudevents+json',
    metadata: { traceparent: 'tp' },
  };
}

function recorder(answers: Array<DeliveryStatus | Error> = []) {
  const deliveries: Delivery[] = [];
  const deliver: Deliver = async (delivery) => {
    deliveries.push(delivery);
    const answer = answers.shift() ?? 'SUCCESS';
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { deliveries, deliver };
}

describe('subscribe: delivery', () => {
  it('joins the consumer group named by consumerID, defaulting to the app id', async () => {
    const plain = setup();
    await plain.pubsub.subscribe(spec({ metadata: { custom: 'v' } }), recorder().deliver);
    expect(plain.broker.subscriptions[0]!.request).toEqual({
      topic: 'orders',
      consumerGroup: 'shipping',
      metadata: { custom: 'v' },
    });
    const grouped = setup({ consumerID: 'shipping-7f3a' });
    await grouped.pubsub.subscribe(spec(), recorder().deliver);
    expect(grouped.broker.subscriptions[0]!.request.consumerGroup).toBe('shipping-7f3a');
  });

  it('hands the app the envelope bytes as stored, with metadata and the route', async () => {
    const { broker, pubsub } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(spec(), deliver);
    const message = envelope();
    await broker.deliver(message);
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0]!;
    expect(delivery).toMatchObject({
      path: '/orders',
      contentType: 'application/cloudevents+json',
      topic: 'orders',
      pubsubName: 'bus',
      metadata: { traceparent: 'tp', pubsubName: 'bus' },
    });
    expect(delivery.raw).toBe(message.data);
    expect(delivery.event).toEqual(json(message));
  });

  it('wraps raw payloads for a rawPayload subscription, as daprd does', async () => {
    const { broker, pubsub } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(spec({ metadata: { rawPayload: 'true' } }), deliver);
    await broker.deliver({
      topic: 'orders',
      data: new Uint8Array([0xde, 0xad]),
      metadata: { traceparent: 'tp', tracestate: 'ts' },
    });
    const { event, raw } = deliveries[0]!;
    expect(event).toMatchObject({
      specversion: '1.0',
      source: 'Dapr',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/octet-stream',
      topic: 'orders',
      pubsubname: 'bus',
      traceid: 'tp',
      traceparent: 'tp',
      tracestate: 'ts',
      data_base64: '3q0=',
    });
    expect(JSON.parse(new TextDecoder().decode(raw))).toEqual(event);
  });

  it('retries RETRY and thrown errors, then acknowledges SUCCESS', async () => {
    const { broker, pubsub } = setup();
    const { deliveries, deliver } = recorder(['RETRY', new Error('app crashed'), 'SUCCESS']);
    await pubsub.subscribe(spec(), deliver);
    await expect(broker.deliver(envelope())).resolves.toBeUndefined();
    expect(deliveries).toHaveLength(3);
  });

  it('nacks once retries are exhausted and there is no dead-letter topic', async () => {
    const { broker, pubsub, logger } = setup();
    const { deliveries, deliver } = recorder(['RETRY', 'RETRY', 'RETRY', 'SUCCESS']);
    await pubsub.subscribe(spec(), deliver);
    await expect(broker.deliver(envelope())).rejects.toThrow(/delivery to bus\/orders failed/);
    expect(deliveries).toHaveLength(3);
    expect(
      logger.lines.some((line) => line.level === 'error' && line.msg.includes('after 3 attempts')),
    ).toBe(true);
  });

  it('dead-letters the original bytes once retries are exhausted, then acknowledges', async () => {
    const { broker, pubsub } = setup();
    await pubsub.subscribe(
      spec({ deadLetterTopic: 'orders-dlq' }),
      recorder(['RETRY', 'RETRY', 'RETRY']).deliver,
    );
    const message = envelope();
    await expect(broker.deliver(message)).resolves.toBeUndefined();
    expect(broker.published).toEqual([{ ...message, topic: 'orders-dlq' }]);
  });

  it('nacks when the dead-letter publish fails', async () => {
    const { broker, pubsub } = setup();
    await pubsub.subscribe(
      spec({ deadLetterTopic: 'orders-dlq' }),
      recorder(['RETRY', 'RETRY', 'RETRY']).deliver,
    );
    broker.failPublish = new Error('dlq down');
    await expect(broker.deliver(envelope())).rejects.toThrow();
  });

  it('acknowledges DROP with a warning, dead-lettering when configured', async () => {
    const { broker, pubsub, logger } = setup();
    await pubsub.subscribe(spec(), recorder(['DROP']).deliver);
    await expect(broker.deliver(envelope())).resolves.toBeUndefined();
    expect(broker.published).toHaveLength(0);
    expect(logger.lines.some((line) => line.level === 'warn' && line.msg.includes('dropped'))).toBe(
      true,
    );
    await pubsub.subscribe(spec({ deadLetterTopic: 'dlq' }), recorder(['DROP']).deliver);
    await broker.deliver(envelope());
    expect(broker.published.map((m) => m.topic)).toEqual(['dlq']);
  });

  it('drops expired events without delivering them', async () => {
    const { broker, pubsub, logger } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(spec(), deliver);
    await expect(
      broker.deliver(envelope({ expiration: new Date(Date.now() - 1000).toISOString() })),
    ).resolves.toBeUndefined();
    await broker.deliver(envelope({ expiration: new Date(Date.now() + 60_000).toISOString() }));
    expect(deliveries).toHaveLength(1);
    expect(logger.lines.some((line) => line.msg.includes('expired'))).toBe(true);
  });

  it('delivers an expiring event published through the service while it is fresh', async () => {
    const { broker, pubsub } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(spec(), deliver);
    await pubsub.publish({ topic: 'orders', data: 'x', metadata: { ttlInSeconds: '60' } });
    await broker.deliver(broker.published[0]!);
    expect(deliveries).toHaveLength(1);
  });

  it('gives up at once on a message that is not a CloudEvent (no retries)', async () => {
    const { broker, pubsub, logger } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(spec(), deliver);
    await expect(
      broker.deliver({ topic: 'orders', data: bytes('plain text'), metadata: {} }),
    ).rejects.toThrow();
    expect(deliveries).toHaveLength(0);
    expect(logger.lines.some((line) => line.level === 'error')).toBe(true);
    await pubsub.subscribe(spec({ deadLetterTopic: 'dlq' }), deliver);
    await expect(
      broker.deliver({ topic: 'orders', data: bytes('[1]'), metadata: {} }),
    ).resolves.toBeUndefined();
    expect(broker.published.map((m) => m.topic)).toEqual(['dlq']);
  });

  it('waits for deliveries in progress on close and abandons pending retries', async () => {
    const { broker, pubsub } = setup();
    let release!: () => void;
    const started: string[] = [];
    await pubsub.subscribe(spec(), async (delivery) => {
      started.push(String(delivery.event.id));
      await new Promise<void>((resolve) => (release = resolve));
      return 'RETRY';
    });
    const outcome = broker.deliver(envelope()).then(
      () => 'ack',
      () => 'nack',
    );
    await until(() => started.length === 1);
    let closed = false;
    const closing = pubsub.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await outcome).toBe('nack');
    expect(started).toHaveLength(1);
    expect(broker.closed).toBe(true);
    expect(pubsub.subscriptions()).toEqual([]);
    await expect(broker.deliver(envelope())).rejects.toThrow(/closed/);
  });

  it('refuses new subscriptions once closed', async () => {
    const { pubsub } = setup();
    await pubsub.close();
    await expect(pubsub.subscribe(spec(), recorder().deliver)).rejects.toMatchObject({
      code: 'ERR_PUBSUB_SUBSCRIPTION',
    });
  });
});

describe('subscribe: routing', () => {
  it('picks the first matching rule, then the default', async () => {
    const { broker, pubsub } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(
      spec({
        routes: {
          rules: [
            { match: 'event.type == "widget"', path: '/widgets' },
            {
              match: 'has(event.data.kind) && event.data.kind == "x" && event.data.n > 5',
              path: '/big-x',
            },
          ],
          default: '/rest',
        },
      }),
      deliver,
    );
    await broker.deliver(envelope({ type: 'widget' }));
    await broker.deliver(envelope({ data: { kind: 'x', n: 9 } }));
    await broker.deliver(envelope({ data: { kind: 'x', n: 1 } }));
    expect(deliveries.map((d) => d.path)).toEqual(['/widgets', '/big-x', '/rest']);
  });

  it('acknowledges with a warning when no rule matches and there is no default', async () => {
    const { broker, pubsub, logger } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(
      spec({ routes: { rules: [{ match: 'event.type == "widget"', path: '/w' }] } }),
      deliver,
    );
    await expect(broker.deliver(envelope())).resolves.toBeUndefined();
    expect(deliveries).toHaveLength(0);
    expect(
      logger.lines.some((line) => line.level === 'warn' && line.msg.includes('no routing rule')),
    ).toBe(true);
  });

  it('treats a rule that fails at evaluation as a final failure', async () => {
    const { broker, pubsub } = setup();
    const { deliveries, deliver } = recorder();
    await pubsub.subscribe(
      spec({
        routes: { rules: [{ match: 'event.data.missing == "x"', path: '/m' }], default: '/d' },
      }),
      deliver,
    );
    await expect(broker.deliver(envelope())).rejects.toThrow();
    expect(deliveries).toHaveLength(0);
  });

  it('refuses an expression that does not parse, naming the subscription', async () => {
    const { pubsub } = setup();
    const bad = pubsub.subscribe(
      spec({ name: 'order-sub', routes: { rules: [{ match: 'event.type ==', path: '/x' }] } }),
      recorder().deliver,
    );
    await expect(bad).rejects.toMatchObject({
      code: 'ERR_PUBSUB_SUBSCRIPTION',
      kind: 'invalid-argument',
      message: expect.stringMatching(
        /subscription "order-sub" \(pubsub bus, topic orders\): routing rule 1 match "event.type ==" is not a valid CEL expression/,
      ),
    });
    expect(pubsub.subscriptions()).toEqual([]);
  });

  it('refuses an expression that cannot yield a boolean, and a subscription without any route', async () => {
    const { pubsub } = setup();
    await expect(
      pubsub.subscribe(
        spec({ routes: { rules: [{ match: '"text"', path: '/x' }] } }),
        recorder().deliver,
      ),
    ).rejects.toThrow(/yields string, not a boolean/);
    await expect(
      pubsub.subscribe(spec({ routes: { rules: [] } }), recorder().deliver),
    ).rejects.toThrow(/has no route/);
  });

  it("reads a JSON-quoted rawPayload (how @dapr/dapr's DaprServer sends subscription metadata)", async () => {
    const { pubsub, broker } = setup();
    const { deliver, deliveries } = recorder();
    const handle = await pubsub.subscribe(spec({ metadata: { rawPayload: '"true"' } }), deliver);
    await broker.deliver({ topic: 'orders', data: new Uint8Array([0xde, 0xad]), metadata: {} });
    // Wrapped as a raw payload: the bytes were not taken for a CloudEvent.
    expect(deliveries[0]!.event).toMatchObject({ datacontenttype: 'application/octet-stream', data_base64: '3q0=' });
    await handle.close();
    await expect(
      pubsub.subscribe(spec({ metadata: { rawPayload: '"maybe"' } }), recorder().deliver),
    ).rejects.toThrow(/rawPayload value must be a valid boolean/);
  });

  it('refuses a bad rawPayload value, another pubsub, and topics outside the scopes', async () => {
    const { pubsub } = setup({ subscriptionScopes: 'shipping=orders' });
    await expect(
      pubsub.subscribe(spec({ metadata: { rawPayload: 'maybe' } }), recorder().deliver),
    ).rejects.toThrow(/rawPayload value must be a valid boolean/);
    await expect(
      pubsub.subscribe(spec({ pubsubName: 'other' }), recorder().deliver),
    ).rejects.toThrow(/belongs to pubsub other/);
    await expect(
      pubsub.subscribe(spec({ topic: 'payments' }), recorder().deliver),
    ).rejects.toMatchObject({ code: 'ERR_PUBSUB_FORBIDDEN' });
    await expect(pubsub.subscribe(spec({ topic: '' }), recorder().deliver)).rejects.toMatchObject({
      code: 'ERR_TOPIC_NAME_EMPTY',
    });
  });
});

describe('subscriptions()', () => {
  it('lists live subscriptions with the default route as a rule with an empty match', async () => {
    const { pubsub } = setup();
    const first = await pubsub.subscribe(
      spec({
        routes: { rules: [{ match: 'event.type == "a"', path: '/a' }], default: '/d' },
        deadLetterTopic: 'dlq',
        metadata: { k: 'v' },
      }),
      recorder().deliver,
    );
    await pubsub.subscribe(spec({ topic: 'declared', source: 'declarative' }), recorder().deliver);
    await pubsub.subscribe(spec({ topic: 'streamed', source: 'streaming' }), recorder().deliver);
    expect(pubsub.subscriptions()).toEqual([
      {
        pubsubname: 'bus',
        topic: 'orders',
        deadLetterTopic: 'dlq',
        metadata: { k: 'v' },
        rules: [
          { match: 'event.type == "a"', path: '/a' },
          { match: '', path: '/d' },
        ],
        type: 'PROGRAMMATIC',
      },
      {
        pubsubname: 'bus',
        topic: 'declared',
        metadata: {},
        rules: [{ match: '', path: '/orders' }],
        type: 'DECLARATIVE',
      },
      {
        pubsubname: 'bus',
        topic: 'streamed',
        metadata: {},
        rules: [{ match: '', path: '/orders' }],
        type: 'STREAMING',
      },
    ]);
    await first.close();
    expect(pubsub.subscriptions().map((s) => s.topic)).toEqual(['declared', 'streamed']);
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
