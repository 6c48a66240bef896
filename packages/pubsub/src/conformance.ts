import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata, type ComponentDefinition } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PubSubBroker, PubSubFeature } from './broker.ts';
import { CLOUDEVENT_CONTENT_TYPE } from './content-type.ts';
import { pubsubCommonFields } from './common-metadata.ts';
import { PubSubService } from './pubsub-service.ts';
import type { RetryOptions } from './retry-options.ts';
import type { Deliver, Delivery, DeliveryStatus, SubscriptionSpec } from './subscription.ts';

export interface PubSubConformanceOptions {
  /** Shown in the suite name. */
  name: string;
  definition: ComponentDefinition<PubSubBroker, PubSubFeature>;
  /** Component metadata, as strings the way a resource file gives them. */
  metadata?: Record<string, string>;
  /**
   * Whether subscribers of one consumer group share messages round robin-ish (each gets
   * some). Set false for brokers that pin a topic to one consumer (one partition).
   */
  competingConsumers?: boolean;
  /** How long polling waits for an expected delivery; generous by default. */
  waitTimeoutMs?: number;
  /**
   * The broker keeps a consumer group's messages while the group has no subscriber, and hands
   * a message one subscriber took but never acknowledged (it crashed mid-handling) to the
   * group's next subscriber. True for every broker with persistent consumer groups; false for
   * the in-memory broker, which retains nothing. Runs the durability and message-TTL cases.
   */
  durable?: boolean;
  /**
   * Messages published with the same `partitionKey` metadata reach a subscriber in the order
   * they were published (Kafka's per-partition order). Runs the ordering case.
   */
  orderedPerKey?: boolean;
  /** Longest a component may take to close while a handler is still in flight (default 15 s). */
  closeTimeoutMs?: number;
  /**
   * The component waits for the messages it handed to a bulk subscription before handing more
   * (one partition or queue in order) and calls `SubscribeRequest.bulk.flush()` then. Runs the
   * case where a partial batch must go out without waiting out `maxAwaitDurationMs`.
   */
  bulkFlushes?: boolean;
  /**
   * Metadata setting the component's own limits on messages held or handled at once below a
   * bulk batch (`queueDepth`, `prefetchCount`…), one case each: a bulk subscription's batch
   * must still fill, the component raising its limits for it. `inOrder`: the messages must
   * also reach the app in publish order (a one-at-a-time mode, one batch at a time).
   */
  smallLimits?: Array<{ metadata: Record<string, string>; inOrder?: boolean }>;
}

const PUBSUB_NAME = 'conformance-pubsub';
const FAST_RETRY: RetryOptions = { initialDelayMs: 1, factor: 2, maxDelayMs: 10, maxAttempts: 3 };

/**
 * Registers vitest suites that check a pub/sub component against the block's semantics:
 * envelopes and content types, raw payloads, delivery statuses and retries, dead letters,
 * bulk publish, consumer groups and routing. Call it at the top level of a test file.
 */
