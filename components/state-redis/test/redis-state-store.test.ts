import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, stateCommonMetadata, type StateStore } from '@mecha/state';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { definition, parseAddresses, RedisStateStore } from '../src/index.ts';
import { redisDurationMs } from '../src/dapr-redis-duration.ts';
import { freePort, RedisProcess } from './fixtures/redis-process.ts';
import { requireTestRedis, testRedis } from './fixtures/test-redis.ts';

async function create(raw: Record<string, string>): Promise<StateStore> {
  const metadata = validateMetadata(definition.metadata, raw, { passthrough: stateCommonMetadata });
  return definition.create(metadata, { name: 'statestore', appId: 'redis-test', logger: silentLogger(), rawMetadata: raw });
}

const text = new TextEncoder();

describe('state.redis against the shared server', () => {
  let store: StateStore;
  let raw: Redis;
  let state: StateService;
  const prefix = `redis-test-${randomUUID().slice(0, 8)}`;
  const key = (label: string) => `${prefix}-${label}`;

  beforeAll(async () => {
    await requireTestRedis();
    store = await create({ redisHost: testRedis, ttlInSeconds: '3600' });
    state = new StateService({ name: 'statestore', store, features: definition.features, appId: 'redis-test' });
    const [host, port] = [testRedis.slice(0, testRedis.lastIndexOf(':')), Number(testRedis.slice(testRedis.lastIndexOf(':') + 1))];
    raw = new Redis({ host, port });
  });
  afterAll(async () => {
    const keys = await raw.keys(`redis-test||${prefix}-*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await store.close();
  });

  it("reads items daprd wrote in Dapr's hash layout and writes them back readable by daprd", async () => {
    const k = key('dapr-written');
    await raw.hset(`redis-test||${k}`, { data: '{"total":42}', version: '3', 'first-write': '0' });
    const entry = await state.get(k);
    expect(entry).toMatchObject({ etag: '3' });
    expect(await state.getJson(k)).toEqual({ total: 42 });
    await state.save([{ key: k, value: { total: 43 }, etag: '3' }]);
    const stored = await raw.hgetall(`redis-test||${k}`);
    expect(stored).toMatchObject({ data: '{"total":43}', version: '4' });
    await expect(state.save([{ key: k, value: 0, etag: '3' }])).rejects.toMatchObject({ kind: 'conflict' });
    const [bulk] = await state.getBulk([k]);
    expect(bulk).toMatchObject({ key: k, etag: '4' });
  });

  it('reads a plain string value (very old Dapr layout) without an ETag, and replaces it with a hash on write', async () => {
    const k = key('legacy-string');
    await raw.set(`redis-test||${k}`, '"old"');
    const entry = await state.get(k);
    expect(entry?.etag).toBeUndefined();
    expect(await state.getJson(k)).toBe('old');
    await expect(state.save([{ key: k, value: 'x', options: { concurrency: 'first-write' } }])).rejects.toMatchObject({ kind: 'conflict' });
    await state.save([{ key: k, value: 'new' }]);
    expect(await raw.type(`redis-test||${k}`)).toBe('hash');
    expect(await state.getJson(k)).toBe('new');
  });

  it('keeps exactly the fields data and version, storing binary values byte for byte', async () => {
    const k = key('layout');
    const bytes = new Uint8Array([0, 255, 1, 128, 10, 13]);
    await state.save([{ key: k, value: bytes }]);
    const stored = await raw.hgetallBuffer(`redis-test||${k}`);
    expect(Object.keys(stored).sort()).toEqual(['data', 'version']);
    expect(new Uint8Array(stored.data!)).toEqual(bytes);
    expect(new Uint8Array((await state.get(k))!.value)).toEqual(bytes);
  });

  it('never reuses an ETag after a delete and re-create', async () => {
    const k = key('aba');
    await state.save([{ key: k, value: 0 }]);
    const first = (await state.get(k))!.etag!;
    await state.save([{ key: k, value: 1 }]);
    const before = (await state.get(k))!.etag!;
    // An unconditional write bumps the version by one, as a conditional one does.
    expect(BigInt(before)).toBe(BigInt(first) + 1n);
    await state.delete(k);
    await state.save([{ key: k, value: 2 }]);
    expect((await state.get(k))!.etag).not.toBe(before);
    await expect(state.save([{ key: k, value: 3, etag: before }])).rejects.toMatchObject({ kind: 'conflict' });
  });

  it('applies the component ttlInSeconds when a request sets none; -1 on the request keeps the item forever', async () => {
    const [defaulted, forever] = [key('ttl-default'), key('ttl-forever')];
    await state.save([
      { key: defaulted, value: 1 },
      { key: forever, value: 1, metadata: { ttlInSeconds: '-1' } },
    ]);
    const ttl = await raw.ttl(`redis-test||${defaulted}`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect((await state.get(defaulted))!.metadata.ttlExpireTime).toEqual(expect.any(String));
    expect(await raw.ttl(`redis-test||${forever}`)).toBe(-1);
  });

  it('checks a transaction against its own earlier writes: the same stale ETag twice fails and applies nothing', async () => {
    const [k, other] = [key('tx-self'), key('tx-other')];
    await state.save([{ key: k, value: 1 }]);
    const etag = (await state.get(k))!.etag!;
    await expect(
      state.transaction([
        { operation: 'upsert', request: { key: other, value: 'x' } },
        { operation: 'upsert', request: { key: k, value: 2, etag } },
        { operation: 'upsert', request: { key: k, value: 3, etag } },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_STATE_TRANSACTION', message: expect.stringContaining('operation 3') });
    expect(await state.getJson(k)).toBe(1);
    expect(await state.get(other)).toBeUndefined();
    // A first-write create followed by a delete of the same key in one transaction is fine.
    const fresh = key('tx-fresh');
    await state.transaction([
      { operation: 'upsert', request: { key: fresh, value: 1, options: { concurrency: 'first-write' } } },
      { operation: 'delete', request: { key: fresh } },
    ]);
    expect(await state.get(fresh)).toBeUndefined();
  });

  it('reports a key holding another Redis type as an error for that key only (bulk)', async () => {
    const [list, fine] = [key('a-list'), key('fine')];
    await raw.rpush(`redis-test||${list}`, 'x');
    await state.save([{ key: fine, value: 1 }]);
    await expect(state.get(list)).rejects.toMatchObject({ code: 'ERR_STATE_GET', message: expect.stringContaining('holds a Redis list') });
    const results = await state.getBulk([list, fine]);
    expect(results[0]).toMatchObject({ key: list, error: expect.stringContaining('holds a Redis list') });
    expect(results[1]).toMatchObject({ key: fine, etag: expect.any(String) });
  });

  it('writes a large bulk in one go and reads it back in order', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => key(`bulk-${i}`));
    await state.save(keys.map((k, i) => ({ key: k, value: i })));
    const results = await state.getBulk(keys);
    expect(results.map((r) => JSON.parse(new TextDecoder().decode(r.value)) as number)).toEqual(keys.map((_, i) => i));
    await state.deleteBulk(keys.map((k) => ({ key: k })));
    expect((await state.getBulk(keys)).every((r) => r.value === undefined)).toBe(true);
  });
});

describe('state.redis when Redis is unreachable', () => {
  it('fails to start within dialTimeout, naming the address, when nothing listens', async () => {
    const port = await freePort();
    await expect(create({ redisHost: `127.0.0.1:${port}`, dialTimeout: '1s' })).rejects.toThrow(
      new RegExp(`error connecting to redis at 127\\.0\\.0\\.1:${port}`),
    );
  });

  describe('with a private server that is stopped, paused and started again', () => {
    let server: RedisProcess;
    let store: StateStore;
    let state: StateService;
    beforeAll(async () => {
      server = new RedisProcess(await freePort());
      await server.start();
      store = await create({ redisHost: `127.0.0.1:${server.port}`, readTimeout: '500ms', redisMaxRetryInterval: '100ms' });
      state = new StateService({ name: 'statestore', store, features: definition.features, appId: 'outage' });
    });
    afterAll(async () => {
      await store?.close();
      await server?.remove();
    });

    it('fails at once with a clear error while the server is down, and works again once it is back', async () => {
      await state.save([{ key: 'before', value: 1 }]);
      await server.kill();
      const failure = await state.save([{ key: 'during', value: 2 }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ code: 'ERR_STATE_SAVE', message: expect.stringContaining(`redis at 127.0.0.1:${server.port}`) });
      await expect(state.get('before')).rejects.toMatchObject({ code: 'ERR_STATE_GET', message: expect.stringMatching(/unreachable|lost/) });
      await expect(state.getBulk(['before'])).rejects.toMatchObject({ code: 'ERR_STATE_BULK_GET' });
      await server.start();
      await vi.waitFor(() => state.save([{ key: 'after', value: 3 }]), { timeout: 10_000, interval: 50 });
      expect(await state.getJson('after')).toBe(3);
    });

    it('fails within readTimeout when the server stops answering', async () => {
      server.pause();
      try {
        await expect(state.get('after')).rejects.toMatchObject({ code: 'ERR_STATE_GET', message: expect.stringContaining('did not answer within 500 ms') });
      } finally {
        server.resume();
      }
      await vi.waitFor(async () => expect(await state.getJson('after')).toBe(3), { timeout: 10_000, interval: 50 });
    });
  });
});

describe('state.redis configuration', () => {
  it('parses redisHost like Dapr: default port, redisPort, lists, IPv6', () => {
    expect(parseAddresses('cache')).toEqual([{ host: 'cache', port: 6379 }]);
    expect(parseAddresses('cache', 6380)).toEqual([{ host: 'cache', port: 6380 }]);
    expect(parseAddresses('a:7000, b:7001')).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    expect(parseAddresses('[::1]:6379')).toEqual([{ host: '::1', port: 6379 }]);
    expect(() => parseAddresses('cache:6379', 6380)).toThrow(/already contains port 6379/);
    expect(() => parseAddresses('cache:port')).toThrow(/port must be a number/);
    expect(() => parseAddresses(' , ')).toThrow(/empty/);
  });

  it("reads a bare integer duration as milliseconds, as Dapr's Redis components do", () => {
    expect(redisDurationMs(500_000, '500')).toBe(500);
    expect(redisDurationMs(-1000, '-1')).toBe(-1);
    expect(redisDurationMs(1500, '1.5s')).toBe(1500);
    expect(redisDurationMs(undefined, undefined)).toBeUndefined();
  });

  it('refuses bad metadata before connecting', async () => {
    await expect(create({ redisHost: 'a:1,b:2' })).rejects.toThrow(/set redisType to cluster/);
    await expect(create({ redisHost: 'a', failover: 'true' })).rejects.toThrow(/sentinelMasterName/);
    await expect(create({ redisHost: 'a', ttlInSeconds: '-5' })).rejects.toThrow(/ttlInSeconds/);
    expect(() => validateMetadata(definition.metadata, { redisHost: 'a', redisType: 'ring' })).toThrow(/redisType/);
  });

  it('refuses a non-numeric ETag as invalid rather than as a mismatch', async () => {
    await requireTestRedis();
    const store = await RedisStateStore.connect({ host: testRedis });
    try {
      await expect(
        store.set({ key: `redis-test-${randomUUID()}`, value: text.encode('1'), etag: 'W/"x"', concurrency: 'last-write', consistency: 'strong', metadata: {} }),
      ).rejects.toMatchObject({ name: 'EtagInvalidError' });
    } finally {
      await store.close();
    }
  });
});
