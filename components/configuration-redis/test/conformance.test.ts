import { runConfigurationConformance } from '@mecha/configuration/conformance';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { definition } from '../src/definition.ts';
import { formatRedisValue } from '../src/redis-value.ts';

const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';
// A database of its own, so reading "every item" does not read other suites' keys.
const redisDB = 11;
const [host, port] = redisHost.split(':');
const raw = new Redis({ host: host!, port: Number(port ?? 6379), db: redisDB, lazyConnect: true });
const connected = raw.connect().catch((error: Error) => {
  throw new Error(`Redis is not reachable at ${redisHost} (${error.message}): start it with bash tooling/services/up.sh redis`);
});

afterAll(() => raw.disconnect());

runConfigurationConformance({
  name: 'redis',
  definition,
  metadata: { redisHost, redisDB: String(redisDB) },
  backend: {
    async set(items) {
      await connected;
      for (const [key, item] of Object.entries(items)) await raw.set(key, formatRedisValue(item.value, item.version));
    },
    async delete(keys) {
      await connected;
      await raw.del(...keys);
    },
  },
});
