import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, stateCommonMetadata, type StateStore } from '@mecha/state';
import { runStateConformance } from '@mecha/state/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/index.ts';
import { startCluster, type RedisProcess } from './fixtures/redis-process.ts';

// A private three-node Redis Cluster, started from the redis-server binary for this file.
let nodes: RedisProcess[] = [];
let host = '';
beforeAll(async () => {
  ({ nodes, host } = await startCluster());
}, 30_000);
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.remove()));
});

/**
 * The whole suite except transactions: a Redis Cluster runs a script only on keys of one hash
 * slot, so a transaction over keys in different slots is refused (see below) and the kit's
 * transaction cases, which use unrelated keys, cannot pass there.
 */
runStateConformance({
  name: 'redis cluster (transactions checked separately)',
  definition: {
    ...definition,
    features: definition.features.filter((feature) => feature !== 'TRANSACTIONAL'),
    create: async (metadata: Parameters<typeof definition.create>[0], context: Parameters<typeof definition.create>[1]) =>
      withoutTransactions(await definition.create(metadata, context)),
  },
  createMetadata: () => ({ redisHost: host, redisType: 'cluster', dialTimeout: '30s' }),
  invalidEtag: 'not-a-version',
});

/** The same store with its transactions hidden, so it matches a definition without TRANSACTIONAL. */
function withoutTransactions(store: StateStore): StateStore {
  return {
    get: (request) => store.get(request),
    set: (request) => store.set(request),
    delete: (request) => store.delete(request),
    bulkGet: (requests) => store.bulkGet!(requests),
    bulkSet: (requests) => store.bulkSet!(requests),
    bulkDelete: (requests) => store.bulkDelete!(requests),
    close: () => store.close(),
  };
}

describe('state.redis transactions on a cluster', () => {
  let store: StateStore;
  let state: StateService;
  beforeAll(async () => {
    const raw = { redisHost: host, redisType: 'cluster', dialTimeout: '30s' };
    const metadata = validateMetadata(definition.metadata, raw, { passthrough: stateCommonMetadata });
    store = await definition.create(metadata, { name: 'statestore', appId: 'cluster', logger: silentLogger(), rawMetadata: raw });
    state = new StateService({ name: 'statestore', store, features: definition.features, appId: 'cluster' });
  });
  afterAll(() => store?.close());

  it('applies a transaction whose keys share a hash tag, atomically', async () => {
    await state.save([{ key: '{order-1}-b', value: 'old' }]);
    await expect(
      state.transaction([
        { operation: 'upsert', request: { key: '{order-1}-a', value: 1 } },
        { operation: 'upsert', request: { key: '{order-1}-b', value: 2, etag: '987654321' } },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_STATE_TRANSACTION' });
    expect(await state.get('{order-1}-a')).toBeUndefined();
    await state.transaction([
      { operation: 'upsert', request: { key: '{order-1}-a', value: 1 } },
      { operation: 'delete', request: { key: '{order-1}-b' } },
    ]);
    expect(await state.getJson('{order-1}-a')).toBe(1);
    expect(await state.get('{order-1}-b')).toBeUndefined();
  });

  it('refuses a transaction across hash slots with a clear error, applying nothing', async () => {
    await expect(
      state.transaction([
        { operation: 'upsert', request: { key: 'slot-a', value: 1 } },
        { operation: 'upsert', request: { key: 'slot-b', value: 1 } },
        { operation: 'upsert', request: { key: 'slot-c', value: 1 } },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_STATE_TRANSACTION', message: expect.stringContaining('must keep all its keys in one hash slot') });
    expect(await state.getBulk(['slot-a', 'slot-b', 'slot-c'])).toEqual([{ key: 'slot-a' }, { key: 'slot-b' }, { key: 'slot-c' }]);
  });
});
