import { randomUUID } from 'node:crypto';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import type { Binding, InputBindingEvent } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterEach, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { KinesisBinding, type KinesisBindingOptions } from '../src/kinesis-binding.ts';
import { adminClient, createTestStream, deleteTestStream, kinesisEndpoint, kinesisMetadata, kinesisSettings, waitActive } from './kinesis-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

const opened: Binding[] = [];
const streams: string[] = [];

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((binding) => binding.close()));
  await Promise.allSettled(streams.splice(0).map(deleteTestStream));
});

async function stream(shards = 1): Promise<string> {
  const name = await createTestStream(shards);
  streams.push(name);
  return name;
}

async function open(raw: Record<string, string>): Promise<Binding> {
  const binding = await definition.create(validateMetadata(definition.metadata, raw), { name: 'kinesis', appId: 'test', logger: silentLogger(), rawMetadata: raw });
  opened.push(binding);
  return binding;
}

/** In-process options: quick polls and retries, so the tests do not wait on the defaults. */
async function openFast(streamName: string, extra: Partial<KinesisBindingOptions> = {}): Promise<KinesisBinding> {
  const binding = await KinesisBinding.create({ ...kinesisSettings(streamName), pollIntervalMs: 100, shardSyncIntervalMs: 200, maxRetryDelayMs: 100, ...extra });
  opened.push(binding);
  return binding;
}

const text = (event: InputBindingEvent) => Buffer.from(event.data).toString('utf8');

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function put(streamName: string, data: string | Uint8Array, partitionKey = 'k'): Promise<void> {
  await adminClient.send(new PutRecordCommand({ StreamName: streamName, Data: typeof data === 'string' ? Buffer.from(data) : data, PartitionKey: partitionKey }));
}

/** Everything a shard holds, read from its start. */
async function shardRecords(streamName: string, shardId: string): Promise<{ data: string; partitionKey: string; sequenceNumber: string }[]> {
  const { ShardIterator } = await adminClient.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const output = await adminClient.send(new GetRecordsCommand({ ShardIterator }));
  return (output.Records ?? []).map((r) => ({ data: Buffer.from(r.Data!).toString(), partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber! }));
}

