import { describe, expect, it } from 'vitest';
import type { Logger } from '@mecha/core';
import {
  EtagInvalidError,
  EtagMismatchError,
  StateService,
  type StateDeleteRequest,
  type StateFeature,
  type StateSetRequest,
  type StateStore,
  type TransactionOperation,
} from '../src/index.ts';
import { PlainStore, plainStore } from './fixtures/plain-store.ts';

const failing = (error: unknown): (() => Promise<never>) => () => Promise.reject(error);

function service(store: StateStore, features: StateFeature[] = [], extra: Partial<ConstructorParameters<typeof StateService>[0]> = {}) {
  return new StateService({ store, features, appId: 'app', ...extra });
}

describe('StateService error mapping', () => {
  it('wraps store failures with daprd codes and messages, naming the store', async () => {
    const store = plainStore({ get: failing(new Error('boom')), set: failing(new Error('nope')), delete: failing(new Error('gone')) });
    const state = service(store, [], { name: 'orders' });
    await expect(state.get('k')).rejects.toMatchObject({
      code: 'ERR_STATE_GET',
      kind: 'internal',
      message: 'fail to get k from state store orders: boom',
      info: { resource: { type: 'state', name: 'orders' } },
    });
    await expect(state.save([{ key: 'k', value: 1 }])).rejects.toMatchObject({
      code: 'ERR_STATE_SAVE',
      kind: 'internal',
      message: 'failed saving state in state store orders: nope',
    });
    await expect(state.delete('k')).rejects.toMatchObject({ code: 'ERR_STATE_DELETE', kind: 'internal', message: 'failed deleting state with key k: gone' });
    await expect(state.deleteBulk([{ key: 'a' }, { key: 'b' }])).rejects.toMatchObject({
      code: 'ERR_STATE_DELETE',
      message: 'failed deleting state in state store orders: gone\ngone',
    });
  });

  it('maps ETag errors to conflict and invalid-argument, keeping the cause', async () => {
    const mismatch = new EtagMismatchError('current=2, expect=1');
    const store = plainStore({ set: failing(mismatch), delete: failing(new EtagInvalidError('not a number')) });
    const state = service(store, ['ETAG']);
    const saved = await state.save([{ key: 'k', value: 1, etag: '1' }]).catch((error: unknown) => error);
    expect(saved).toMatchObject({
      code: 'ERR_STATE_SAVE',
      kind: 'conflict',
      message: 'failed saving state in state store statestore: possible etag mismatch. error from state store: current=2, expect=1',
    });
    expect((saved as Error).cause).toBe(mismatch);
    await expect(state.delete('k', { etag: 'x' })).rejects.toMatchObject({
      code: 'ERR_STATE_DELETE',
      kind: 'invalid-argument',
      message: 'failed deleting state with key k: invalid etag value: not a number',
    });
  });

  it('reports a failing native bulk get as ERR_STATE_BULK_GET and per-key errors per key', async () => {
    const broken = service(plainStore({ bulkGet: failing(new Error('cluster down')) }));
    await expect(broken.getBulk(['a'])).rejects.toMatchObject({ code: 'ERR_STATE_BULK_GET', kind: 'internal', message: 'cluster down' });

    const partial = service(plainStore({
      // Answers out of order and leaves one key out: the service matches by key.
      bulkGet: async (requests) => [
        { key: requests[2]!.key, error: 'shard timeout' },
        { key: requests[0]!.key, item: { value: new Uint8Array([1]), etag: '7', metadata: { a: 'b' } } },
      ],
    }));
    expect(await partial.getBulk(['x', 'y', 'z'])).toEqual([
      { key: 'x', value: new Uint8Array([1]), etag: '7', metadata: { a: 'b' } },
      { key: 'y' },
      { key: 'z', error: 'shard timeout' },
    ]);
  });

  it('wraps a failing transaction as ERR_STATE_TRANSACTION, ETag mismatches included', async () => {
    const store = plainStore({ transact: failing(new EtagMismatchError()) });
    await expect(service(store, ['TRANSACTIONAL', 'ETAG']).transaction([{ operation: 'delete', request: { key: 'k', etag: '1' } }])).rejects.toMatchObject({
      code: 'ERR_STATE_TRANSACTION',
      kind: 'internal',
      message: 'error while executing state transaction: possible etag mismatch',
    });
  });

  it('refuses a transaction when the store declares TRANSACTIONAL without implementing it', async () => {
    await expect(service(new PlainStore(), ['TRANSACTIONAL']).transaction([])).rejects.toMatchObject({ code: 'ERR_STATE_STORE_NOT_SUPPORTED' });
  });

  it('answers the runtime\'s feature checks with daprd\'s errors', () => {
    const plain = service(new PlainStore(), [], { name: 'orders' });
    expect(() => plain.assertTransactional()).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_STORE_NOT_SUPPORTED', kind: 'internal', message: "state store orders doesn't support transactions" }),
    );
    expect(() => plain.assertQueryable()).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_STORE_NOT_SUPPORTED', message: 'state store does not support querying', info: expect.objectContaining({ reason: 'DAPR_STATE_QUERYING_NOT_SUPPORTED' }) }),
    );
    expect(() => service(plainStore({ transact: async () => {} }), ['TRANSACTIONAL']).assertTransactional()).not.toThrow();
  });

  it('refuses requests that are not arrays of objects', async () => {
    const state = service(new PlainStore());
    await expect(state.save({} as never)).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST', kind: 'invalid-argument' });
    await expect(state.save([null as never])).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
    await expect(state.getBulk('a' as never)).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
    await expect(state.get(42 as never)).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
  });
});

