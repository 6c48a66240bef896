import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { EtagInvalidError, EtagMismatchError, stateCommonMetadata, type StateStore } from '@mecha/state';
import { definition, memcachedKey, MemcachedStateStore } from '../src/index.ts';
import { requireTestMemcached, testMemcached } from './fixtures/test-memcached.ts';

beforeAll(() => requireTestMemcached());

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function create(raw: Record<string, string>): Promise<StateStore> {
  const metadata = validateMetadata(definition.metadata, raw, { passthrough: stateCommonMetadata });
  return definition.create(metadata, { name: 'statestore', appId: 'app', logger: silentLogger(), rawMetadata: raw });
}

function store(hosts = [testMemcached], timeoutMs = 1000): MemcachedStateStore {
  const created = new MemcachedStateStore({ hosts, timeoutMs });
  closers.push(() => created.close());
  return created;
}

const get = (s: StateStore, key: string) => s.get({ key, consistency: 'strong', metadata: {} });
const set = (s: StateStore, key: string, value: string, extra: { etag?: string; ttlInSeconds?: number } = {}) =>
  s.set({ key, value: Buffer.from(value), concurrency: 'last-write', consistency: 'strong', metadata: {}, ...extra });

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `127.0.0.1:${address.port}`;
}

/** A TCP proxy to the test memcached that a test can cut or pause. */
async function proxy(): Promise<{ address: string; cut(): void; pause(): void; resume(): void; connections(): number }> {
  const sockets = new Set<Socket>();
  let paused = false;
  let accepted = 0;
  const [host, port] = [testMemcached.slice(0, testMemcached.lastIndexOf(':')), Number(testMemcached.slice(testMemcached.lastIndexOf(':') + 1))];
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host, port });
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (!paused) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  const address = await listen(server);
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
  });
  return {
    address,
    cut: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    connections: () => accepted,
  };
}

describe('memcachedKey', () => {
  it('keeps plain keys and hashes the ones memcached cannot take, without collisions', () => {
    expect(memcachedKey('app||order-1')).toBe('app||order-1');
    const odd = ['with space', 'ключ', 'x'.repeat(251), '', '#plain', 'tab\there', 'new\nline'];
    const mapped = odd.map(memcachedKey);
    for (const key of mapped) expect(key).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(new Set(mapped).size).toBe(odd.length);
    expect(memcachedKey('x'.repeat(250))).toBe('x'.repeat(250));
  });

  it('stores a key that needs hashing and reads it back by its state key', async () => {
    const s = store();
    const key = `spaced key ${randomUUID()} ✓`;
    await set(s, key, 'v');
    expect(Buffer.from((await get(s, key))!.value).toString()).toBe('v');
    expect(await get(s, `${key}-other`)).toBeUndefined();
  });
});

