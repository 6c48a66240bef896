export { definition } from './definition.ts';
export { RedisBinding, redisBindingOperations, type RedisBindingOptions } from './redis-binding.ts';
export type { RedisTarget } from './redis-client.ts';