describe('StateService requests to the store', () => {
  class RecordingStore extends PlainStore {
    sets: StateSetRequest[] = [];
    bulkSets: StateSetRequest[][] = [];
    bulkDeletes: StateDeleteRequest[][] = [];
    transactions: Array<[TransactionOperation[], Record<string, string>]> = [];
    override async set(request: StateSetRequest): Promise<void> {
      this.sets.push(request);
      await super.set(request);
    }
    async bulkSet(requests: StateSetRequest[]): Promise<void> {
      this.bulkSets.push(requests);
      for (const request of requests) await super.set(request);
    }
    async bulkDelete(requests: StateDeleteRequest[]): Promise<void> {
      this.bulkDeletes.push(requests);
      for (const request of requests) await super.delete(request);
    }
    async transact(operations: TransactionOperation[], metadata: Record<string, string>): Promise<void> {
      this.transactions.push([operations, metadata]);
    }
  }

  it('sends unconditional writes of distinct keys to the native bulk call and conditional ones singly', async () => {
    const store = new RecordingStore();
    const state = service(store, ['ETAG']);
    await state.save([
      { key: 'a', value: 1 },
      { key: 'b', value: 2, etag: '9' },
      { key: 'c', value: 3 },
      { key: 'd', value: 4, options: { concurrency: 'first-write' } },
    ]);
    expect(store.bulkSets.map((batch) => batch.map((r) => r.key))).toEqual([['app||a', 'app||c']]);
    expect(store.sets.map((r) => [r.key, r.etag, r.concurrency])).toEqual([
      ['app||b', '9', 'last-write'],
      ['app||d', undefined, 'first-write'],
    ]);
    // A repeated key keeps request order: no batching at all.
    store.bulkSets = [];
    store.sets = [];
    await state.save([
      { key: 'a', value: 1 },
      { key: 'a', value: 2 },
    ]);
    expect(store.bulkSets).toEqual([]);
    expect(store.sets.map((r) => new TextDecoder().decode(r.value))).toEqual(['1', '2']);
    await state.deleteBulk([{ key: 'a' }, { key: 'c' }]);
    expect(store.bulkDeletes.map((batch) => batch.map((r) => r.key))).toEqual([['app||a', 'app||c']]);
  });

  it('passes ttlInSeconds to TTL stores and drops it (warning once) elsewhere', async () => {
    const ttlStore = new RecordingStore();
    await service(ttlStore, ['TTL']).save([{ key: 'a', value: 1, metadata: { ttlInSeconds: '30' } }]);
    expect(ttlStore.sets[0]).toMatchObject({ ttlInSeconds: 30, metadata: { ttlInSeconds: '30' } });

    const warnings: string[] = [];
    const logger = { warn: (_: unknown, message: string) => warnings.push(message) } as unknown as Logger;
    const plain = new RecordingStore();
    const state = service(plain, [], { logger });
    await state.save([{ key: 'a', value: 1, metadata: { ttlInSeconds: '30' } }]);
    await state.save([{ key: 'b', value: 1, metadata: { ttlInSeconds: '30' } }]);
    expect(plain.sets.map((r) => r.ttlInSeconds)).toEqual([undefined, undefined]);
    expect(warnings).toHaveLength(1);
  });

  it('defaults concurrency to last-write and consistency to eventual, and treats an empty ETag as none', async () => {
    const store = new RecordingStore();
    await service(store, ['ETAG']).save([{ key: 'a', value: 'x', etag: '' }]);
    expect(store.sets[0]).toEqual({
      key: 'app||a',
      value: new TextEncoder().encode('"x"'),
      concurrency: 'last-write',
      consistency: 'eventual',
      metadata: {},
    });
  });

  it('gives the store prefixed keys and transaction metadata', async () => {
    const store = new RecordingStore();
    await service(store, ['TRANSACTIONAL'], { keyPrefix: 'name', name: 'orders' }).transaction(
      [
        { operation: 'upsert', request: { key: 'a', value: { n: 1 } } },
        { operation: 'delete', request: { key: 'b' } },
      ],
      { partitionKey: 'p' },
    );
    const [operations, metadata] = store.transactions[0]!;
    expect(operations.map((op) => [op.operation, op.request.key])).toEqual([
      ['upsert', 'orders||a'],
      ['delete', 'orders||b'],
    ]);
    expect(metadata).toEqual({ partitionKey: 'p' });
  });

  it('bounds fallback bulk get parallelism', async () => {
    let inFlight = 0;
    let peak = 0;
    const store = plainStore({
      get: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        return undefined;
      },
    });
    const state = service(store);
    await state.getBulk(Array.from({ length: 12 }, (_, i) => `k${i}`), { parallelism: 3 });
    expect(peak).toBe(3);
    peak = 0;
    await state.getBulk(Array.from({ length: 12 }, (_, i) => `k${i}`));
    expect(peak).toBe(12);
  });

  it('closes the store once', async () => {
    let closes = 0;
    const state = service(plainStore({ close: async () => void closes++ }));
    await Promise.all([state.close(), state.close()]);
    expect(closes).toBe(1);
  });
});
