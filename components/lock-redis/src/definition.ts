import { defineComponent, defineMetadata } from '@mecha/core';
import type { LockFeature, LockStore } from '@mecha/lock';

const metadata = defineMetadata({
  redisHost: { type: 'string', required: true, description: 'The Redis server, `host:port`. A standalone Redis only: a lock must live on one primary.', example: 'localhost:6379' },
  redisUsername: { type: 'string', description: 'ACL user name (Redis 6+).' },
  redisPassword: { type: 'string', sensitive: true, description: 'Password; usually a `secretKeyRef`.' },
  redisDB: { type: 'number', default: 0, description: 'Database number.' },
  enableTLS: { type: 'boolean', default: false, description: 'Connect with TLS.' },
  dialTimeout: { type: 'duration', description: 'How long connecting and each command may take, such as `5s`. Default 5s.', example: '5s' },
});

export const definition = defineComponent<LockStore, LockFeature, typeof metadata>({
  type: 'lock.redis',
  version: 'v1',
  block: 'lock',
  description: 'Distributed locks on a standalone Redis: SET NX with expiry, owner-checked unlock in Lua.',
  metadata,
  features: [],
  async create(values) {
    if (!Number.isInteger(values.redisDB) || values.redisDB < 0) throw new Error(`redisDB must be a whole number of at least 0 (got ${values.redisDB})`);
    const { RedisLockStore } = await import('./redis-lock-store.ts');
    return RedisLockStore.connect({
      redisHost: values.redisHost,
      ...(values.redisUsername ? { redisUsername: values.redisUsername } : {}),
      ...(values.redisPassword ? { redisPassword: values.redisPassword } : {}),
      redisDB: values.redisDB,
      enableTLS: values.enableTLS,
      ...(values.dialTimeout !== undefined ? { timeoutMs: values.dialTimeout } : {}),
    });
  },
});
