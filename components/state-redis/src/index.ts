export { RedisStateStore, type RedisStateStoreOptions } from './redis-state-store.ts';
export { parseAddresses, type RedisConnectionOptions, type RedisClient, type Address } from './redis-connection.ts';
export { redisMetadata } from './redis-metadata.ts';
export { definition } from './definition.ts';
