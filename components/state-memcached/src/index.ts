export { definition } from './definition.ts';
export { MemcachedStateStore, type MemcachedStateStoreOptions } from './memcached-state-store.ts';
export { memcachedKey } from './memcached-key.ts';
