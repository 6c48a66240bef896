import { Redis } from 'ioredis';

/** The Redis the suites use (`MECHA_TEST_REDIS`, default 127.0.0.1:6379). */
export const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';

/** A plain client on the test Redis, to look behind the binding; fails naming the server when it is down. */
export async function rawRedis(): Promise<Redis> {
  const [host, port] = redisHost.split(':');
  const client = new Redis({ host: host!, port: Number(port ?? 6379), lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect().catch((error: Error) => {
    client.disconnect();
    throw new Error(`Redis is not reachable at ${redisHost} (${error.message}): start it with bash tooling/services/up.sh redis`);
  });
  return client;
}
