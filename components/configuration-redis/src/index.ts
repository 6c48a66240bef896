export { definition } from './definition.ts';
export { RedisConfigurationStore, type RedisConfigurationStoreOptions } from './redis-configuration-store.ts';
export { parseRedisValue, formatRedisValue } from './redis-value.ts';
export { mergeKeyspaceEvents, requiredKeyspaceEvents } from './keyspace-events.ts';
