import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { EtagInvalidError, EtagMismatchError, stateCommonMetadata, type StateStore, type TransactionOperation } from '@mecha/state';
import { definition, definitionV1, EtcdGateway, EtcdStateStore } from '../src/index.ts';
import { requireTestEtcd, testEtcd } from './fixtures/test-etcd.ts';

beforeAll(() => requireTestEtcd());

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const prefix = `mecha-unit-${randomUUID().slice(0, 8)}`;

function store(endpoints = [testEtcd], maxTxnOps = 128): EtcdStateStore {
  const created = new EtcdStateStore({ endpoints, timeoutMs: 2000, keyPrefixPath: prefix, maxTxnOps });
  closers.push(() => created.close());
  return created;
}

function create(raw: Record<string, string>): Promise<StateStore> {
  const metadata = validateMetadata(definition.metadata, raw, { passthrough: stateCommonMetadata });
  return definition.create(metadata, { name: 'statestore', appId: 'app', logger: silentLogger(), rawMetadata: raw });
}

async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no address');
  return `127.0.0.1:${address.port}`;
}

const upsert = (key: string, value: string, extra: { etag?: string; concurrency?: 'first-write' | 'last-write' } = {}): TransactionOperation => ({
  operation: 'upsert',
  request: { key, value: Buffer.from(value), concurrency: extra.concurrency ?? 'last-write', consistency: 'strong', metadata: {}, ...(extra.etag !== undefined && { etag: extra.etag }) },
});
const remove = (key: string): TransactionOperation => ({ operation: 'delete', request: { key, concurrency: 'last-write', consistency: 'strong', metadata: {} } });
const read = async (s: StateStore, key: string) => {
  const item = await s.get({ key, consistency: 'strong', metadata: {} });
  return item && Buffer.from(item.value).toString();
};

describe('EtcdStateStore', () => {
  it('stores keys under keyPrefixPath/', async () => {
    const s = store();
    const key = `k-${randomUUID()}`;
    await s.set({ key, value: Buffer.from('v'), concurrency: 'last-write', consistency: 'strong', metadata: {} });
    const gateway = new EtcdGateway({ endpoints: [testEtcd], timeoutMs: 2000 });
    closers.push(async () => gateway.close());
    const raw = await gateway.call<{ kvs?: Array<{ value: string }> }>('/v3/kv/range', { key: Buffer.from(`${prefix}/${key}`).toString('base64') });
    expect(Buffer.from(raw.kvs![0]!.value, 'base64').toString()).toBe('v');
  });

  it('refuses malformed revisions and treats revision 0 as matching nothing', async () => {
    const s = store();
    const key = `etag-${randomUUID()}`;
    const write = (etag: string) => s.set({ key, value: Buffer.from('x'), etag, concurrency: 'last-write', consistency: 'strong', metadata: {} });
    for (const bad of ['abc', '-1', '1e3', '99999999999999999999', '']) await expect(write(bad)).rejects.toBeInstanceOf(EtagInvalidError);
    // Without the guard, revision 0 would compare equal to the missing key and create it.
    await expect(write('0')).rejects.toBeInstanceOf(EtagMismatchError);
    expect(await read(s, key)).toBeUndefined();
  });

  it('applies only the last write per key and decides conditions on keys written earlier in order', async () => {
    const s = store();
    const [a, b, c] = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
    await s.transact([upsert(a, '1'), upsert(a, '2'), remove(b), upsert(b, 'recreated', { concurrency: 'first-write' }), upsert(c, 'x'), remove(c)]);
    expect([await read(s, a), await read(s, b), await read(s, c)]).toEqual(['2', 'recreated', undefined]);
    const { etag } = (await s.get({ key: a, consistency: 'strong', metadata: {} }))!;
    // An ETag on a key the same transaction wrote before cannot match: nothing applies.
    await expect(s.transact([upsert(c, 'new'), upsert(a, '3'), upsert(a, '4', { etag: etag! })])).rejects.toBeInstanceOf(EtagMismatchError);
    await expect(s.transact([upsert(c, 'new'), upsert(c, 'again', { concurrency: 'first-write' })])).rejects.toBeInstanceOf(EtagMismatchError);
    expect([await read(s, a), await read(s, c)]).toEqual(['2', undefined]);
  });

  it('refuses a transaction above maxTxnOps before sending it, and splits a large bulk get', async () => {
    const s = store([testEtcd], 3);
    const keys = Array.from({ length: 7 }, (_, i) => `many-${i}-${randomUUID()}`);
    await expect(s.transact(keys.map((key) => upsert(key, key)))).rejects.toThrow('etcd accepts at most 3 (maxTxnOps)');
    expect(await read(s, keys[0]!)).toBeUndefined();
    await s.transact(keys.slice(0, 3).map((key) => upsert(key, key)));
    const bulk = await s.bulkGet(keys.map((key) => ({ key, consistency: 'eventual' as const, metadata: {} })));
    expect(bulk.map((entry) => entry.item && Buffer.from(entry.item.value).toString())).toEqual([...keys.slice(0, 3), undefined, undefined, undefined, undefined]);
  });

  it('skips an unreachable member for the next endpoint', async () => {
    const s = store([await closedPort(), testEtcd]);
    const key = `failover-${randomUUID()}`;
    await s.set({ key, value: Buffer.from('ok'), concurrency: 'last-write', consistency: 'strong', metadata: {} });
    expect(await read(s, key)).toBe('ok');
  });
});

describe('definition', () => {
  it('exists under Dapr versions v2 and v1 with the same features', () => {
    expect([definition.version, definitionV1.version]).toEqual(['v2', 'v1']);
    expect(definitionV1.features).toEqual(definition.features);
  });

  it('refuses to start when no member answers, naming the addresses', async () => {
    const address = await closedPort();
    await expect(create({ endpoints: address, timeout: '1s' })).rejects.toThrow(`etcd at ${address} is unreachable`);
  });

  it('refuses incomplete TLS settings and a bad maxTxnOps', async () => {
    await expect(create({ endpoints: testEtcd, tlsEnable: 'true', ca: 'x' })).rejects.toThrow('tls authentication information is incomplete');
    await expect(create({ endpoints: testEtcd, maxTxnOps: '0' })).rejects.toThrow('maxTxnOps must be a positive integer');
    await expect(create({ endpoints: ' , ' })).rejects.toThrow('no etcd endpoint given');
  });
});
