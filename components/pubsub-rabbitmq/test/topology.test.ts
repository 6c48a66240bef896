import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { deliveredMessage } from '../src/delivered-message.ts';
import { publishProperties } from '../src/publish-properties.ts';
import { subscriptionTopology, type TopologySettings } from '../src/queue-topology.ts';
import { message } from './fixtures/test-rabbitmq.ts';

const settings: TopologySettings = { exchangeKind: 'fanout', durable: true, deleteWhenUnused: true, enableDeadLetter: false };

describe('queue layout', () => {
  it("names the exchange after the topic and the queue <consumerGroup>-<topic>, as daprd does", () => {
    const topology = subscriptionTopology({ topic: 'orders', consumerGroup: 'checkout', metadata: {} }, settings);
    expect(topology).toEqual({
      exchange: { name: 'orders', kind: 'fanout', durable: true, autoDelete: true },
      queue: { name: 'checkout-orders', durable: true, autoDelete: true, args: { 'x-queue-type': 'classic' } },
      bindingKeys: [''],
    });
  });

  it('adds dlx-<queue> and dlq-<queue> with enableDeadLetter, and the length limits to both queues', () => {
    const topology = subscriptionTopology(
      { topic: 'orders', consumerGroup: 'checkout', metadata: {} },
      { ...settings, enableDeadLetter: true, deleteWhenUnused: false, maxLen: 10, maxLenBytes: 1000 },
    );
    expect(topology.queue.args).toEqual({
      'x-dead-letter-exchange': 'dlx-checkout-orders',
      'x-max-length': 10,
      'x-max-length-bytes': 1000,
      'x-queue-type': 'classic',
    });
    expect(topology.deadLetter).toEqual({
      exchange: { name: 'dlx-checkout-orders', kind: 'fanout', durable: true, autoDelete: false },
      queue: { name: 'dlq-checkout-orders', durable: true, autoDelete: false, args: { 'x-max-length': 10, 'x-max-length-bytes': 1000, 'x-queue-mode': 'lazy' } },
    });
  });

  it('reads the subscription metadata daprd understands', () => {
    const topology = subscriptionTopology(
      {
        topic: 'orders',
        consumerGroup: 'checkout',
        metadata: { queueName: 'my-queue', routingKey: 'eu.*,us.*', queueType: 'quorum', singleActiveConsumer: 'true', maxLen: '5', maxLenBytes: '64', maxPriority: '300' },
      },
      { ...settings, maxLen: 100 },
    );
    expect(topology.queue.name).toBe('my-queue');
    expect(topology.bindingKeys).toEqual(['eu.*', 'us.*']);
    expect(topology.queue.args).toEqual({
      'x-max-length': 5,
      'x-max-length-bytes': 64,
      'x-max-priority': 255,
      'x-queue-type': 'quorum',
      'x-single-active-consumer': true,
    });
  });

  it.each([
    [{ queueType: 'stream' }, "'queueType' must be classic or quorum (got 'stream')"],
    [{ maxPriority: 'high' }, "'maxPriority' must be a whole number"],
    [{ maxLen: '-1' }, "'maxLen' must be a whole number"],
    [{ maxLenBytes: '1e3' }, "'maxLenBytes' must be a whole number"],
  ])('refuses subscription metadata %j naming the field', (metadata, expected) => {
    expect(() => subscriptionTopology({ topic: 't', consumerGroup: 'g', metadata }, settings)).toThrow(expected);
  });
});

describe('publish properties', () => {
  const warnings: string[] = [];
  const warn = (text: string) => void warnings.push(text);

  it('carries the content type, delivery mode, TTL, priority and message properties', () => {
    const { routingKey, options } = publishProperties(
      message('t', 'x', { routingKey: 'eu.paris', ttlInSeconds: '30', priority: '7', messageID: 'm-1', correlationID: 'c-1', type: 'order' }),
      { deliveryMode: 2 },
      warn,
    );
    expect(routingKey).toBe('eu.paris');
    expect(options).toEqual({
      deliveryMode: 2,
      contentType: 'text/plain',
      expiration: '30000',
      priority: 7,
      messageId: 'm-1',
      correlationId: 'c-1',
      type: 'order',
    });
  });

  it('uses the default TTL when the request has none, reads Go durations and any key case, and clamps priority', () => {
    expect(publishProperties(message('t', 'x'), { deliveryMode: 0, defaultTtlMs: 5000 }, warn).options).toEqual({ contentType: 'text/plain', expiration: '5000' });
    expect(publishProperties(message('t', 'x', { TTLINSECONDS: '1m30s', Priority: '999' }), { deliveryMode: 1 }, warn).options).toMatchObject({
      deliveryMode: 1,
      expiration: '90000',
      priority: 255,
    });
    expect(publishProperties(message('t', 'x', { ttl: '250ms', contentType: 'application/xml' }), { deliveryMode: 0 }, warn).options).toEqual({
      contentType: 'application/xml',
      expiration: '250',
    });
  });

  it('ignores (with a warning) a TTL or priority daprd would ignore', () => {
    warnings.length = 0;
    const { options } = publishProperties(message('t', 'x', { ttlInSeconds: '0', priority: 'urgent' }), { deliveryMode: 0, defaultTtlMs: 1000 }, warn);
    expect(options).toEqual({ contentType: 'text/plain', expiration: '1000' });
    expect(warnings).toEqual([
      "ignoring metadata ttlInSeconds '0': must be more than zero",
      "ignoring metadata priority 'urgent': not a whole number",
    ]);
  });
});

describe('delivered messages', () => {
  const delivery = {
    content: Buffer.from('body'),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'orders', routingKey: '', consumerTag: 'c' },
    properties: {
      contentType: 'application/json',
      messageId: 'm-1',
      correlationId: undefined,
      type: 'order',
      headers: { tenant: 'acme', retries: 2, raw: Buffer.from('bytes'), nested: { a: 1 } },
    },
  } as unknown as ConsumeMessage;

  it('gives the body, content type and subscription topic, and no metadata by default', () => {
    const m = deliveredMessage('orders', delivery, false);
    expect(m).toEqual({ topic: 'orders', data: Buffer.from('body'), contentType: 'application/json', metadata: {} });
  });

  it('maps properties and headers to metadata.* when asked, as daprd does', () => {
    expect(deliveredMessage('orders', delivery, true).metadata).toEqual({
      'metadata.messageid': 'm-1',
      'metadata.type': 'order',
      'metadata.contenttype': 'application/json',
      'metadata.tenant': 'acme',
      'metadata.retries': '2',
      'metadata.raw': 'bytes',
      'metadata.nested': '{"a":1}',
    });
  });
});
