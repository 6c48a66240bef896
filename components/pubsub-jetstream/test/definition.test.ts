import { createServer } from 'node:net';
import { silentLogger, validateMetadata, type Logger } from '@mecha/core';
import { pubsubCommonFields } from '@mecha/pubsub';
import { describe, expect, it } from 'vitest';
import { definition, optionsFromMetadata } from '../src/index.ts';
import { parseDurationList } from '../src/duration-list.ts';
import { consumerNameFor, invalidNameReason, streamNameForTopic } from '../src/jetstream-names.ts';

/** As the runtime does it: schema validation, then the factory; either may refuse. */
async function create(raw: Record<string, string>) {
  const metadata = validateMetadata(definition.metadata, raw, { passthrough: pubsubCommonFields });
  return definition.create(metadata, { name: 'pubsub', appId: 'app', logger: silentLogger(), rawMetadata: raw });
}

function options(raw: Record<string, string>, logger: Logger = silentLogger()) {
  return optionsFromMetadata(validateMetadata(definition.metadata, { natsURL: 'nats://x:4222', ...raw }), logger);
}

describe('pubsub.jetstream definition', () => {
  it("has Dapr's type name and declares native bulk publish", () => {
    expect(definition.type).toBe('pubsub.jetstream');
    expect(definition.version).toBe('v1');
    expect(definition.features).toEqual(['BULK_PUBSUB']);
  });

  it.each([
    [{}, /natsURL.*is required/],
    [{ natsURL: 'nats://x', jwt: 'eyJ' }, /'seedKey' is required when 'jwt' is set/],
    [{ natsURL: 'nats://x', seedKey: 'SU' }, /'jwt' is required when 'seedKey' is set/],
    [{ natsURL: 'nats://x', tls_client_cert: '/c.pem' }, /'tls_client_key' is required/],
    [{ natsURL: 'nats://x', tls_client_key: '/k.pem' }, /'tls_client_cert' is required/],
    [{ natsURL: 'nats://x', ackPolicy: 'none' }, /'ackPolicy' 'none' is not supported/],
    [{ natsURL: 'nats://x', ackPolicy: 'all' }, /'ackPolicy' 'all' is not supported/],
    [{ natsURL: 'nats://x', ackPolicy: 'sometimes' }, /"ackPolicy": must be one of: explicit, all, none/],
    [{ natsURL: 'nats://x', deliverPolicy: 'first' }, /"deliverPolicy": must be one of/],
    [{ natsURL: 'nats://x', deliverPolicy: 'sequence' }, /'startSequence' is required with deliverPolicy 'sequence'/],
    [{ natsURL: 'nats://x', startSequence: '5' }, /'startSequence' applies only with deliverPolicy 'sequence'/],
    [{ natsURL: 'nats://x', deliverPolicy: 'sequence', startSequence: '1.5' }, /'startSequence' must be a whole number/],
    [{ natsURL: 'nats://x', deliverPolicy: 'time' }, /'startTime' is required with deliverPolicy 'time'/],
    [{ natsURL: 'nats://x', startTime: '1640995200' }, /'startTime' applies only with deliverPolicy 'time'/],
    [{ natsURL: 'nats://x', ackWait: 'soon' }, /"ackWait": invalid duration/],
    [{ natsURL: 'nats://x', ackWait: '-1s' }, /'ackWait' must be a positive duration/],
    [{ natsURL: 'nats://x', maxDeliver: '0.5' }, /'maxDeliver' must be a whole number/],
    [{ natsURL: 'nats://x', backOff: '1s, later', maxDeliver: '5' }, /'backOff' must be a comma-separated list of durations/],
    [{ natsURL: 'nats://x', backOff: '1s, 2s' }, /'maxDeliver' must be set, and greater than the number of 'backOff' delays \(2\)/],
    [{ natsURL: 'nats://x', backOff: '1s, 2s', maxDeliver: '2' }, /'maxDeliver' must be set, and greater/],
    [{ natsURL: 'nats://x', maxAckPending: '-5' }, /'maxAckPending' must be a whole number/],
    [{ natsURL: 'nats://x', replicas: '7' }, /'replicas' must be a whole number from 1 to 5/],
    [{ natsURL: 'nats://x', streamName: 'orders.v1' }, /'streamName' must not contain whitespace/],
    [{ natsURL: 'nats://x', durableName: 'my durable' }, /'durableName' must not contain whitespace/],
    [{ natsURL: 'nats://x', concurrency: 'many' }, /"concurrency": must be one of: single, parallel/],
    [{ natsURL: 'nats://x', maxDeliver: 'ten' }, /"maxDeliver"/],
  ])('refuses bad metadata %o at create, naming the field', async (raw, message) => {
    await expect(create(raw as Record<string, string>)).rejects.toThrow(message);
  });

  it('fails to create, naming the server, when nothing answers there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(create({ natsURL: `nats://127.0.0.1:${port}` })).rejects.toThrow(
      `pubsub.jetstream: cannot connect to NATS at nats://127.0.0.1:${port}`,
    );
  });

  it("maps Dapr's metadata onto consumer settings", () => {
    const result = options({
      natsURL: 'nats://a:4222, nats://b:4222',
      name: 'orders-sidecar',
      deliverPolicy: 'time',
      startTime: '1640995200',
      ackWait: '10s',
      maxDeliver: '5',
      backOff: '[500ms, 2s, 10s]',
      maxAckPending: '100',
      replicas: '3',
      memoryStorage: 'true',
      heartbeat: '5s',
      concurrency: 'parallel',
      token: 'secret',
      domain: 'hub',
      apiPrefix: '$JS.hub.API',
      streamName: 'ORDERS',
      durableName: 'orders-worker',
    });
    expect(result).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      connectionName: 'orders-sidecar',
      token: 'secret',
      domain: 'hub',
      apiPrefix: '$JS.hub.API',
      streamName: 'ORDERS',
      durableName: 'orders-worker',
      heartbeatMs: 5000,
      concurrency: 'parallel',
      consumer: {
        deliverPolicy: 'by_start_time',
        startTime: new Date(1640995200 * 1000),
        ackWaitMs: 10_000,
        maxDeliver: 5,
        backOffMs: [500, 2000, 10_000],
        maxAckPending: 100,
        replicas: 3,
        memoryStorage: true,
      },
    });
  });

  it("uses Dapr's defaults: connection name, deliver all, one message at a time", () => {
    expect(options({})).toMatchObject({
      connectionName: 'dapr.io - pubsub.jetstream',
      concurrency: 'single',
      consumer: { deliverPolicy: 'all', memoryStorage: false },
    });
    expect(options({ deliverPolicy: 'sequence', startSequence: '42' }).consumer).toMatchObject({
      deliverPolicy: 'by_start_sequence',
      startSequence: 42,
    });
  });

  it('reports the metadata it accepts only for Dapr compatibility', () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger(), warn: (_: unknown, message?: string) => void warnings.push(String(message)) };
    options({ queueGroupName: 'q', flowControl: 'true', rateLimit: '1000', deliverAll: 'true' }, logger as Logger);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/'queueGroupName', 'flowControl', 'rateLimit', 'deliverAll' accepted for Dapr compatibility and ignored/);
    warnings.length = 0;
    options({ flowControl: 'false' }, logger as Logger);
    expect(warnings).toEqual([]);
  });
});

