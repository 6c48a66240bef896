import { errorMessage } from '@mecha/core';
import type { LockStore, TryLockRequest, UnlockRequest, UnlockStatus } from '@mecha/lock';
import { Redis } from 'ioredis';

export interface RedisLockStoreOptions {
  /** `host:port` of a standalone Redis. */
  redisHost: string;
  redisUsername?: string;
  redisPassword?: string;
  redisDB?: number;
  enableTLS?: boolean;
  /** How long connecting, and each command, may take. Default 5000 ms. */
  timeoutMs?: number;
}

/** Deletes the key only when it holds the caller's owner; 1: no such lock, 2: another owner's. */
const unlockScript = `
local owner = redis.call('GET', KEYS[1])
if not owner then return 1 end
if owner ~= ARGV[1] then return 2 end
redis.call('DEL', KEYS[1])
return 0
`;

const statuses: UnlockStatus[] = ['SUCCESS', 'LOCK_DOES_NOT_EXIST', 'LOCK_BELONGS_TO_OTHERS'];

interface UnlockCommand {
  mechaUnlock(key: string, owner: string): Promise<number>;
}

/**
 * Locks on one standalone Redis, laid out as Dapr's `lock.redis`: the key holds the owner,
 * `SET NX EX` takes it (atomic: one winner in a race), Redis's expiry frees it, and a Lua
 * script releases it only for its owner. Redis Cluster and Sentinel are not supported (as in
 * Dapr): a lock must live on one primary to stay exclusive.
 */
export class RedisLockStore implements LockStore {
  readonly #client: Redis;
  readonly #address: string;

  private constructor(client: Redis, address: string) {
    this.#client = client;
    this.#address = address;
  }

  static async connect(options: RedisLockStoreOptions): Promise<RedisLockStore> {
    const match = /^(?:\[([^\]]+)\]|([^:,]+))(?::(\d+))?$/.exec(options.redisHost.trim());
    if (!match) throw new Error(`redisHost must be one host:port (got ${JSON.stringify(options.redisHost)}); lock.redis needs a standalone Redis`);
    const host = (match[1] ?? match[2])!;
    const port = Number(match[3] ?? 6379);
    const timeout = options.timeoutMs ?? 5000;
    const client = new Redis({
      host,
      port,
      ...(options.redisUsername ? { username: options.redisUsername } : {}),
      ...(options.redisPassword ? { password: options.redisPassword } : {}),
      db: options.redisDB ?? 0,
      ...(options.enableTLS ? { tls: {} } : {}),
      lazyConnect: true,
      connectTimeout: timeout,
      commandTimeout: timeout,
      // Fail at once while disconnected: a lock call must answer, not queue behind an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    });
    client.defineCommand('mechaUnlock', { lua: unlockScript, numberOfKeys: 1 });
    client.on('error', () => {
      // Reconnection is automatic; each call reports its own failure.
    });
    const address = `${host}:${port}`;
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw new Error(`lock.redis: cannot connect to redis at ${address}: ${errorMessage(error)}`, { cause: error });
    }
    return new RedisLockStore(client, address);
  }

  async tryLock(request: TryLockRequest): Promise<boolean> {
    const reply = await this.#call(() => this.#client.set(request.key, request.lockOwner, 'EX', request.expiryInSeconds, 'NX'));
    return reply === 'OK';
  }

  async unlock(request: UnlockRequest): Promise<UnlockStatus> {
    const code = await this.#call(() => (this.#client as unknown as UnlockCommand).mechaUnlock(request.key, request.lockOwner));
    return statuses[code] ?? 'INTERNAL_ERROR';
  }

  async close(): Promise<void> {
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new Error(`redis at ${this.#address}: ${errorMessage(error)}`, { cause: error });
    }
  }
}
