import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { InputBindingEvent } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import type { ChannelModel, GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import type { RabbitMqBinding } from '../src/rabbitmq-binding.ts';
import { amqpUrl, deleteQueues, rawRabbit, waitFor } from './rabbitmq-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

async function create(metadata: Record<string, string>) {
  const values = validateMetadata(definition.metadata, metadata);
  return (await definition.create(values, { name: 'queue', appId: 'test', logger: silentLogger(), rawMetadata: metadata })) as RabbitMqBinding;
}

describe('bindings.rabbitmq', () => {
  let raw: ChannelModel;
  const queues: string[] = [];
  const bindings: RabbitMqBinding[] = [];
  const queue = () => {
    const name = `bindings-rabbitmq-test-${randomUUID()}`;
    queues.push(name);
    return name;
  };
  const open = async (metadata: Record<string, string>) => {
    const binding = await create({ host: amqpUrl, reconnectWaitInSeconds: '0.2', ...metadata });
    bindings.push(binding);
    return binding;
  };
  const publish = (binding: RabbitMqBinding, data: string, metadata: Record<string, string> = {}) =>
    binding.invoke({ operation: 'create', data: Buffer.from(data), metadata });
  const getOne = async (name: string): Promise<GetMessage> => {
    const channel = await raw.createChannel();
    try {
      return await waitFor(async () => (await channel.get(name, { noAck: true })) || undefined, `a message in ${name}`);
    } finally {
      await channel.close();
    }
  };

  beforeAll(async () => {
    raw = await rawRabbit();
  });

  afterAll(async () => {
    await Promise.allSettled(bindings.map((binding) => binding.close()));
    await raw?.close();
    await deleteQueues(queues);
  });

  it('declares the queue with the metadata: durable, auto-delete, message TTL and max priority', async () => {
    const name = queue();
    await open({ queueName: name, durable: 'true', ttlInSeconds: '60', maxPriority: '10' });
    // Declaring it again with the same arguments succeeds, with others RabbitMQ refuses.
    const channel = await raw.createChannel();
    await channel.assertQueue(name, { durable: true, arguments: { 'x-message-ttl': 60_000, 'x-max-priority': 10 } });
    await channel.close();
    const other = await raw.createChannel();
    other.on('error', () => {});
    await expect(other.assertQueue(name, { durable: true, arguments: { 'x-message-ttl': 30_000, 'x-max-priority': 10 } })).rejects.toThrow(/PRECONDITION_FAILED/);
  });

  it('publishes persistent messages with the request metadata as headers and AMQP properties', async () => {
    const name = queue();
    const binding = await open({ queueName: name, maxPriority: '9', contentType: 'application/json' });
    await publish(binding, '{"a":1}', { messageID: 'm-1', CorrelationID: 'c-1', type: 'order.created', ttlInSeconds: '120', priority: '7', custom: 'yes' });
    const message = await getOne(name);
    expect(message.content.toString()).toBe('{"a":1}');
    expect(message.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: 'm-1',
      correlationId: 'c-1',
      type: 'order.created',
      expiration: '120000',
      priority: 7,
    });
    expect(message.properties.headers).toMatchObject({ custom: 'yes', messageID: 'm-1' });
    await publish(binding, 'plain', { contentType: 'text/csv' });
    expect((await getOne(name)).properties.contentType).toBe('text/csv');
    const defaults = await open({ queueName: queue() });
    await publish(defaults, 'x');
    expect((await getOne(queues.at(-1)!)).properties.contentType).toBe('text/plain');
  });

  it('serves the highest priority first on a priority queue', async () => {
    const name = queue();
    const binding = await open({ queueName: name, maxPriority: '5' });
    await publish(binding, 'low', { priority: '1' });
    await publish(binding, 'high', { priority: '300' });
    expect((await getOne(name)).content.toString()).toBe('high');
    expect((await getOne(name)).content.toString()).toBe('low');
  });

  it('refuses bad request metadata before publishing', async () => {
    const name = queue();
    const binding = await open({ queueName: name });
    await expect(publish(binding, 'x', { priority: 'urgent' })).rejects.toThrow('metadata priority');
    await expect(publish(binding, 'x', { ttlInSeconds: '0' })).rejects.toThrow('metadata ttlInSeconds');
    await expect(binding.invoke({ operation: 'delete', data: new Uint8Array(0), metadata: {} })).rejects.toThrow('does not support the operation "delete"');
    const channel = await raw.createChannel();
    expect((await channel.checkQueue(name)).messageCount).toBe(0);
    await channel.close();
  });

  it('hands messages over one at a time in queue order, with their text headers as metadata, and acks each', async () => {
    const name = queue();
    const binding = await open({ queueName: name, prefetchCount: '10' });
    for (let i = 0; i < 20; i++) await publish(binding, `m${i}`, { seq: String(i), 'with space': 'v' });
    const seen: InputBindingEvent[] = [];
    let active = 0;
    let maxActive = 0;
    await binding.read(async (event) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 2));
      seen.push(event);
      active--;
    });
    await waitFor(() => (seen.length === 20 ? true : undefined), 'all 20 messages');
    expect(seen.map((event) => text(event.data))).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(maxActive).toBe(1);
    expect(seen[3]!.metadata).toMatchObject({ seq: '3', 'with%20space': 'v' });
    const channel = await raw.createChannel();
    await waitFor(async () => ((await channel.checkQueue(name)).messageCount === 0 ? true : undefined), 'the queue to be empty');
    await channel.close();
  });

  it('puts a rejected message back on the queue and hands it over again', async () => {
    const name = queue();
    const binding = await open({ queueName: name });
    let attempts = 0;
    await binding.read(async () => {
      attempts++;
      if (attempts < 3) throw new Error('not yet');
    });
    await publish(binding, 'retry me');
    await waitFor(() => (attempts >= 3 ? true : undefined), 'the third attempt');
    const channel = await raw.createChannel();
    await waitFor(async () => ((await channel.checkQueue(name)).messageCount === 0 ? true : undefined), 'the queue to be empty');
    await channel.close();
  });

  it('on close lets the message in progress finish and acks it; the ones not started go back', async () => {
    const name = queue();
    const binding = await open({ queueName: name, prefetchCount: '5' });
    for (let i = 0; i < 3; i++) await publish(binding, `c${i}`);
    let release!: () => void;
    const started: string[] = [];
    await binding.read(async (event) => {
      started.push(text(event.data));
      await new Promise<void>((resolve) => (release = resolve));
    });
    await waitFor(() => (started.length === 1 ? true : undefined), 'the first message');
    const closing = binding.close();
    release();
    await closing;
    expect(started).toEqual(['c0']);
    // c0 was acknowledged; c1 and c2 are back in the queue.
    expect((await getOne(name)).content.toString()).toBe('c1');
    expect((await getOne(name)).content.toString()).toBe('c2');
  });

  it('reconnects after losing the broker: publishing fails meanwhile, then both directions work again', async () => {
    const name = queue();
    const target = new URL(amqpUrl);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
    await proxy.start();
    const viaProxy = new URL(amqpUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const binding = await open({ host: viaProxy.href, queueName: name, durable: 'true' });
    try {
      const received: string[] = [];
      await binding.read(async (event) => void received.push(text(event.data)));
      await publish(binding, 'before');
      await waitFor(() => (received.includes('before') ? true : undefined), 'the message sent before the cut');
      await proxy.stop();
      await expect(waitFor(() => publish(binding, 'during').then(() => undefined, (error: Error) => error), 'a refused publish')).resolves.toMatchObject({
        message: expect.stringMatching(/unreachable|lost|closed/),
      });
      // Published by someone else while this binding is away: it arrives once the binding is back.
      const channel = await raw.createChannel();
      channel.sendToQueue(name, Buffer.from('while away'));
      await channel.close();
      await proxy.start();
      await waitFor(() => publish(binding, 'after').then(() => true, () => undefined), 'publishing to work again');
      await waitFor(() => (received.includes('while away') && received.includes('after') ? true : undefined), 'messages after the reconnect');
    } finally {
      await binding.close();
      await proxy.stop();
    }
  });

  it('refuses bad metadata at start, naming the field', async () => {
    await expect(create({ queueName: 'q' })).rejects.toThrow('metadata field "host": is required');
    await expect(create({ host: amqpUrl })).rejects.toThrow('metadata field "queueName": is required');
    await expect(create({ host: 'http://localhost:5672', queueName: 'q' })).rejects.toThrow('metadata field "host" has the scheme "http"');
    await expect(create({ host: 'not a url', queueName: 'q' })).rejects.toThrow('metadata field "host" is not a URL');
    await expect(create({ host: amqpUrl, queueName: 'q', prefetchCount: '-1' })).rejects.toThrow('metadata field "prefetchCount"');
    await expect(create({ host: amqpUrl, queueName: 'q', maxPriority: 'high' })).rejects.toThrow('metadata field "maxPriority"');
    await expect(create({ host: amqpUrl, queueName: 'q', reconnectWaitInSeconds: '0' })).rejects.toThrow('metadata field "reconnectWaitInSeconds"');
    await expect(create({ host: amqpUrl, queueName: 'q', ttl: 'soon' })).rejects.toThrow('metadata field "ttl"');
    await expect(create({ host: amqpUrl, queueName: 'q', clientKey: '-----BEGIN PRIVATE KEY-----' })).rejects.toThrow('metadata field "clientCert"');
  });

  it('refuses to start when the broker does not answer or the queue exists with other settings', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(create({ host: `amqp://guest:secret@127.0.0.1:${port}`, queueName: 'q' })).rejects.toThrow(`cannot connect to RabbitMQ at amqp://guest:***@127.0.0.1:${port}`);
    const name = queue();
    await open({ queueName: name, durable: 'true' });
    await expect(open({ queueName: name, durable: 'false' })).rejects.toThrow(/PRECONDITION_FAILED/);
  });
});