describe('output', () => {
  it("puts the data as a record under the request's partition key and reports where it went", async () => {
    const name = await stream(2);
    const binding = await open(kinesisMetadata(name));
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const response = await binding.invoke!({ operation: 'create', data: bytes, metadata: { partitionKey: 'order-7' } });
    expect(response.data).toHaveLength(0);
    expect(response.metadata['partitionKey']).toBe('order-7');
    const shardId = response.metadata['shardId']!;
    const records = await shardRecords(name, shardId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ partitionKey: 'order-7', sequenceNumber: response.metadata['sequenceNumber'] });
    const { ShardIterator } = await adminClient.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const raw = await adminClient.send(new GetRecordsCommand({ ShardIterator }));
    expect(Buffer.from(raw.Records![0]!.Data!)).toEqual(bytes);
  });

  it("uses the component's partitionKey, else a random one per record", async () => {
    const name = await stream();
    const fixed = await open(kinesisMetadata(name, { partitionKey: 'tenant-1' }));
    expect((await fixed.invoke!({ operation: 'create', data: Buffer.from('a'), metadata: {} })).metadata['partitionKey']).toBe('tenant-1');
    expect((await fixed.invoke!({ operation: 'create', data: Buffer.from('b'), metadata: { partitionKey: 'other' } })).metadata['partitionKey']).toBe('other');
    const random = await open(kinesisMetadata(name));
    const keys = await Promise.all([1, 2].map(async () => (await random.invoke!({ operation: 'create', data: Buffer.from('c'), metadata: {} })).metadata['partitionKey']));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('names a stream that does not exist', async () => {
    const binding = await open(kinesisMetadata(`missing-${randomUUID()}`));
    await expect(binding.invoke!({ operation: 'create', data: Buffer.from('x'), metadata: {} })).rejects.toThrow(/cannot put a record on stream missing-.*not found/i);
  });
});

describe('input', () => {
  it('delivers records written after reading began, with their Kinesis metadata', async () => {
    const name = await stream();
    await put(name, 'written before reading');
    const binding = await open(kinesisMetadata(name));
    const events: InputBindingEvent[] = [];
    await binding.read!(async (event) => void events.push(event));
    const bytes = Buffer.from([0xff, 0x00, 0x7f]);
    await put(name, bytes, 'pk-1');
    const event = await until(() => events[0], 'the record');
    expect(Buffer.from(event.data)).toEqual(bytes);
    expect(event.metadata).toMatchObject({ partitionKey: 'pk-1', shardId: 'shardId-000000000000' });
    expect(event.metadata['sequenceNumber']).toMatch(/^\d+$/);
    expect(Number.isNaN(Date.parse(event.metadata['approximateArrivalTimestamp']!))).toBe(false);
    await put(name, 'second', 'pk-1');
    await until(() => events[1], 'the second record');
    expect(events.map(text)).not.toContain('written before reading');
  });

  it('reads every shard, in order within each', async () => {
    const name = await stream(3);
    const binding = await openFast(name);
    const events: InputBindingEvent[] = [];
    await binding.read(async (event) => void events.push(event));
    for (let i = 0; i < 30; i++) await put(name, `${i % 5}:${i}`, `key-${i % 5}`);
    await until(() => (events.length === 30 ? true : undefined), 'all thirty records');
    expect(new Set(events.map((e) => e.metadata['shardId'])).size).toBeGreaterThan(1);
    for (let key = 0; key < 5; key++) {
      const ofKey = events.filter((e) => e.metadata['partitionKey'] === `key-${key}`).map((e) => Number(text(e).split(':')[1]));
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
      expect(ofKey).toHaveLength(6);
    }
  });

  it('offers a rejected record again before any later record of its shard', async () => {
    const name = await stream();
    const binding = await openFast(name);
    const seen: string[] = [];
    let failures = 0;
    await binding.read(async (event) => {
      seen.push(text(event));
      if (text(event) === 'two' && failures < 2) {
        failures++;
        throw new Error('the app is not ready');
      }
    });
    for (const data of ['one', 'two', 'three', 'four']) await put(name, data);
    await until(() => (seen.includes('four') ? true : undefined), 'the last record');
    expect(seen).toEqual(['one', 'two', 'two', 'two', 'three', 'four']);
  });

  it('reads the shards a split makes, after the records of their parent', async () => {
    const name = await stream(1);
    const binding = await openFast(name);
    const seen: InputBindingEvent[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    await binding.read(async (event) => {
      if (text(event) === 'before split') await firstHeld;
      seen.push(event);
    });
    await put(name, 'before split', 'same-key');
    const { Shards } = await adminClient.send(new ListShardsCommand({ StreamName: name }));
    const parent = Shards![0]!;
    const middle = (BigInt(parent.HashKeyRange!.EndingHashKey!) / 2n).toString();
    await adminClient.send(new SplitShardCommand({ StreamName: name, ShardToSplit: parent.ShardId!, NewStartingHashKey: middle }));
    await waitActive(name);
    await put(name, 'after split', 'same-key');
    // The child waits while the parent's last record is still with the app.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(seen).toEqual([]);
    releaseFirst();
    await until(() => (seen.length === 2 ? true : undefined), 'both records');
    expect(seen.map(text)).toEqual(['before split', 'after split']);
    expect(seen[0]!.metadata['shardId']).toBe(parent.ShardId);
    expect(seen[1]!.metadata['shardId']).not.toBe(parent.ShardId);
  });

  it('keeps reading through an outage of the server, losing none of the records written meanwhile', async () => {
    const name = await stream();
    const endpoint = new URL(kinesisEndpoint);
    const proxy = new TcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
    await proxy.start();
    try {
      const binding = await openFast(name, { endpoint: `http://127.0.0.1:${proxy.port}` });
      const seen: string[] = [];
      await binding.read(async (event) => void seen.push(text(event)));
      await put(name, 'before');
      await until(() => (seen.includes('before') ? true : undefined), 'the first record');
      await proxy.stop();
      await put(name, 'during 1');
      await put(name, 'during 2');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(seen).toEqual(['before']);
      await proxy.start();
      await put(name, 'after');
      await until(() => (seen.includes('after') ? true : undefined), 'the record written after the outage');
      expect(seen).toEqual(['before', 'during 1', 'during 2', 'after']);
    } finally {
      await proxy.stop();
    }
  });

  it('does not lose records written during an outage before the first record arrived', async () => {
    const name = await stream();
    const endpoint = new URL(kinesisEndpoint);
    const proxy = new TcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
    await proxy.start();
    try {
      const binding = await openFast(name, { endpoint: `http://127.0.0.1:${proxy.port}` });
      const seen: string[] = [];
      await binding.read(async (event) => void seen.push(text(event)));
      await proxy.stop();
      await put(name, 'during');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await proxy.start();
      await until(() => (seen.includes('during') ? true : undefined), 'the record written during the outage');
    } finally {
      await proxy.stop();
    }
  });

  it('refuses to read a stream that does not exist, naming it, and can read once it exists', async () => {
    const name = `missing-${randomUUID()}`;
    const binding = await openFast(name);
    await expect(binding.read(async () => undefined)).rejects.toThrow(`cannot read stream ${name}`);
    await adminClient.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    streams.push(name);
    await waitActive(name);
    const seen: string[] = [];
    await binding.read(async (event) => void seen.push(text(event)));
    await put(name, 'now it exists');
    await until(() => (seen.length > 0 ? true : undefined), 'the record');
    expect(seen).toEqual(['now it exists']);
  });

  it('reads only once per instance, and not after close', async () => {
    const name = await stream();
    const binding = await open(kinesisMetadata(name));
    await binding.read!(async () => undefined);
    await expect(binding.read!(async () => undefined)).rejects.toThrow('already reading');
    await binding.close();
    await expect(binding.read!(async () => undefined)).rejects.toThrow('is closed');
  });

  it('at close, waits for the handler that is running and then stops', async () => {
    const name = await stream();
    const binding = await openFast(name);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    await binding.read(async (event) => {
      await held;
      seen.push(text(event));
    });
    await put(name, 'in progress');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closing = binding.close();
    release();
    await closing;
    expect(seen).toEqual(['in progress']);
    await put(name, 'after close');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual(['in progress']);
  });
});

describe('settings', () => {
  it('refuses what it cannot do, at start', async () => {
    await expect(open(kinesisMetadata('s', { mode: 'extended' }))).rejects.toThrow('"extended" (enhanced fan-out, SubscribeToShard) is not supported');
    expect(() => validateMetadata(definition.metadata, kinesisMetadata('s', { mode: 'turbo' }))).toThrow('must be one of: shared, extended');
    await expect(open(kinesisMetadata('s', { accessKey: '' }))).rejects.toThrow('"accessKey" is required with "secretKey"');
    await expect(open(kinesisMetadata('s', { trustAnchorArn: 'arn:x' }))).rejects.toThrow('"trustAnchorArn" is not supported');
    await expect(open(kinesisMetadata(' '))).rejects.toThrow('"streamName" is required');
    await expect(KinesisBinding.create({ ...kinesisSettings('s'), pollIntervalMs: 0 })).rejects.toThrow('pollIntervalMs must be more than 0');
  });
});
