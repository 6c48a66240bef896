import { describe, expect, it } from 'vitest';
import { EtagMismatchError, planTransaction, type TransactionOperation } from '../src/index.ts';

const value = new Uint8Array(0);
const up = (key: string, extra: { etag?: string; firstWrite?: boolean } = {}): TransactionOperation => ({
  operation: 'upsert',
  request: { key, value, concurrency: extra.firstWrite ? 'first-write' : 'last-write', consistency: 'strong', metadata: {}, ...(extra.etag ? { etag: extra.etag } : {}) },
});
const del = (key: string, etag?: string): TransactionOperation => ({
  operation: 'delete',
  request: { key, concurrency: 'last-write', consistency: 'strong', metadata: {}, ...(etag ? { etag } : {}) },
});

describe('planTransaction', () => {
  it('folds the operations on one key into its final write, keeping the first precondition', () => {
    const plan = planTransaction([up('a', { etag: 'e1' }), up('b', { firstWrite: true }), del('a'), up('c'), up('a')]);
    expect(plan.map((write) => [write.key, write.precondition, write.upsert !== undefined])).toEqual([
      ['a', { kind: 'etag', etag: 'e1' }, true],
      ['b', { kind: 'absent' }, true],
      ['c', { kind: 'none' }, true],
    ]);
    expect(planTransaction([up('d'), del('d')])).toEqual([{ key: 'd', precondition: { kind: 'none' } }]);
  });

  it('refuses an ETag or first-write on a key the transaction already changed', () => {
    expect(() => planTransaction([up('a'), up('a', { etag: 'e1' })])).toThrow(EtagMismatchError);
    expect(() => planTransaction([up('a'), del('a', 'e1')])).toThrow(EtagMismatchError);
    expect(() => planTransaction([up('a'), up('a', { firstWrite: true })])).toThrow(/already wrote/);
    // After a delete in the same transaction the key is absent, so first-write may create it.
    expect(planTransaction([del('a'), up('a', { firstWrite: true })])).toHaveLength(1);
  });
});
