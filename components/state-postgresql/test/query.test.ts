import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStateQuery, type StoreQueryResult } from '@mecha/state';
import { PostgresStateStore } from '../src/index.ts';
import { adminClient, dropTables, postgresUrl, uniqueTable } from './fixtures/postgres-server.ts';

const tableName = uniqueTable('query');
const metadataTableName = uniqueTable('query_meta');
let store: PostgresStateStore;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const people = [
  { id: 1, name: 'ada', team: { name: 'core', size: 3 }, score: 9, tags: ['x'] },
  { id: 2, name: 'bob', team: { name: 'web', size: 10 }, score: 10, tags: [] },
  { id: 3, name: 'cy', team: { name: 'core', size: 3 }, score: 100 },
  { id: 4, name: 'dee', team: { name: 'ops', size: 1 }, score: '100' },
  { id: 5, name: 'eve', team: { name: 'web', size: 10 } },
];

beforeAll(async () => {
  await (await adminClient()).end();
  store = await PostgresStateStore.open({ connectionString: postgresUrl, tableName, metadataTableName });
  const base = { concurrency: 'last-write', consistency: 'eventual', metadata: {} } as const;
  for (const person of people) await store.set({ ...base, key: `app||p${person.id}`, value: encoder.encode(JSON.stringify(person)) });
  // Outside the caller's keys, expired, and binary: never matched by value filters.
  await store.set({ ...base, key: 'other||p1', value: encoder.encode(JSON.stringify(people[0])) });
  await store.set({ ...base, key: 'app||expired', value: encoder.encode(JSON.stringify(people[0])), ttlInSeconds: 1 });
  await store.set({ ...base, key: 'app||bin', value: new Uint8Array([0xff, 0xfe]) });
  const admin = await adminClient();
  await admin.query(`UPDATE ${tableName} SET expiredate = now() - interval '1 second' WHERE key = 'app||expired'`);
  await admin.end();
});
afterAll(async () => {
  await store?.close();
  await dropTables(tableName, metadataTableName);
});

async function query(input: unknown, keyPrefix = 'app||'): Promise<StoreQueryResult> {
  return store.query({ query: parseStateQuery(input), keyPrefix, metadata: {} });
}
const ids = (result: StoreQueryResult) => result.items.map((item) => (JSON.parse(decoder.decode(item.value)) as { id: number }).id);

describe('state.postgresql query', () => {
  it('filters with EQ on nested paths, IN, AND and OR, within the key prefix', async () => {
    expect(ids(await query({ filter: { EQ: { 'team.name': 'core' } }, sort: [{ key: 'id' }] }))).toEqual([1, 3]);
    expect(ids(await query({ filter: { IN: { 'name': ['bob', 'eve', 'zed'] } }, sort: [{ key: 'id' }] }))).toEqual([2, 5]);
    expect(
      ids(
        await query({
          filter: { OR: [{ AND: [{ EQ: { 'team.name': 'web' } }, { EQ: { 'score': 10 } }] }, { EQ: { 'name': 'dee' } }] },
          sort: [{ key: 'id' }],
        }),
      ),
    ).toEqual([2, 4]);
    expect(ids(await query({ filter: { EQ: { 'id': 1 } } }, 'other||'))).toEqual([1]);
  });

  it('compares JSON types as JSON: 100 and "100" differ, numbers order numerically, missing fields never match', async () => {
    expect(ids(await query({ filter: { EQ: { 'score': 100 } } }))).toEqual([3]);
    expect(ids(await query({ filter: { EQ: { 'score': '100' } } }))).toEqual([4]);
    expect(ids(await query({ filter: { GT: { 'score': 9 } }, sort: [{ key: 'score', order: 'DESC' }] }))).toEqual([3, 2]);
    expect(ids(await query({ filter: { LTE: { 'score': 10 } }, sort: [{ key: 'id' }] }))).toEqual([1, 2]);
    expect(ids(await query({ filter: { NEQ: { 'team.name': 'web' } }, sort: [{ key: 'id' }] }))).toEqual([1, 3, 4]);
    expect(ids(await query({ filter: { EQ: { 'tags': [] } } }))).toEqual([2]);
  });

  it('sorts on several fields and returns every live row of the prefix without a filter', async () => {
    const all = await query({ sort: [{ key: 'team.size', order: 'DESC' }, { key: 'name', order: 'ASC' }] });
    expect(all.items.map((item) => item.key)).toEqual(['app||p2', 'app||p5', 'app||p1', 'app||p3', 'app||p4', 'app||bin']);
    expect(Array.from(all.items.at(-1)!.value)).toEqual([0xff, 0xfe]);
    expect(all.items[0]!.etag).toMatch(/^\d+$/);
    expect(all.token).toBeUndefined();
  });

  it('pages with a limit and a token until the last page, which carries no token', async () => {
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await query({ filter: { GTE: { 'id': 1 } }, sort: [{ key: 'id' }], page: { limit: 2, ...(token ? { token } : {}) } });
      seen.push(...ids(page));
      token = page.token;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
  });

  it('refuses a malformed page token and treats hostile paths and values as data', async () => {
    await expect(query({ page: { limit: 1, token: "1; DROP TABLE x" } })).rejects.toThrow(/invalid page token/);
    expect((await query({ filter: { EQ: { "value.name": "x' OR '1'='1" } } })).items).toEqual([]);
  });
});
