import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata, type ComponentDefinition } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LockFeature, LockStore } from './lock-store.ts';
import { LockService } from './lock-service.ts';

export interface LockConformanceOptions {
  /** Shown in the suite name. */
  name: string;
  definition: ComponentDefinition<LockStore, LockFeature>;
  /** Component metadata, as strings the way a resource file gives them. */
  metadata?: Record<string, string>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registers vitest suites that check a lock store component against the block's semantics:
 * one holder at a time (also under a race of many owners), owner-checked unlock with Dapr's
 * statuses, expiry, and the key scheme that keeps apps apart. Call it at the top level of a
 * test file.
 */
export function runLockConformance(options: LockConformanceOptions): void {
  const metadata = options.metadata ?? {};

  describe(`lock conformance: ${options.name} (${options.definition.type}/${options.definition.version})`, () => {
    let store: LockStore;

    beforeAll(async () => {
      const validated = validateMetadata(options.definition.metadata, metadata);
      store = await options.definition.create(validated, { name: 'conformance-lock', appId: 'conformance', logger: silentLogger(), rawMetadata: metadata });
    });

    afterAll(async () => {
      await store?.close();
    });

    const service = (appId = 'conformance', keyPrefix?: string) =>
      new LockService({ name: 'conformance-lock', store, appId, ...(keyPrefix ? { keyPrefix } : {}) });
    const resource = () => `resource-${randomUUID()}`;

    it('gives a free lock to one owner and refuses it to another until it is released', async () => {
      const locks = service();
      const id = resource();
      expect(await locks.tryLock({ resourceId: id, lockOwner: 'alice', expiryInSeconds: 30 })).toBe(true);
      expect(await locks.tryLock({ resourceId: id, lockOwner: 'bob', expiryInSeconds: 30 })).toBe(false);
      // Taking it again is refused even for its owner: a lock is not re-entrant.
      expect(await locks.tryLock({ resourceId: id, lockOwner: 'alice', expiryInSeconds: 30 })).toBe(false);
      expect(await locks.unlock({ resourceId: id, lockOwner: 'bob' })).toBe('LOCK_BELONGS_TO_OTHERS');
      expect(await locks.tryLock({ resourceId: id, lockOwner: 'bob', expiryInSeconds: 30 })).toBe(false);
      expect(await locks.unlock({ resourceId: id, lockOwner: 'alice' })).toBe('SUCCESS');
      expect(await locks.unlock({ resourceId: id, lockOwner: 'alice' })).toBe('LOCK_DOES_NOT_EXIST');
      expect(await locks.tryLock({ resourceId: id, lockOwner: 'bob', expiryInSeconds: 30 })).toBe(true);
      expect(await locks.unlock({ resourceId: id, lockOwner: 'bob' })).toBe('SUCCESS');
    });

    it('lets exactly one of many racing owners take the lock', async () => {
      const locks = service();
      const id = resource();
      const owners = Array.from({ length: 50 }, (_, i) => `owner-${i}`);
      const results = await Promise.all(owners.map((lockOwner) => locks.tryLock({ resourceId: id, lockOwner, expiryInSeconds: 30 })));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = owners[results.indexOf(true)]!;
      expect(await locks.unlock({ resourceId: id, lockOwner: winner })).toBe('SUCCESS');
    });

    it('frees an expired lock for the next owner; the old owner can no longer unlock it', async () => {
      const locks = service();
      const id = resource();
      expect(await locks.tryLock({ resourceId: id, lockOwner: 'alice', expiryInSeconds: 1 })).toBe(true);
      let taken = false;
      const deadline = Date.now() + 10_000;
      while (!taken && Date.now() < deadline) {
        await pause(200);
        taken = await locks.tryLock({ resourceId: id, lockOwner: 'bob', expiryInSeconds: 30 });
      }
      expect(taken).toBe(true);
      expect(await locks.unlock({ resourceId: id, lockOwner: 'alice' })).toBe('LOCK_BELONGS_TO_OTHERS');
      expect(await locks.unlock({ resourceId: id, lockOwner: 'bob' })).toBe('SUCCESS');
    });

    it("keeps apps' locks apart by default and shares them with keyPrefix none", async () => {
      const id = resource();
      expect(await service('app-a').tryLock({ resourceId: id, lockOwner: 'a', expiryInSeconds: 30 })).toBe(true);
      expect(await service('app-b').tryLock({ resourceId: id, lockOwner: 'b', expiryInSeconds: 30 })).toBe(true);
      expect(await service('app-a', 'none').tryLock({ resourceId: id, lockOwner: 'a', expiryInSeconds: 30 })).toBe(true);
      expect(await service('app-b', 'none').tryLock({ resourceId: id, lockOwner: 'b', expiryInSeconds: 30 })).toBe(false);
      for (const [app, owner, prefix] of [['app-a', 'a', undefined], ['app-b', 'b', undefined], ['app-a', 'a', 'none']] as const) {
        expect(await service(app, prefix).unlock({ resourceId: id, lockOwner: owner })).toBe('SUCCESS');
      }
    });

    it("refuses bad input with daprd's messages before touching the store", async () => {
      const locks = service();
      await expect(locks.tryLock({ resourceId: '', lockOwner: 'a', expiryInSeconds: 1 })).rejects.toMatchObject({
        code: 'ERR_MALFORMED_REQUEST',
        message: 'ResourceId is empty in lock store conformance-lock',
      });
      await expect(locks.tryLock({ resourceId: 'r', lockOwner: '', expiryInSeconds: 1 })).rejects.toMatchObject({
        message: 'LockOwner is empty in lock store conformance-lock',
      });
      for (const expiryInSeconds of [0, -1, 1.5, '10', undefined]) {
        await expect(locks.tryLock({ resourceId: 'r', lockOwner: 'a', expiryInSeconds })).rejects.toMatchObject({
          message: 'ExpiryInSeconds is not positive in lock store conformance-lock',
        });
      }
      await expect(locks.unlock({ resourceId: 42, lockOwner: 'a' })).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
      await expect(locks.unlock({ resourceId: 'a||b', lockOwner: 'a' })).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
    });
  });
}
