export { definition } from './definition.ts';
export { RedisLockStore, type RedisLockStoreOptions } from './redis-lock-store.ts';
