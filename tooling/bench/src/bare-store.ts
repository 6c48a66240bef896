import type { DatabaseServer } from './database-servers.ts';

/**
 * A database's own client library, called directly: the same client call is made by the
 * in-process baseline (N async loops) and by the minimal node:http server (one call per
 * request). Keys are stored as `<prefix>||<key>`, as a Dapr store stores `<app id>||<key>`.
 */
export interface BareStore {
  /** The value's bytes and its version, or undefined when the key is absent. */
  get(key: string): Promise<{ value: Buffer; etag: string } | undefined>;
  /** Writes the value's JSON text, as mechad stores a value posted over HTTP. */
  set(key: string, valueJson: string): Promise<void>;
  /** The database server's processes, to measure their CPU apart from everything else. */
  serverPids(): Promise<number[]>;
  /** Removes what this store wrote (the keys, or the table). */
  cleanUp(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** `prefix` keeps the targets' data apart on the shared server: a key prefix for Redis, a table for PostgreSQL. */
export async function openBareStore(server: DatabaseServer, prefix: string): Promise<BareStore> {
  if (server.kind === 'redis') {
    const { BareRedis } = await import('./bare-redis.ts');
    return BareRedis.open(server, prefix);
  }
  const { BarePostgres } = await import('./bare-postgres.ts');
  return BarePostgres.open(server, prefix);
}
