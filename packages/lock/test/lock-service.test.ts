import { describe, expect, it } from 'vitest';
import { lockKeyPrefix } from '../src/lock-key.ts';
import { LockService } from '../src/lock-service.ts';
import type { LockStore } from '../src/lock-store.ts';

describe("lockKeyPrefix (Dapr's key scheme)", () => {
  it('follows each keyPrefix strategy', () => {
    expect(lockKeyPrefix(undefined, 'store', 'app')).toBe('lock||app||');
    expect(lockKeyPrefix('AppId', 'store', 'app')).toBe('lock||app||');
    expect(lockKeyPrefix('appid', 'store', '')).toBe('lock||');
    expect(lockKeyPrefix('name', 'store', 'app')).toBe('lock||store||');
    expect(lockKeyPrefix('none', 'store', 'app')).toBe('lock||');
    expect(lockKeyPrefix('Shared', 'store', 'app')).toBe('lock||shared||');
    expect(() => lockKeyPrefix('a||b', 'store', 'app')).toThrow('keyPrefix must not contain "||"');
  });
});

describe('LockService', () => {
  const failing: LockStore = {
    tryLock: async () => Promise.reject(new Error('connection refused')),
    unlock: async () => Promise.reject(new Error('connection refused')),
    close: async () => {},
  };

  it('wraps backend failures in ERR_TRY_LOCK and ERR_UNLOCK', async () => {
    const locks = new LockService({ name: 'redislock', store: failing, appId: 'app' });
    await expect(locks.tryLock({ resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 })).rejects.toMatchObject({
      code: 'ERR_TRY_LOCK',
      kind: 'internal',
      message: 'failed to try acquiring lock: connection refused',
    });
    await expect(locks.unlock({ resourceId: 'r', lockOwner: 'o' })).rejects.toMatchObject({
      code: 'ERR_UNLOCK',
      message: 'failed to release lock: connection refused',
    });
  });

  it('hands the store the prefixed key', async () => {
    const seen: string[] = [];
    const store: LockStore = {
      tryLock: async ({ key }) => (seen.push(key), true),
      unlock: async ({ key }) => (seen.push(key), 'SUCCESS'),
      close: async () => {},
    };
    const locks = new LockService({ name: 'redislock', store, appId: 'checkout' });
    await locks.tryLock({ resourceId: 'order-1', lockOwner: 'o', expiryInSeconds: 5 });
    await locks.unlock({ resourceId: 'order-1', lockOwner: 'o' });
    expect(seen).toEqual(['lock||checkout||order-1', 'lock||checkout||order-1']);
  });
});
