import { MechaError, errorMessage } from '@mecha/core';

/** Dapr's error codes for the lock API. */
export const LockErrorCodes = {
  notConfigured: 'ERR_LOCK_STORE_NOT_CONFIGURED',
  notFound: 'ERR_LOCK_STORE_NOT_FOUND',
  malformed: 'ERR_MALFORMED_REQUEST',
  tryLock: 'ERR_TRY_LOCK',
  unlock: 'ERR_UNLOCK',
} as const;

const resource = (store: string) => ({ type: 'lock', name: store });

export function lockStoresNotConfigured(store: string): MechaError {
  return new MechaError(LockErrorCodes.notConfigured, 'failed-precondition', `lock store ${store} is not configured`);
}

/** daprd answers an unknown lock store with 400 (gRPC INVALID_ARGUMENT). */
export function lockStoreNotFound(store: string): MechaError {
  return new MechaError(LockErrorCodes.notFound, 'invalid-argument', `lock store ${store} is not found`);
}

export function malformedLockRequest(message: string, store: string): MechaError {
  return new MechaError(LockErrorCodes.malformed, 'invalid-argument', message, { resource: resource(store) });
}

export function tryLockFailed(store: string, cause: unknown): MechaError {
  return new MechaError(LockErrorCodes.tryLock, 'internal', `failed to try acquiring lock: ${errorMessage(cause)}`, { resource: resource(store), cause });
}

export function unlockFailed(store: string, cause: unknown): MechaError {
  return new MechaError(LockErrorCodes.unlock, 'internal', `failed to release lock: ${errorMessage(cause)}`, { resource: resource(store), cause });
}
