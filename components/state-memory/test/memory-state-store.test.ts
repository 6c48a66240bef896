import { describe, expect, it } from 'vitest';
import { EtagInvalidError, EtagMismatchError, type StateSetRequest } from '@mecha/state';
import { MemoryStateStore } from '../src/index.ts';

const set = (key: string, value: string, extra: Partial<StateSetRequest> = {}): StateSetRequest => ({
  key,
  value: new TextEncoder().encode(value),
  concurrency: 'last-write',
  consistency: 'eventual',
  metadata: {},
  ...extra,
});
const get = (key: string) => ({ key, consistency: 'eventual' as const, metadata: {} });

describe('MemoryStateStore', () => {
  it('hands out increasing versions as ETags, never reusing one after a delete', async () => {
    const store = new MemoryStateStore();
    await store.set(set('k', 'a'));
    const first = (await store.get(get('k')))!.etag!;
    await store.delete({ key: 'k', concurrency: 'last-write', consistency: 'eventual', metadata: {} });
    await store.set(set('k', 'b'));
    const second = (await store.get(get('k')))!.etag!;
    expect(Number(second)).toBeGreaterThan(Number(first));
    await expect(store.set(set('k', 'c', { etag: first }))).rejects.toBeInstanceOf(EtagMismatchError);
    await expect(store.set(set('k', 'c', { etag: 'abc' }))).rejects.toBeInstanceOf(EtagInvalidError);
    await store.close();
  });

  it('copies values in and out, so callers cannot change stored bytes', async () => {
    const store = new MemoryStateStore();
    const request = set('k', 'abc');
    await store.set(request);
    request.value[0] = 0;
    const read = (await store.get(get('k')))!.value;
    read[1] = 0;
    expect(new TextDecoder().decode((await store.get(get('k')))!.value)).toBe('abc');
    await store.close();
  });

  it('hides expired items at once and sweeps them from memory', async () => {
    let now = 1_000_000;
    const store = new MemoryStateStore({ now: () => now });
    await store.set(set('a', '1', { ttlInSeconds: 10 }));
    await store.set(set('b', '1', { ttlInSeconds: -1 }));
    expect((await store.get(get('a')))!.metadata).toEqual({ ttlExpireTime: new Date(1_010_000).toISOString().replace('.000Z', 'Z') });
    now += 9_999;
    expect(await store.get(get('a'))).toBeDefined();
    now += 1;
    expect(await store.get(get('a'))).toBeUndefined();
    expect(store.size).toBe(1);
    // First-write may re-create an expired key; an ETag on it is a mismatch.
    await expect(store.set(set('a', '2', { etag: '1' }))).rejects.toBeInstanceOf(EtagMismatchError);
    await store.set(set('a', '2', { concurrency: 'first-write' }));
    await store.close();
  });

  it('checks a transaction against its own earlier operations', async () => {
    const store = new MemoryStateStore();
    await store.set(set('k', 'v1'));
    const etag = (await store.get(get('k')))!.etag!;
    // The second upsert sees the first one's new version, so the old ETag no longer matches.
    await expect(
      store.transact([
        { operation: 'upsert', request: set('k', 'v2', { etag }) },
        { operation: 'upsert', request: set('k', 'v3', { etag }) },
      ]),
    ).rejects.toBeInstanceOf(EtagMismatchError);
    expect(new TextDecoder().decode((await store.get(get('k')))!.value)).toBe('v1');
    await store.close();
  });
});
