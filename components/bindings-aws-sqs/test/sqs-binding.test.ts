import { createServer } from 'node:net';
import { DeleteQueueCommand, CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Binding, InputBindingEvent } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterEach, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { SqsBinding } from '../src/sqs-binding.ts';
import { adminClient, createTestQueue, deleteTestQueue, queueCounts, sqsEndpoint, sqsMetadata, sqsSettings, type TestQueue } from './sqs-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

const opened: Binding[] = [];
const queues: TestQueue[] = [];

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((binding) => binding.close()));
  await Promise.allSettled(queues.splice(0).map(deleteTestQueue));
});

async function queue(attributes: Record<string, string> = {}, fifo = false): Promise<TestQueue> {
  const created = await createTestQueue(attributes, fifo);
  queues.push(created);
  return created;
}

async function open(raw: Record<string, string>): Promise<Binding> {
  const binding = await definition.create(validateMetadata(definition.metadata, raw), { name: 'sqs', appId: 'test', logger: silentLogger(), rawMetadata: raw });
  opened.push(binding);
  return binding;
}

const text = (event: InputBindingEvent) => Buffer.from(event.data).toString('utf8');

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Something that resolves when `release()` is called: a handler the test holds open. */
function gate(): { promise: Promise<void>; release: () => void; fail: (error: Error) => void } {
  let release!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { promise, release, fail };
}

describe('output', () => {
  it('sends the data as the message body, byte for byte, and returns the message id', async () => {
    const q = await queue();
    const binding = await open(sqsMetadata(q.name));
    const body = '{"order":42,"note":"naïve – ✓"}';
    const response = await binding.invoke!({ operation: 'create', data: Buffer.from(body), metadata: {} });
    expect(response.data).toHaveLength(0);
    const received = await adminClient.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 5 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual([body]);
    expect(response.metadata['messageId']).toBe(received.Messages![0]!.MessageId);
  });

  it('sends to a FIFO queue with the group and deduplication ids of the request', async () => {
    const q = await queue({}, true);
    const binding = await open(sqsMetadata(q.name));
    await binding.invoke!({ operation: 'create', data: Buffer.from('first'), metadata: { messageGroupId: 'g1', messageDeduplicationId: 'd1' } });
    // The same deduplication id within five minutes is dropped by SQS.
    await binding.invoke!({ operation: 'create', data: Buffer.from('duplicate'), metadata: { messageGroupId: 'g1', messageDeduplicationId: 'd1' } });
    await binding.invoke!({ operation: 'create', data: Buffer.from('second'), metadata: { messageGroupId: 'g1', messageDeduplicationId: 'd2' } });
    const received = await adminClient.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(['first', 'second']);
    // Without a group id SQS refuses a FIFO message; the error says so.
    await expect(binding.invoke!({ operation: 'create', data: Buffer.from('x'), metadata: {} })).rejects.toThrow(/cannot send a message on queue .*\.fifo/);
  });

  it('delays a message by delaySeconds and refuses a bad delay', async () => {
    const q = await queue();
    const binding = await open(sqsMetadata(q.name));
    await binding.invoke!({ operation: 'create', data: Buffer.from('later'), metadata: { delaySeconds: '1' } });
    expect(await queueCounts(q)).toMatchObject({ visible: 0 });
    await until(async () => ((await queueCounts(q)).visible === 1 ? true : undefined), 'the delayed message');
    await expect(binding.invoke!({ operation: 'create', data: Buffer.from('x'), metadata: { delaySeconds: '901' } })).rejects.toThrow('delaySeconds must be a whole number from 0 to 900');
  });

  it('names a queue that does not exist', async () => {
    const binding = await open(sqsMetadata(`missing-${Date.now()}`));
    await expect(binding.invoke!({ operation: 'create', data: Buffer.from('x'), metadata: {} })).rejects.toThrow(/cannot find queue missing-\d+/);
  });

  it('finds a queue again after it was deleted and created anew', async () => {
    const q = await queue();
    const binding = await open(sqsMetadata(q.name));
    await binding.invoke!({ operation: 'create', data: Buffer.from('before'), metadata: {} });
    await adminClient.send(new DeleteQueueCommand({ QueueUrl: q.url }));
    await adminClient.send(new CreateQueueCommand({ QueueName: q.name }));
    await binding.invoke!({ operation: 'create', data: Buffer.from('after'), metadata: {} });
    const received = await adminClient.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 5 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(['after']);
  });

  it('reports a server where nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const binding = await open(sqsMetadata('q', { endpoint: `http://127.0.0.1:${port}` }));
    await expect(binding.invoke!({ operation: 'create', data: Buffer.from('x'), metadata: {} })).rejects.toThrow(/cannot find queue q: .*ECONNREFUSED/);
  });
});

