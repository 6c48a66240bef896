import type { LockStore, UnlockStatus } from './lock-store.ts';
import { lockKeyPrefix } from './lock-key.ts';
import { malformedLockRequest, tryLockFailed, unlockFailed } from './lock-errors.ts';

export interface LockServiceOptions {
  /** The component's resource name. */
  name: string;
  store: LockStore;
  appId: string;
  /** The component's `keyPrefix` metadata: `appid` (default), `name`, `none`, or a prefix of its own. */
  keyPrefix?: string;
}

export interface TryLockInput {
  resourceId: unknown;
  lockOwner: unknown;
  expiryInSeconds: unknown;
}

export interface UnlockInput {
  resourceId: unknown;
  lockOwner: unknown;
}

/**
 * Dapr's distributed lock semantics over any LockStore: input checked with daprd's messages,
 * the resource id turned into Dapr's key, backend failures as ERR_TRY_LOCK / ERR_UNLOCK.
 * Takes untyped input so both API adapters (and embedded callers) get the same checks.
 */
export class LockService {
  readonly name: string;
  readonly #store: LockStore;
  readonly #prefix: string;

  constructor(options: LockServiceOptions) {
    this.name = options.name;
    this.#store = options.store;
    this.#prefix = lockKeyPrefix(options.keyPrefix, options.name, options.appId);
  }

  /** True when the caller now holds the lock; false when another owner does. Never waits. */
  async tryLock(input: TryLockInput): Promise<boolean> {
    const key = this.#key(input.resourceId);
    const lockOwner = this.#owner(input.lockOwner);
    const expiry = input.expiryInSeconds;
    if (typeof expiry !== 'number' || !Number.isInteger(expiry) || expiry <= 0) {
      throw malformedLockRequest(`ExpiryInSeconds is not positive in lock store ${this.name}`, this.name);
    }
    try {
      return await this.#store.tryLock({ key, lockOwner, expiryInSeconds: expiry });
    } catch (error) {
      throw tryLockFailed(this.name, error);
    }
  }

  /** Only the owner's unlock releases the lock; the others get the status that says why not. */
  async unlock(input: UnlockInput): Promise<UnlockStatus> {
    const key = this.#key(input.resourceId);
    const lockOwner = this.#owner(input.lockOwner);
    try {
      return await this.#store.unlock({ key, lockOwner });
    } catch (error) {
      throw unlockFailed(this.name, error);
    }
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  #key(resourceId: unknown): string {
    if (typeof resourceId !== 'string' || resourceId === '') {
      throw malformedLockRequest(`ResourceId is empty in lock store ${this.name}`, this.name);
    }
    if (resourceId.includes('||')) {
      throw malformedLockRequest(`ResourceId must not contain "||" in lock store ${this.name}`, this.name);
    }
    return this.#prefix + resourceId;
  }

  #owner(lockOwner: unknown): string {
    if (typeof lockOwner !== 'string' || lockOwner === '') {
      throw malformedLockRequest(`LockOwner is empty in lock store ${this.name}`, this.name);
    }
    return lockOwner;
  }
}

/** Dapr's numeric unlock status (the HTTP API's `status` field and the gRPC enum's number). */
export const unlockStatusCode: Record<UnlockStatus, number> = {
  SUCCESS: 0,
  LOCK_DOES_NOT_EXIST: 1,
  LOCK_BELONGS_TO_OTHERS: 2,
  INTERNAL_ERROR: 3,
};