describe('pubsub.jetstream names and lists', () => {
  it('reads backOff lists with or without brackets and quotes', () => {
    expect(parseDurationList('500ms, 2s, 10s')).toEqual([500, 2000, 10_000]);
    expect(parseDurationList('["1s","1m"]')).toEqual([1000, 60_000]);
    expect(parseDurationList(' [ ] ')).toEqual([]);
    expect(() => parseDurationList('1s,,2s')).toThrow();
    expect(() => parseDurationList('0s')).toThrow(/not a positive duration/);
  });

  it('names streams and consumers validly, and keeps different topics and groups apart', () => {
    expect(streamNameForTopic('orders')).toBe('orders');
    const topics = ['orders.created', 'orders_created', 'orders created', 'a/b', 'x'.repeat(300)];
    const streams = topics.map(streamNameForTopic);
    expect(new Set(streams).size).toBe(topics.length);
    for (const name of streams) expect(invalidNameReason(name)).toBeUndefined();

    const consumers = [
      consumerNameFor('a-b', 'c'),
      consumerNameFor('a', 'b-c'),
      consumerNameFor('a__b', 'c'),
      consumerNameFor('a', 'b__c'),
      consumerNameFor('app.1', 'orders.*'),
    ];
    expect(new Set(consumers).size).toBe(consumers.length);
    for (const name of consumers) expect(invalidNameReason(name)).toBeUndefined();
    expect(consumerNameFor('checkout', 'orders')).toBe(consumerNameFor('checkout', 'orders'));
  });
});
