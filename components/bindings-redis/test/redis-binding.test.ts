import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { BindingsService } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { RedisBinding } from '../src/redis-binding.ts';
import { rawRedis, redisHost } from './redis-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

async function create(metadata: Record<string, string>) {
  const values = validateMetadata(definition.metadata, metadata);
  return definition.create(values, { name: 'cache', appId: 'test', logger: silentLogger(), rawMetadata: metadata });
}

async function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('bindings.redis', () => {
  let raw: Redis;
  let binding: RedisBinding;
  const keys: string[] = [];
  const key = () => {
    const name = `bindings-redis-test-${randomUUID()}`;
    keys.push(name);
    return name;
  };
  const invoke = (operation: string, metadata: Record<string, string>, data = '') => binding.invoke({ operation, data: Buffer.from(data), metadata });

  beforeAll(async () => {
    raw = await rawRedis();
    binding = (await create({ redisHost })) as RedisBinding;
  });

  afterAll(async () => {
    if (keys.length > 0) await raw?.del(...keys);
    await binding?.close();
    raw?.disconnect();
  });

  it('create stores the exact bytes under the key, get returns them, delete removes them', async () => {
    const name = key();
    const bytes = Buffer.from([0, 255, 1, 128, 10]);
    await binding.invoke({ operation: 'create', data: bytes, metadata: { key: name } });
    expect(Buffer.compare(Buffer.from((await raw.getBuffer(name))!), bytes)).toBe(0);
    expect(Buffer.compare(Buffer.from((await invoke('get', { key: name })).data), bytes)).toBe(0);
    await invoke('delete', { key: name });
    expect(await raw.exists(name)).toBe(0);
    // Deleting what is not there is not an error, and get answers empty.
    await invoke('delete', { key: name });
    const missing = await invoke('get', { key: name });
    expect(missing.data.byteLength).toBe(0);
    expect(missing.metadata).toEqual({});
  });

  it('create with ttlInSeconds or ttl sets the expiry in the same command', async () => {
    const seconds = key();
    await invoke('create', { key: seconds, ttlInSeconds: '100' }, '"v"');
    const pttl = await raw.pttl(seconds);
    expect(pttl).toBeGreaterThan(90_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
    const duration = key();
    await invoke('create', { key: duration, ttl: '1m30s' }, '"v"');
    expect(await raw.pttl(duration)).toBeGreaterThan(80_000);
    // A create without ttl makes the key persistent again.
    await invoke('create', { key: duration }, '"w"');
    expect(await raw.pttl(duration)).toBe(-1);
  });

  it('refuses a ttl that is not a positive number of seconds or a duration, writing nothing', async () => {
    for (const ttl of ['0', '-5', 'soon', '1.5.5s']) {
      const name = key();
      await expect(invoke('create', { key: name, ttlInSeconds: ttl }, '"v"')).rejects.toThrow(/ttlInSeconds/);
      expect(await raw.exists(name)).toBe(0);
    }
  });

  it('get with delete: "true" reads and removes in one step', async () => {
    const name = key();
    await invoke('create', { key: name }, 'once');
    expect(text((await invoke('get', { key: name, delete: 'true' })).data)).toBe('once');
    expect(await raw.exists(name)).toBe(0);
    expect((await invoke('get', { key: name, delete: 'true' })).data.byteLength).toBe(0);
  });

  it('increment counts from zero, keeps count under concurrency, and can set an expiry', async () => {
    const name = key();
    await Promise.all(Array.from({ length: 50 }, () => invoke('increment', { key: name })));
    expect(await raw.get(name)).toBe('50');
    expect(await raw.pttl(name)).toBe(-1);
    await invoke('increment', { key: name, ttlInSeconds: '60' });
    expect(await raw.get(name)).toBe('51');
    expect(await raw.pttl(name)).toBeGreaterThan(50_000);
  });

  it("increment of a value that is not an integer fails with Redis's reason, leaving it alone", async () => {
    const name = key();
    await invoke('create', { key: name }, 'abc');
    await expect(invoke('increment', { key: name })).rejects.toThrow(/not an integer/);
    expect(await raw.get(name)).toBe('abc');
  });

  it('refuses a request without a key and an unknown operation', async () => {
    await expect(invoke('create', {}, 'x')).rejects.toThrow('the request metadata has no "key"');
    await expect(invoke('list', { key: key() })).rejects.toThrow('does not support the operation "list"');
  });

  it('reports failures through the bindings block as ERR_INVOKE_OUTPUT_BINDING', async () => {
    const service = new BindingsService({ name: 'cache', binding, features: definition.features });
    await expect(service.invoke({ operation: 'get', metadata: {} })).rejects.toMatchObject({ code: 'ERR_INVOKE_OUTPUT_BINDING', message: expect.stringContaining('no "key"') });
    const name = key();
    await service.invoke({ operation: 'create', data: Buffer.from('"through the block"'), metadata: { key: name } });
    expect(text((await service.invoke({ operation: 'get', metadata: { key: name } })).data)).toBe('"through the block"');
  });

  it('refuses bad metadata at start, naming the field', async () => {
    await expect(create({})).rejects.toThrow('metadata field "redisHost": is required');
    await expect(create({ redisHost, redisDB: '-1' })).rejects.toThrow('metadata field "redisDB"');
    await expect(create({ redisHost, redisType: 'sharded' })).rejects.toThrow('metadata field "redisType"');
    await expect(create({ redisHost, failover: 'true' })).rejects.toThrow('metadata field "sentinelMasterName" is required');
    await expect(create({ redisHost, useEntraID: 'true' })).rejects.toThrow('metadata field "useEntraID"');
    await expect(create({ redisHost, clientCert: '-----BEGIN CERTIFICATE-----' })).rejects.toThrow('metadata field "clientKey"');
    await expect(create({ redisHost: 'a:1,b:2' })).rejects.toThrow('metadata field "redisHost" lists several addresses');
    await expect(create({ redisHost: 'localhost:abc' })).rejects.toThrow('metadata field "redisHost"');
    await expect(create({ redisHost: '127.0.0.1:6379', redisPort: '6380' })).rejects.toThrow('metadata field "redisPort"');
  });

  it('refuses to start when Redis does not answer, naming the address', async () => {
    const port = await closedPort();
    await expect(create({ redisHost: `127.0.0.1:${port}`, dialTimeout: '1s' })).rejects.toThrow(`cannot connect to redis at 127.0.0.1:${port}`);
  });

  it('fails calls at once while Redis is unreachable and works again once it is back', async () => {
    const [host, port] = redisHost.split(':');
    const proxy = new TcpProxy({ host: host!, port: Number(port) });
    await proxy.start();
    const viaProxy = await RedisBinding.connect({ host: `127.0.0.1:${proxy.port}`, minRetryIntervalMs: 20, maxRetryIntervalMs: 100 });
    try {
      const name = key();
      await viaProxy.invoke({ operation: 'create', data: Buffer.from('1'), metadata: { key: name } });
      await proxy.stop();
      await expect(viaProxy.invoke({ operation: 'get', data: new Uint8Array(0), metadata: { key: name } })).rejects.toThrow(`redis at 127.0.0.1:${proxy.port}`);
      await proxy.start();
      let value: string | undefined;
      for (let attempt = 0; attempt < 200 && value === undefined; attempt++) {
        value = await viaProxy.invoke({ operation: 'get', data: new Uint8Array(0), metadata: { key: name } }).then(
          (response) => text(response.data),
          () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
        );
      }
      expect(value).toBe('1');
    } finally {
      await viaProxy.close();
      await proxy.stop();
    }
  });
});
