import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLockStore } from '../src/redis-lock-store.ts';

const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';

describe('RedisLockStore', () => {
  let raw: Redis;
  let store: RedisLockStore;

  beforeAll(async () => {
    const [host, port] = redisHost.split(':');
    raw = new Redis({ host: host!, port: Number(port), lazyConnect: true });
    await raw.connect().catch((error: Error) => {
      throw new Error(`Redis is not reachable at ${redisHost} (${error.message}): start it with bash tooling/services/up.sh redis`);
    });
    store = await RedisLockStore.connect({ redisHost });
  });

  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
  });

  it("keeps Dapr's layout: the key holds the owner and expires with the lock", async () => {
    const key = `lock||layout||${randomUUID()}`;
    expect(await store.tryLock({ key, lockOwner: 'owner-1', expiryInSeconds: 30 })).toBe(true);
    expect(await raw.get(key)).toBe('owner-1');
    const ttl = await raw.ttl(key);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    expect(await store.unlock({ key, lockOwner: 'owner-1' })).toBe('SUCCESS');
    expect(await raw.exists(key)).toBe(0);
  });

  it('refuses an address it cannot reach, naming it, and a cluster-style host list', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(RedisLockStore.connect({ redisHost: `127.0.0.1:${closed}`, timeoutMs: 1000 })).rejects.toThrow(
      `lock.redis: cannot connect to redis at 127.0.0.1:${closed}`,
    );
    await expect(RedisLockStore.connect({ redisHost: 'a:1,b:2' })).rejects.toThrow('lock.redis needs a standalone Redis');
  });
});
