export { definition } from './definition.ts';
export { RedisStreamsBroker, type RedisStreamsBrokerOptions } from './redis-streams-broker.ts';
export { parseAddresses, type RedisConnectionOptions, type RedisClient, type Address } from './redis-connection.ts';
export { redisPubSubMetadata } from './redis-pubsub-metadata.ts';
