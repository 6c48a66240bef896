import type { Closeable } from '@mecha/core';

/** The lock block has no optional features yet; the type keeps the component model uniform. */
export type LockFeature = never;

export interface TryLockRequest {
  /** The store's key for the lock (the block has applied Dapr's key prefix). */
  key: string;
  lockOwner: string;
  expiryInSeconds: number;
}

export interface UnlockRequest {
  key: string;
  lockOwner: string;
}

/** Dapr's unlock outcomes, in the order of their numeric codes (0–3). */
export type UnlockStatus = 'SUCCESS' | 'LOCK_DOES_NOT_EXIST' | 'LOCK_BELONGS_TO_OTHERS' | 'INTERNAL_ERROR';

/**
 * The contract a lock store component implements. `tryLock` never waits: it takes a free (or
 * expired) lock for `expiryInSeconds` and answers true, or answers false at once when another
 * owner holds it. Both operations must be atomic on the backend: two callers racing for one
 * key never both get true, and only the owner's unlock releases it.
 */
export interface LockStore extends Closeable {
  tryLock(request: TryLockRequest): Promise<boolean>;
  unlock(request: UnlockRequest): Promise<UnlockStatus>;
}
