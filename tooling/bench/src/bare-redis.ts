import type { BareStore } from './bare-store.ts';
import { componentClientLibrary } from './component-client-library.ts';
import type { DatabaseServer } from './database-servers.ts';

/** The part of ioredis' client the baseline uses (the library is loaded from state.redis' folder, untyped here). */
interface RedisClient {
  connect(): Promise<void>;
  ping(): Promise<string>;
  hmgetBuffer(key: string, ...fields: string[]): Promise<(Buffer | null)[]>;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  del(...keys: string[]): Promise<number>;
  info(section: string): Promise<string>;
  quit(): Promise<unknown>;
  disconnect(): void;
  [command: string]: unknown;
}
type RedisConstructor = new (options: Record<string, unknown>) => RedisClient;

/**
 * One write, one round trip: the value and a version bump on the key's hash, the layout
 * state.redis uses (fields `data` and `version`). state.redis's own script also checks ETags
 * and expiry; this is the least a versioned write costs.
 */
const writeScript = `
redis.call('HSET', KEYS[1], 'data', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'version', 1)
`;

export class BareRedis implements BareStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  private constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** The client is set up as state.redis sets up its own: fail-fast, auto-pipelining, 3 s command timeout. */
  static async open(server: DatabaseServer, prefix: string): Promise<BareRedis> {
    const Redis = (componentClientLibrary('state-redis', 'ioredis') as { Redis: RedisConstructor }).Redis;
    const client = new Redis({
      host: server.host,
      port: server.port,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      commandTimeout: 3000,
      maxRetriesPerRequest: 3,
    });
    client.defineCommand('benchWrite', { numberOfKeys: 1, lua: writeScript });
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw new Error(`ioredis could not reach Redis at ${server.host}:${server.port}: ${(error as Error).message}`, { cause: error });
    }
    return new BareRedis(client, prefix);
  }

  #key(key: string): string {
    return `${this.#prefix}||${key}`;
  }

  async get(key: string): Promise<{ value: Buffer; etag: string } | undefined> {
    const [data, version] = await this.#client.hmgetBuffer(this.#key(key), 'data', 'version');
    return data ? { value: data, etag: version?.toString() ?? '' } : undefined;
  }

  async set(key: string, valueJson: string): Promise<void> {
    await (this.#client['benchWrite'] as (key: string, value: string) => Promise<unknown>).call(this.#client, this.#key(key), valueJson);
  }

  async serverPids(): Promise<number[]> {
    const match = /process_id:(\d+)/.exec(await this.#client.info('server'));
    return match ? [Number(match[1])] : [];
  }

  async cleanUp(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 500) await this.#client.del(...keys.slice(i, i + 500).map((key) => this.#key(key)));
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}
