export type { LockStore, LockFeature, TryLockRequest, UnlockRequest, UnlockStatus } from './lock-store.ts';
export { LockService, unlockStatusCode, type LockServiceOptions, type TryLockInput, type UnlockInput } from './lock-service.ts';
export { lockKeyPrefix } from './lock-key.ts';
export { LockErrorCodes, lockStoreNotFound, lockStoresNotConfigured } from './lock-errors.ts';
