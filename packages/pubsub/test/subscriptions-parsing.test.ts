import type { SubscriptionResource } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { fromDeclarative, parseProgrammaticSubscriptions } from '../src/index.ts';
import { recordingLogger } from './recording-logger.ts';

describe('parseProgrammaticSubscriptions', () => {
  it('reads the v1 shape (route) as the default route', () => {
    expect(
      parseProgrammaticSubscriptions([
        {
          pubsubname: 'bus',
          topic: 'orders',
          route: '/orders',
          metadata: { rawPayload: 'true' },
          deadLetterTopic: 'dlq',
        },
      ]),
    ).toEqual([
      {
        pubsubName: 'bus',
        topic: 'orders',
        routes: { rules: [], default: '/orders' },
        metadata: { rawPayload: 'true' },
        deadLetterTopic: 'dlq',
        source: 'programmatic',
      },
    ]);
  });

  it('reads the v2 shape (routes) with bulkSubscribe, preferring routes.default over route', () => {
    const [spec] = parseProgrammaticSubscriptions([
      {
        pubsubname: 'bus',
        topic: 'orders',
        route: '/ignored',
        routes: {
          rules: [{ match: 'event.type == "a"', path: '/a' }, { path: '/catch-all' }],
          default: '/d',
        },
        bulkSubscribe: { enabled: true, maxMessagesCount: 50, maxAwaitDurationMs: 200 },
      },
    ]);
    expect(spec).toEqual({
      pubsubName: 'bus',
      topic: 'orders',
      routes: {
        rules: [
          { match: 'event.type == "a"', path: '/a' },
          { match: '', path: '/catch-all' },
        ],
        default: '/d',
      },
      metadata: {},
      bulkSubscribe: { enabled: true, maxMessagesCount: 50, maxAwaitDurationMs: 200 },
      source: 'programmatic',
    });
  });

  it('uses route when routes has rules but no default', () => {
    const [spec] = parseProgrammaticSubscriptions([
      {
        pubsubname: 'bus',
        topic: 't',
        route: '/fallback',
        routes: { rules: [{ match: 'true', path: '/x' }] },
      },
    ]);
    expect(spec!.routes).toEqual({ rules: [{ match: 'true', path: '/x' }], default: '/fallback' });
  });

  it('matches field names case-insensitively, as Go decoding does', () => {
    const [spec] = parseProgrammaticSubscriptions([
      {
        PubSubName: 'bus',
        Topic: 't',
        Route: '/r',
        DeadLetterTopic: 'dlq',
        Metadata: { n: 5, b: true },
      },
    ]);
    expect(spec).toMatchObject({
      pubsubName: 'bus',
      topic: 't',
      routes: { default: '/r' },
      deadLetterTopic: 'dlq',
      metadata: { n: '5', b: 'true' },
    });
  });

  it('accepts JSON text or bytes, and treats an empty answer as no subscriptions', () => {
    const text = JSON.stringify([{ pubsubname: 'bus', topic: 't', route: 'r' }]);
    expect(parseProgrammaticSubscriptions(text)).toHaveLength(1);
    expect(parseProgrammaticSubscriptions(new TextEncoder().encode(text))).toHaveLength(1);
    expect(parseProgrammaticSubscriptions('')).toEqual([]);
    expect(parseProgrammaticSubscriptions(null)).toEqual([]);
    expect(parseProgrammaticSubscriptions([])).toEqual([]);
  });

  it('skips entries without any route, with a warning', () => {
    const logger = recordingLogger();
    const specs = parseProgrammaticSubscriptions(
      [
        { pubsubname: 'bus', topic: 'lost' },
        { pubsubname: 'bus', topic: 'kept', route: '/k' },
      ],
      { logger },
    );
    expect(specs.map((s) => s.topic)).toEqual(['kept']);
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('lost') }),
    ]);
  });

  it.each([
    ['{not json', /not JSON/],
    [{ pubsubname: 'bus' }, /expected a JSON array of subscriptions, got an object/],
    [['text'], /entry 0 must be an object, got the string "text"/],
    [[{ topic: 't', route: '/r' }], /entry 0: field "pubsubname" is required/],
    [[{ pubsubname: 'bus', route: '/r' }], /entry 0: field "topic" is required/],
    [
      [{ pubsubname: 'bus', topic: 5, route: '/r' }],
      /field "topic" must be a string, got number 5/,
    ],
    [
      [{ pubsubname: 'bus', topic: 't', routes: { rules: {} } }],
      /entry 0.routes: field "rules" must be an array/,
    ],
    [
      [{ pubsubname: 'bus', topic: 't', routes: { rules: [{ match: 'x' }] } }],
      /entry 0.routes.rules\[0\]: field "path" is required/,
    ],
    [
      [{ pubsubname: 'bus', topic: 't', route: '/r', metadata: { a: { deep: 1 } } }],
      /metadata.a must be a string, got an object/,
    ],
    [
      [{ pubsubname: 'bus', topic: 't', route: '/r', bulkSubscribe: { enabled: 'yes' } }],
      /field "enabled" must be a boolean/,
    ],
    [
      [
        {
          pubsubname: 'bus',
          topic: 't',
          route: '/r',
          bulkSubscribe: { enabled: true, maxMessagesCount: 1.5 },
        },
      ],
      /maxMessagesCount" must be a whole number/,
    ],
  ])('refuses malformed input %j', (input, message) => {
    let thrown: unknown;
    try {
      parseProgrammaticSubscriptions(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_MALFORMED_RESPONSE', kind: 'invalid-argument' });
    expect((thrown as Error).message).toMatch(/^the app's subscription list is malformed: /);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('fromDeclarative', () => {
  const base: SubscriptionResource = {
    kind: 'Subscription',
    apiVersion: 'dapr.io/v2alpha1',
    name: 'order-sub',
    pubsubName: 'bus',
    topic: 'orders',
    routes: { rules: [{ match: 'event.type == "a"', path: '/a' }], default: '/d' },
    metadata: { rawPayload: 'false' },
    scopes: ['shipping'],
    source: { file: '/res/sub.yaml', document: 1 },
  };

  it('maps a v2 resource', () => {
    expect(
      fromDeclarative({
        ...base,
        deadLetterTopic: 'dlq',
        bulkSubscribe: { enabled: true, maxMessagesCount: 10 },
      }),
    ).toEqual({
      name: 'order-sub',
      pubsubName: 'bus',
      topic: 'orders',
      routes: { rules: [{ match: 'event.type == "a"', path: '/a' }], default: '/d' },
      deadLetterTopic: 'dlq',
      metadata: { rawPayload: 'false' },
      bulkSubscribe: { enabled: true, maxMessagesCount: 10 },
      source: 'declarative',
    });
  });

  it('maps a v1 resource (route loaded as the default) without sharing objects', () => {
    const resource: SubscriptionResource = {
      ...base,
      apiVersion: 'dapr.io/v1alpha1',
      routes: { rules: [], default: '/orders' },
    };
    const spec = fromDeclarative(resource);
    expect(spec.routes).toEqual({ rules: [], default: '/orders' });
    spec.metadata['changed'] = 'yes';
    expect(resource.metadata).toEqual({ rawPayload: 'false' });
  });
});