describe('input', () => {
  it('delivers the body with the message metadata, and deletes the message only once the handler resolved', async () => {
    const q = await queue();
    const binding = await open(sqsMetadata(q.name));
    const held = gate();
    const events: InputBindingEvent[] = [];
    await binding.read!(async (event) => {
      events.push(event);
      await held.promise;
    });
    await adminClient.send(
      new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'hello ✓', MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } } }),
    );
    const event = await until(() => events[0], 'the message');
    expect(text(event)).toBe('hello ✓');
    expect(event.metadata).toMatchObject({ approximateReceiveCount: '1', 'attribute.tenant': 'acme' });
    expect(event.metadata['messageId']).toMatch(/.+/);
    expect(Number(event.metadata['sentTimestamp'])).toBeGreaterThan(0);
    // While the app works on it, the message is in flight, not gone.
    expect(await queueCounts(q)).toEqual({ visible: 0, inFlight: 1 });
    held.release();
    await until(async () => {
      const counts = await queueCounts(q);
      return counts.visible === 0 && counts.inFlight === 0 ? true : undefined;
    }, 'the message to be deleted');
  });

  it('leaves a rejected message for SQS to deliver again after its visibility timeout', async () => {
    const q = await queue({ VisibilityTimeout: '1' });
    const binding = await open(sqsMetadata(q.name));
    const counts: string[] = [];
    await binding.read!(async (event) => {
      counts.push(event.metadata['approximateReceiveCount']!);
      if (counts.length === 1) throw new Error('the app failed');
    });
    await adminClient.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'retry me' }));
    await until(() => (counts.length >= 2 ? true : undefined), 'the redelivery');
    expect(counts.slice(0, 2)).toEqual(['1', '2']);
    await until(async () => ((await queueCounts(q)).inFlight === 0 ? true : undefined), 'the redelivered message to be deleted');
    expect(await queueCounts(q)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('handles several messages of a standard queue at once', async () => {
    const q = await queue();
    for (let i = 0; i < 10; i++) await adminClient.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: `m${i}` }));
    const binding = await open(sqsMetadata(q.name));
    let running = 0;
    let most = 0;
    const seen = new Set<string>();
    const held = gate();
    await binding.read!(async (event) => {
      running++;
      most = Math.max(most, running);
      seen.add(text(event));
      // Hold each handler until at least three run together (or all arrived one by one).
      if (most < 3 && seen.size < 10) await Promise.race([held.promise, until(() => (most >= 3 || seen.size === 10 ? true : undefined), 'company')]);
      held.release();
      running--;
    });
    await until(() => (seen.size === 10 ? true : undefined), 'all ten messages');
    expect(most).toBeGreaterThanOrEqual(3);
  });

  it('reads a FIFO queue one message at a time, keeping the order across a redelivery', async () => {
    const q = await queue({ VisibilityTimeout: '1' }, true);
    for (let i = 1; i <= 4; i++) {
      await adminClient.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` }));
    }
    const binding = await open(sqsMetadata(q.name));
    const order: string[] = [];
    let running = 0;
    let overlapped = false;
    let failedOnce = false;
    await binding.read!(async (event) => {
      running++;
      if (running > 1) overlapped = true;
      order.push(text(event));
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      if (text(event) === 'm2' && !failedOnce) {
        failedOnce = true;
        throw new Error('the app fails m2 once');
      }
    });
    await until(() => (order.includes('m4') ? true : undefined), 'the last message');
    expect(overlapped).toBe(false);
    expect(order).toEqual(['m1', 'm2', 'm2', 'm3', 'm4']);
  });

  it('refuses to read a queue that does not exist, naming it', async () => {
    const binding = await open(sqsMetadata(`missing-${Date.now()}`));
    await expect(binding.read!(async () => undefined)).rejects.toThrow(/cannot find queue missing-\d+/);
  });

  it('keeps reading through an outage of the server, and takes the messages sent meanwhile', async () => {
    // The server may hand a message to the long poll the outage cut (it cannot tell): that one
    // comes back after its visibility timeout, kept short here.
    const q = await queue({ VisibilityTimeout: '2' });
    const proxy = new TcpProxy({ host: new URL(sqsEndpoint).hostname, port: Number(new URL(sqsEndpoint).port) });
    await proxy.start();
    try {
      // In-process option: retries at most 500 ms apart, so the test does not wait long once the server is back.
      const binding = await SqsBinding.create({ ...sqsSettings(q.name), endpoint: `http://127.0.0.1:${proxy.port}`, maxRetryDelayMs: 500 });
      opened.push(binding);
      const bodies: string[] = [];
      await binding.read(async (event) => void bodies.push(text(event)));
      await adminClient.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'before' }));
      await until(() => (bodies.includes('before') ? true : undefined), 'the first message');
      await proxy.stop();
      await adminClient.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'during' }));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(bodies).toEqual(['before']);
      await proxy.start();
      await until(() => (bodies.includes('during') ? true : undefined), 'the message sent during the outage');
      expect(bodies).toEqual(['before', 'during']);
    } finally {
      await proxy.stop();
    }
  });

  it('at close, waits for a running handler and deletes the message it took', async () => {
    const q = await queue();
    const binding = await open(sqsMetadata(q.name));
    const held = gate();
    let started = false;
    await binding.read!(async () => {
      started = true;
      await held.promise;
    });
    await adminClient.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'in progress' }));
    await until(() => (started ? true : undefined), 'the handler to start');
    const closing = binding.close();
    held.release();
    await closing;
    expect(await queueCounts(q)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('reads only once per instance, and not after close', async () => {
    const q = await queue();
    const binding = await open(sqsMetadata(q.name));
    await binding.read!(async () => undefined);
    await expect(binding.read!(async () => undefined)).rejects.toThrow('already reading');
    await binding.close();
    await expect(binding.read!(async () => undefined)).rejects.toThrow('is closed');
  });
});

describe('settings', () => {
  it('refuses settings that cannot work, at start', async () => {
    await expect(open(sqsMetadata('q', { secretKey: '' }))).rejects.toThrow('"secretKey" is required with "accessKey"');
    await expect(open(sqsMetadata('q', { assumeRoleArn: 'arn:aws:iam::1:role/r' }))).rejects.toThrow('"assumeRoleArn" is not supported');
    await expect(open(sqsMetadata(' '))).rejects.toThrow('"queueName" is required');
    expect(() => validateMetadata(definition.metadata, { region: 'us-east-1' })).toThrow('metadata field "queueName": is required');
  });
});