export function runPubSubConformance(options: PubSubConformanceOptions): void {
  const waitTimeoutMs = options.waitTimeoutMs ?? 10_000;
  const testTimeoutMs = waitTimeoutMs * 3;
  const metadata = options.metadata ?? {};

  describe(`pub/sub conformance: ${options.name} (${options.definition.type}/${options.definition.version})`, () => {
    let broker: PubSubBroker;
    const services: PubSubService[] = [];

    beforeAll(async () => {
      const validated = validateMetadata(options.definition.metadata, metadata, {
        passthrough: pubsubCommonFields,
      });
      broker = await options.definition.create(validated, {
        name: PUBSUB_NAME,
        appId: 'conformance',
        logger: silentLogger(),
        rawMetadata: metadata,
      });
    });

    afterAll(async () => {
      await Promise.all(services.map((service) => service.close()));
      await broker?.close();
      await Promise.allSettled(ownBrokers.map((own) => own.close()));
    });

    /** A broker of its own, as a second process would have; the suite closes it at the end. */
    const ownBrokers: PubSubBroker[] = [];
    async function createBroker(extra: Record<string, string> = {}): Promise<PubSubBroker> {
      const raw = { ...metadata, ...extra };
      const validated = validateMetadata(options.definition.metadata, raw, {
        passthrough: pubsubCommonFields,
      });
      const created = await options.definition.create(validated, {
        name: PUBSUB_NAME,
        appId: 'conformance',
        logger: silentLogger(),
        rawMetadata: raw,
      });
      ownBrokers.push(created);
      return created;
    }

    /** A service over a broker of its own (one "process"); the test decides when it ends. */
    function serviceOn(own: PubSubBroker, appId: string): PubSubService {
      return new PubSubService({
        name: PUBSUB_NAME,
        broker: own,
        features: options.definition.features,
        appId,
        retry: FAST_RETRY,
        rawMetadata: { ...metadata, consumerID: appId },
      });
    }

    /** Closes a broker, failing the test if the component hangs on a handler in flight. */
    async function closeWithin(own: PubSubBroker): Promise<void> {
      const limit = options.closeTimeoutMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`close() did not return within ${limit} ms while a handler was in flight`)),
          limit,
        );
      });
      try {
        await Promise.race([own.close(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }

    /** A service over the shared broker; closing it leaves the broker to the suite. */
    function service(appId = 'conformance', retry: RetryOptions = FAST_RETRY): PubSubService {
      const shared: PubSubBroker = {
        publish: (message) => broker.publish(message),
        subscribe: (request, handler) => broker.subscribe(request, handler),
        close: async () => {},
      };
      if (broker.bulkPublish) shared.bulkPublish = (messages) => broker.bulkPublish!(messages);
      const created = new PubSubService({
        name: PUBSUB_NAME,
        broker: shared,
        features: options.definition.features,
        appId,
        retry,
        rawMetadata: { ...metadata, consumerID: appId },
      });
      services.push(created);
      return created;
    }

    function topic(label: string): string {
      return `conformance-${label}-${randomUUID().slice(0, 8)}`;
    }

    function spec(topicName: string, extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
      return {
        pubsubName: PUBSUB_NAME,
        topic: topicName,
        routes: { rules: [], default: '/events' },
        metadata: {},
        source: 'programmatic',
        ...extra,
      };
    }

    async function waitFor(what: string, condition: () => boolean): Promise<void> {
      const deadline = Date.now() + waitTimeoutMs;
      while (!condition()) {
        if (Date.now() > deadline)
          throw new Error(`timed out after ${waitTimeoutMs} ms waiting for ${what}`);
        await pause(5);
      }
    }

    it(
      'delivers a JSON event in a CloudEvent with every envelope field',
      async () => {
        const pubsub = service();
        const name = topic('json');
        const inbox = new Inbox();
        await pubsub.subscribe(spec(name), inbox.deliver);
        await pubsub.publish({
          topic: name,
          data: { hello: 'world', count: 3, nested: { ok: true } },
        });
        await waitFor('one delivery', () => inbox.deliveries.length === 1);
        const delivery = inbox.deliveries[0]!;
        expect(delivery.path).toBe('/events');
        expect(delivery.contentType).toBe(CLOUDEVENT_CONTENT_TYPE);
        expect(delivery.topic).toBe(name);
        expect(delivery.pubsubName).toBe(PUBSUB_NAME);
        expect(delivery.metadata['pubsubName']).toBe(PUBSUB_NAME);
        expect(delivery.event).toMatchObject({
          specversion: '1.0',
          type: 'com.dapr.event.sent',
          source: 'conformance',
          datacontenttype: 'application/json',
          topic: name,
          pubsubname: PUBSUB_NAME,
          data: { hello: 'world', count: 3, nested: { ok: true } },
        });
        expect(delivery.event.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(Number.isNaN(Date.parse(String(delivery.event.time)))).toBe(false);
        expect(JSON.parse(new TextDecoder().decode(delivery.raw))).toEqual(delivery.event);
      },
      testTimeoutMs,
    );

    it(
      "keeps the publisher's own CloudEvent fields and adds topic and pubsubname",
      async () => {
        const pubsub = service();
        const name = topic('cloudevent');
        const inbox = new Inbox();
        await pubsub.subscribe(spec(name), inbox.deliver);
        const event = {
          specversion: '1.0',
          id: 'order-42',
          source: 'https://example.com/orders',
          type: 'order.created',
          subject: 'order/42',
          datacontenttype: 'application/json',
          data: { total: 12.5 },
        };
        await pubsub.publish({
          topic: name,
          data: JSON.stringify(event),
          contentType: 'application/cloudevents+json',
        });
        await waitFor('one delivery', () => inbox.deliveries.length === 1);
        expect(inbox.deliveries[0]!.event).toMatchObject({
          ...event,
          topic: name,
          pubsubname: PUBSUB_NAME,
        });
      },
      testTimeoutMs,
    );

    it(
      'carries text and binary payloads',
      async () => {
        const pubsub = service();
        const name = topic('types');
        const inbox = new Inbox();
        await pubsub.subscribe(spec(name), inbox.deliver);
        const bytes = new Uint8Array([0, 1, 2, 127, 128, 255]);
        await pubsub.publish({ topic: name, data: 'plain words', contentType: 'text/plain' });
        await pubsub.publish({ topic: name, data: bytes, contentType: 'application/octet-stream' });
        await waitFor('two deliveries', () => inbox.deliveries.length === 2);
        const text = inbox.deliveries.find((d) => d.event.datacontenttype === 'text/plain');
        const binary = inbox.deliveries.find(
          (d) => d.event.datacontenttype === 'application/octet-stream',
        );
        expect(text?.event.data).toBe('plain words');
        expect(binary?.event.data).toBeUndefined();
        expect(new Uint8Array(Buffer.from(String(binary?.event.data_base64), 'base64'))).toEqual(
          bytes,
        );
      },
      testTimeoutMs,
    );

    it(
      'passes raw payloads through untouched and wraps them for a rawPayload subscription',
      async () => {
        const pubsub = service();
        const name = topic('raw');
        const inbox = new Inbox();
        await pubsub.subscribe(spec(name, { metadata: { rawPayload: 'true' } }), inbox.deliver);
        const bytes = new TextEncoder().encode('{"not":"an envelope"}');
        await pubsub.publish({
          topic: name,
          data: bytes,
          contentType: 'application/json',
          metadata: { rawPayload: 'true' },
        });
        await waitFor('one delivery', () => inbox.deliveries.length === 1);
        const { event } = inbox.deliveries[0]!;
        expect(event).toMatchObject({
          specversion: '1.0',
          datacontenttype: 'application/octet-stream',
          topic: name,
          pubsubname: PUBSUB_NAME,
        });
        expect(Buffer.from(String(event.data_base64), 'base64').toString()).toBe(
          '{"not":"an envelope"}',
        );
      },
      testTimeoutMs,
    );

    it(
      'acknowledges SUCCESS once and does not redeliver',
      async () => {
        const pubsub = service();
        const name = topic('success');
        const inbox = new Inbox();
        await pubsub.subscribe(spec(name), inbox.deliver);
        for (let i = 0; i < 3; i++) await pubsub.publish({ topic: name, data: { i } });
        await waitFor('three deliveries', () => inbox.deliveries.length >= 3);
        await pause(100);
        expect(inbox.deliveries.map((d) => (d.event.data as { i: number }).i).sort()).toEqual([
          0, 1, 2,
        ]);
      },
      testTimeoutMs,
    );

    it(
      'redelivers after RETRY and after a failing handler, until SUCCESS',
      async () => {
        const pubsub = service();
        const name = topic('retry');
        const answers: Array<DeliveryStatus | Error> = [
          'RETRY',
          new Error('handler crashed'),
          'SUCCESS',
        ];
        const inbox = new Inbox(() => answers.shift() ?? 'SUCCESS');
        await pubsub.subscribe(spec(name), inbox.deliver);
        await pubsub.publish({ topic: name, data: { attempt: 'me' } });
        await waitFor('three attempts', () => inbox.deliveries.length >= 3);
        await pause(100);
        expect(inbox.deliveries).toHaveLength(3);
        expect(new Set(inbox.deliveries.map((d) => d.event.id)).size).toBe(1);
      },
      testTimeoutMs,
    );

    it(
      'does not redeliver after DROP',
      async () => {
        const pubsub = service();
        const name = topic('drop');
        const inbox = new Inbox(() => 'DROP');
        await pubsub.subscribe(spec(name), inbox.deliver);
        await pubsub.publish({ topic: name, data: 'unwanted' });
        await waitFor('one delivery', () => inbox.deliveries.length === 1);
        await pause(100);
        expect(inbox.deliveries).toHaveLength(1);
      },
      testTimeoutMs,
    );

    it(
      'sends the original message to the dead-letter topic once retries are exhausted',
      async () => {
        const pubsub = service();
        const name = topic('dlq-main');
        const deadLetters = topic('dlq');
        const failing = new Inbox(() => 'RETRY');
        const dead = new Inbox();
        await pubsub.subscribe(spec(deadLetters), dead.deliver);
        await pubsub.subscribe(spec(name, { deadLetterTopic: deadLetters }), failing.deliver);
        await pubsub.publish({ topic: name, data: { doomed: true } });
        await waitFor('the dead letter', () => dead.deliveries.length === 1);
        expect(failing.deliveries).toHaveLength(FAST_RETRY.maxAttempts!);
        expect(dead.deliveries[0]!.event.id).toBe(failing.deliveries[0]!.event.id);
        expect(dead.deliveries[0]!.event.data).toEqual({ doomed: true });
        expect(dead.deliveries[0]!.event.topic).toBe(name);
      },
      testTimeoutMs,
    );

    it(
      'sends a dropped message to the dead-letter topic when there is one',
      async () => {
        const pubsub = service();
        const name = topic('drop-dlq-main');
        const deadLetters = topic('drop-dlq');
        const dead = new Inbox();
        await pubsub.subscribe(spec(deadLetters), dead.deliver);
        await pubsub.subscribe(
          spec(name, { deadLetterTopic: deadLetters }),
          new Inbox(() => 'DROP').deliver,
        );
        await pubsub.publish({ topic: name, data: 'dropped' });
        await waitFor('the dead letter', () => dead.deliveries.length === 1);
        expect(dead.deliveries[0]!.event.data).toBe('dropped');
      },
      testTimeoutMs,
    );

    it(
      `publishes in bulk (${options.definition.features.includes('BULK_PUBSUB') ? 'natively' : 'one by one'})`,
      async () => {
        const pubsub = service();
        const name = topic('bulk');
        const inbox = new Inbox();
        await pubsub.subscribe(spec(name), inbox.deliver);
        const result = await pubsub.bulkPublish({
          topic: name,
          entries: [
            { entryId: 'a', event: { kind: 'json' }, contentType: 'application/json' },
            { entryId: 'b', event: 'some text', contentType: 'text/plain' },
            {
              entryId: 'c',
              event: Buffer.from([9, 8, 7]).toString('base64'),
              contentType: 'application/octet-stream',
            },
          ],
        });
        expect(result.failedEntries).toEqual([]);
        await waitFor('three deliveries', () => inbox.deliveries.length === 3);
        const byType = Object.fromEntries(
          inbox.deliveries.map((d) => [String(d.event.datacontenttype), d.event]),
        );
        expect(byType['application/json']?.data).toEqual({ kind: 'json' });
        expect(byType['text/plain']?.data).toBe('some text');
        expect(byType['application/octet-stream']?.data_base64).toBe(
          Buffer.from([9, 8, 7]).toString('base64'),
        );
        await expect(
          pubsub.bulkPublish({
            topic: name,
            entries: [
              { entryId: 'x', event: 1, contentType: 'application/json' },
              { entryId: 'x', event: 2, contentType: 'application/json' },
            ],
          }),
        ).rejects.toMatchObject({ code: 'ERR_PUBSUB_EVENTS_SER' });
      },
      testTimeoutMs,
    );

    it(
      'gives each message to one subscriber of a consumer group',
      async () => {
        const first = service('group-shared');
        const second = service('group-shared');
        const name = topic('competing');
        const a = new Inbox();
        const b = new Inbox();
        await first.subscribe(spec(name), a.deliver);
        await second.subscribe(spec(name), b.deliver);
        const count = 20;
        for (let i = 0; i < count; i++) await first.publish({ topic: name, data: { i } });
        await waitFor(
          `${count} deliveries`,
          () => a.deliveries.length + b.deliveries.length >= count,
        );
        await pause(100);
        const ids = [...a.deliveries, ...b.deliveries].map((d) => d.event.id);
        expect(ids).toHaveLength(count);
        expect(new Set(ids).size).toBe(count);
        if (options.competingConsumers ?? true) {
          expect(a.deliveries.length).toBeGreaterThan(0);
          expect(b.deliveries.length).toBeGreaterThan(0);
        }
      },
      testTimeoutMs,
    );

    it(
      'gives every message to each consumer group',
      async () => {
        const first = service('group-a');
        const second = service('group-b');
        const name = topic('fanout');
        const a = new Inbox();
        const b = new Inbox();
        await first.subscribe(spec(name), a.deliver);
        await second.subscribe(spec(name), b.deliver);
        for (let i = 0; i < 5; i++) await first.publish({ topic: name, data: { i } });
        await waitFor(
          'five deliveries in each group',
          () => a.deliveries.length >= 5 && b.deliveries.length >= 5,
        );
        await pause(100);
        expect(a.deliveries).toHaveLength(5);
        expect(b.deliveries).toHaveLength(5);
        expect(new Set(a.deliveries.map((d) => d.event.id))).toEqual(
          new Set(b.deliveries.map((d) => d.event.id)),
        );
      },
      testTimeoutMs,
    );

    it(
      'routes by CEL rules in order, then the default route',
      async () => {
        const pubsub = service();
        const name = topic('routing');
        const inbox = new Inbox();
        await pubsub.subscribe(
          spec(name, {
            routes: {
              rules: [
                { match: 'event.type == "widget"', path: '/widgets' },
                { match: 'event.data.kind == "x"', path: '/x' },
                { match: 'event.data.kind == "x" || event.type == "widget"', path: '/never' },
              ],
              default: '/other',
            },
          }),
          inbox.deliver,
        );
        const cloudEvent = (type: string, kind: string) => ({
          specversion: '1.0',
          id: randomUUID(),
          source: 'test',
          type,
          data: { kind },
        });
        await pubsub.publish({ topic: name, data: cloudEvent('widget', 'x') });
        await pubsub.publish({ topic: name, data: cloudEvent('gadget', 'x') });
        await pubsub.publish({ topic: name, data: cloudEvent('gadget', 'y') });
        await waitFor('three deliveries', () => inbox.deliveries.length === 3);
        const paths = Object.fromEntries(
          inbox.deliveries.map((d) => [
            `${String(d.event.type)}/${(d.event.data as { kind: string }).kind}`,
            d.path,
          ]),
        );
        expect(paths).toEqual({ 'widget/x': '/widgets', 'gadget/x': '/x', 'gadget/y': '/other' });
      },
      testTimeoutMs,
    );

    it(
      'delivers bulk-subscribed events in batches, redelivering only the entries answered RETRY',
      async () => {
        const pubsub = service('bulk-subscriber');
        const name = topic('bulk-subscribe');
        const batches: string[][] = [];
        const seen = new Map<string, number>();
        await pubsub.subscribe(
          spec(name, { bulkSubscribe: { enabled: true, maxMessagesCount: 5, maxAwaitDurationMs: 200 } }),
          new Inbox().deliver,
          {
            deliverBulk: async (bulk) => {
              batches.push(bulk.entries.map((entry) => String((entry.event.data as { n: number }).n)));
              return bulk.entries.map((entry) => {
                const n = String((entry.event.data as { n: number }).n);
                const times = (seen.get(n) ?? 0) + 1;
                seen.set(n, times);
                // Entry 3 fails its first delivery; the batch's other entries must not come back.
                return { entryId: entry.entryId, status: n === '3' && times === 1 ? 'RETRY' : 'SUCCESS' };
              });
            },
          },
        );
        for (let n = 0; n < 10; n++) await pubsub.publish({ topic: name, data: { n } });
        await waitFor('ten events, one of them twice', () => seen.size === 10 && seen.get('3') === 2);
        await pause(300);
        expect(batches.flat().filter((n) => n !== '3').sort()).toEqual(['0', '1', '2', '4', '5', '6', '7', '8', '9']);
        expect(seen.get('3')).toBe(2);
        expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(5);
      },
      testTimeoutMs,
    );

    /**
     * Subscribes in bulk with a time limit longer than the test, publishes `count` messages and
     * waits for all of them: every batch must go out because it filled, or because the
     * component flushed it. A component that handed a bulk subscription one message at a time
     * (each waits for its batch) got one message per `maxAwaitDurationMs`.
     */
    async function bulkFill(
      pubsub: PubSubService,
      name: string,
      batchSize: number,
      count: number,
      publishing: 'bulk' | 'one by one',
      inOrder = false,
    ): Promise<void> {
      const received: number[] = [];
      await pubsub.subscribe(
        spec(name, { bulkSubscribe: { enabled: true, maxMessagesCount: batchSize, maxAwaitDurationMs: 10 * testTimeoutMs } }),
        new Inbox().deliver,
        {
          deliverBulk: async (bulk) => {
            received.push(...bulk.entries.map((entry) => (entry.event.data as { n: number }).n));
            return bulk.entries.map((entry) => ({ entryId: entry.entryId, status: 'SUCCESS' as const }));
          },
        },
      );
      if (publishing === 'bulk') {
        const result = await pubsub.bulkPublish({
          topic: name,
          entries: Array.from({ length: count }, (_, n) => ({ entryId: String(n), event: { n }, contentType: 'application/json' })),
        });
        expect(result.failedEntries).toEqual([]);
      } else {
        for (let n = 0; n < count; n++) await pubsub.publish({ topic: name, data: { n } });
      }
      await waitFor(`${count} events in bulk`, () => received.length >= count);
      const published = Array.from({ length: count }, (_, n) => n);
      expect(inOrder ? received : [...received].sort((a, b) => a - b)).toEqual(published);
    }

    it(
      'hands a bulk subscription the messages it has at once, not one per maxAwaitDurationMs',
      async () => {
        // 20: more than the 10 workers of Dapr's Redis component, and exactly Mosquitto's
        // default in-flight window (max_inflight_messages), which caps an MQTT batch.
        await bulkFill(service('bulk-fill'), topic('bulk-fill'), 20, 20, 'bulk');
      },
      testTimeoutMs,
    );

    if (options.bulkFlushes) {
      it(
        'sends a partial bulk batch at once when the component waits for it (flush)',
        async () => {
          // One by one, 25 for batches of 10: batches form from whatever each fetch brought,
          // and the last is partial; without flush() they would wait out the time limit.
          await bulkFill(service('bulk-flush'), topic('bulk-flush'), 10, 25, 'one by one');
        },
        testTimeoutMs,
      );
    }

    for (const limits of options.smallLimits ?? []) {
      it(
        `fills a bulk batch larger than the component's own limits (${Object.entries(limits.metadata)
          .map(([key, value]) => `${key}: ${value}`)
          .join(', ')})${limits.inOrder ? ', in publish order' : ''}`,
        async () => {
          const own = await createBroker(limits.metadata);
          // One by one when order is checked: a bulk publish does not promise an order.
          await bulkFill(serviceOn(own, 'bulk-limits'), topic('bulk-limits'), 20, 20, limits.inOrder ? 'one by one' : 'bulk', limits.inOrder);
        },
        testTimeoutMs,
      );
    }

    if (options.orderedPerKey) {
      it(
        'keeps the publish order of messages with the same partitionKey',
        async () => {
          const pubsub = service('ordered');
          const name = topic('ordered');
          const inbox = new Inbox();
          await pubsub.subscribe(spec(name), inbox.deliver);
          const count = 30;
          for (let n = 0; n < count; n++) {
            await pubsub.publish({ topic: name, data: { n }, metadata: { partitionKey: 'one-key' } });
          }
          await waitFor(`${count} deliveries`, () => inbox.deliveries.length >= count);
          expect(inbox.deliveries.map((d) => (d.event.data as { n: number }).n)).toEqual(
            Array.from({ length: count }, (_, n) => n),
          );
        },
        testTimeoutMs,
      );
    }

    if (options.durable) {
      it(
        "keeps a consumer group's messages while it has no subscriber",
        async () => {
          const name = topic('offline');
          const group = `offline-${randomUUID().slice(0, 8)}`;
          // The group comes into being with a first subscriber, which then goes away.
          const first = serviceOn(await createBroker(), group);
          const gone = await first.subscribe(spec(name), new Inbox().deliver);
          await gone.close();
          await first.close();
          const publisher = service();
          for (let n = 0; n < 3; n++) await publisher.publish({ topic: name, data: { n } });
          const second = serviceOn(await createBroker(), group);
          const inbox = new Inbox();
          await second.subscribe(spec(name), inbox.deliver);
          await waitFor('the three messages published while nobody listened', () => inbox.deliveries.length >= 3);
          expect(inbox.deliveries.map((d) => (d.event.data as { n: number }).n).sort()).toEqual([0, 1, 2]);
          await second.close();
        },
        testTimeoutMs * 2,
      );

      it(
        "gives the group's next subscriber a message the previous one took and never acknowledged",
        async () => {
          const name = topic('crash');
          const group = `crash-${randomUUID().slice(0, 8)}`;
          const crashingBroker = await createBroker();
          const crashing = serviceOn(crashingBroker, group);
          let release: (status: DeliveryStatus) => void = () => {};
          const taken: Delivery[] = [];
          await crashing.subscribe(spec(name), (delivery) => {
            taken.push(delivery);
            // The app "crashes" mid-handling: this delivery never gets an answer in time.
            return new Promise<DeliveryStatus>((resolve) => {
              release = resolve;
            });
          });
          await service().publish({ topic: name, data: { crash: 'me' } });
          await waitFor('the first subscriber to take the message', () => taken.length >= 1);
          // The process dies: its connection goes, and nothing was acknowledged.
          await closeWithin(crashingBroker);
          const next = serviceOn(await createBroker(), group);
          const inbox = new Inbox();
          await next.subscribe(spec(name), inbox.deliver);
          await waitFor('the redelivery to the next subscriber', () => inbox.deliveries.length >= 1);
          expect(inbox.deliveries[0]!.event.id).toBe(taken[0]!.event.id);
          expect(inbox.deliveries[0]!.event.data).toEqual({ crash: 'me' });
          // A late answer from the dead subscriber must not disturb anything.
          release('SUCCESS');
          await pause(100);
          await next.close();
        },
        testTimeoutMs * 2,
      );

      it(
        `does not deliver a message whose ttlInSeconds ran out before anyone took it (${options.definition.features.includes('MESSAGE_TTL') ? 'the broker expires it' : 'the block expires it by the CloudEvent expiration'})`,
        async () => {
          const name = topic('ttl');
          const group = `ttl-${randomUUID().slice(0, 8)}`;
          const first = serviceOn(await createBroker(), group);
          const gone = await first.subscribe(spec(name), new Inbox().deliver);
          await gone.close();
          await first.close();
          const publisher = service();
          await publisher.publish({ topic: name, data: { expired: true }, metadata: { ttlInSeconds: '1' } });
          await publisher.publish({ topic: name, data: { expired: false }, metadata: { ttlInSeconds: '3600' } });
          await pause(2_500);
          const second = serviceOn(await createBroker(), group);
          const inbox = new Inbox();
          await second.subscribe(spec(name), inbox.deliver);
          await waitFor('the message still within its TTL', () => inbox.deliveries.length >= 1);
          await pause(500);
          expect(inbox.deliveries.map((d) => d.event.data)).toEqual([{ expired: false }]);
          await second.close();
        },
        testTimeoutMs * 2,
      );
    }
  });
}

/** Records deliveries and answers with a scripted status (or throws a scripted error). */
class Inbox {
  readonly deliveries: Delivery[] = [];
  readonly #answer: (delivery: Delivery) => DeliveryStatus | Error;

  constructor(answer: (delivery: Delivery) => DeliveryStatus | Error = () => 'SUCCESS') {
    this.#answer = answer;
  }

  readonly deliver: Deliver = async (delivery) => {
    this.deliveries.push(delivery);
    const answer = this.#answer(delivery);
    if (answer instanceof Error) throw answer;
    return answer;
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