describe('MemcachedStateStore', () => {
  it('refuses malformed ETags and reports a mismatch for a well-formed one that does not match', async () => {
    const s = store();
    const key = `etag-${randomUUID()}`;
    await set(s, key, 'v');
    const { etag } = (await get(s, key))!;
    expect(etag).toMatch(/^\d+$/);
    for (const bad of ['abc', '-1', '1.5', '18446744073709551616', '']) {
      await expect(set(s, key, 'w', { etag: bad })).rejects.toBeInstanceOf(EtagInvalidError);
      await expect(s.delete({ key, etag: bad, concurrency: 'last-write', consistency: 'strong', metadata: {} })).rejects.toBeInstanceOf(EtagInvalidError);
    }
    await expect(set(s, key, 'w', { etag: `${BigInt(etag!) + 1000n}` })).rejects.toBeInstanceOf(EtagMismatchError);
    await expect(s.delete({ key, etag: '0', concurrency: 'last-write', consistency: 'strong', metadata: {} })).rejects.toBeInstanceOf(EtagMismatchError);
    expect(Buffer.from((await get(s, key))!.value).toString()).toBe('v');
  });

  it('stores a TTL above 30 days as an absolute time and reports it', async () => {
    const s = store();
    const key = `ttl-long-${randomUUID()}`;
    const days40 = 40 * 24 * 3600;
    const before = Date.now();
    await set(s, key, 'v', { ttlInSeconds: days40 });
    const item = await get(s, key);
    expect(item).toBeDefined();
    const expires = Date.parse(item!.metadata!.ttlExpireTime!);
    expect(Math.abs(expires - (before + days40 * 1000))).toBeLessThan(5_000);
  });

  it('answers many pipelined requests on one connection in order', async () => {
    const s = store();
    const keys = Array.from({ length: 300 }, (_, i) => `pipe-${i}-${randomUUID()}`);
    await Promise.all(keys.map((key, i) => set(s, key, `value-${i}`)));
    const values = await Promise.all(keys.map(async (key) => Buffer.from((await get(s, key))!.value).toString()));
    expect(values).toEqual(keys.map((_, i) => `value-${i}`));
    const bulk = await s.bulkGet!(keys.map((key) => ({ key, consistency: 'eventual' as const, metadata: {} })));
    expect(bulk.map((entry) => Buffer.from(entry.item!.value).toString())).toEqual(values);
  });

  it('fails a value above the server item limit clearly and keeps the connection usable', async () => {
    const s = store();
    const key = `huge-${randomUUID()}`;
    await expect(s.set({ key, value: new Uint8Array(8 * 1024 * 1024), concurrency: 'last-write', consistency: 'strong', metadata: {} })).rejects.toThrow(
      /memcached: SERVER_ERROR/,
    );
    await set(s, key, 'small');
    expect(Buffer.from((await get(s, key))!.value).toString()).toBe('small');
  });

  it('spreads keys over several hosts and finds each again (bulk get included)', async () => {
    const [a, b] = [await proxy(), await proxy()];
    const s = store([a.address, b.address]);
    const keys = Array.from({ length: 40 }, (_, i) => `spread-${i}-${randomUUID()}`);
    await Promise.all(keys.map((key) => set(s, key, key)));
    expect(a.connections()).toBe(1);
    expect(b.connections()).toBe(1);
    const bulk = await s.bulkGet!([...keys, 'missing-key'].map((key) => ({ key, consistency: 'eventual' as const, metadata: {} })));
    expect(bulk.slice(0, -1).map((entry) => Buffer.from(entry.item!.value).toString())).toEqual(keys);
    expect(bulk.at(-1)).toEqual({ key: 'missing-key' });
  });
});

describe('failures', () => {
  it('refuses to start when no server answers, naming the address', async () => {
    const server = createServer();
    const address = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(create({ hosts: address, timeout: '500' })).rejects.toThrow(`cannot reach memcached at ${address}`);
  });

  it('fails a request on a server that never answers within the timeout', async () => {
    const server = createServer((socket) => socket.on('data', () => {}));
    const address = await listen(server);
    const s = store([address], 200);
    await expect(get(s, 'k')).rejects.toThrow(`memcached ${address} did not answer within 200 ms`);
    await expect(set(s, 'k', 'v')).rejects.toThrow('did not answer');
  });

  it('fails in-flight requests when the connection drops and reconnects for the next ones', async () => {
    const p = await proxy();
    const s = store([p.address], 5000);
    const key = `reconnect-${randomUUID()}`;
    await set(s, key, 'before');
    p.pause();
    const inFlight = get(s, key);
    p.cut();
    await expect(inFlight).rejects.toThrow(new RegExp(`^connection to memcached ${p.address} (closed|failed: read ECONNRESET)$`));
    p.resume();
    // The same store: its socket was dropped, so this request opens a new one.
    expect(Buffer.from((await get(s, key))!.value).toString()).toBe('before');
    expect(p.connections()).toBe(2);
  });

  it('refuses an invalid timeout and an empty hosts list', async () => {
    await expect(create({ hosts: testMemcached, timeout: 'soon' })).rejects.toThrow(/invalid duration/);
    await expect(create({ hosts: testMemcached, timeout: '0' })).rejects.toThrow(/must be positive/);
    await expect(create({ hosts: ' , ' })).rejects.toThrow(/no memcached host/);
  });

  it('fails every call after close', async () => {
    const s = new MemcachedStateStore({ hosts: [testMemcached], timeoutMs: 1000 });
    await s.close();
    await expect(get(s, 'k')).rejects.toThrow('is closed');
  });
});
