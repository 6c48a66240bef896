import {
  EtagInvalidError,
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
} from '@mecha/state';
import type { MemcachedItem } from './memcached-connection.ts';
import { memcachedKey } from './memcached-key.ts';
import { MemcachedServers } from './memcached-servers.ts';

export interface MemcachedStateStoreOptions {
  /** `host:port` of each server. */
  hosts: readonly string[];
  /** How long one request may wait for its reply. */
  timeoutMs: number;
}

/** memcached reads an expiration above 30 days as a Unix time rather than a delay. */
const maxRelativeExpiry = 30 * 24 * 3600;
/** Keys per `gets` line: memcached reads a command line into a bounded buffer. */
const keysPerGets = 50;

/**
 * State in memcached. ETags are memcached's CAS uniques (`gets`, then `cas`; conditional deletes
 * use the meta command `md` with `C`, memcached 1.6+). TTL is memcached's expiration time; the
 * item's 32-bit flags carry its absolute expiry in Unix seconds so reads can report
 * `ttlExpireTime`. No transactions: memcached has none.
 */
export class MemcachedStateStore implements StateStore {
  readonly #servers: MemcachedServers;

  constructor(options: MemcachedStateStoreOptions) {
    this.#servers = new MemcachedServers(options.hosts, options.timeoutMs);
  }

  /** Asks every server for its version, so a wrong address fails at start-up. */
  async ping(): Promise<void> {
    await Promise.all(this.#servers.connections.map((connection) => connection.version()));
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const key = memcachedKey(request.key);
    const [item] = await this.#servers.for(key).gets([key]);
    return item && toStored(item);
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    const found = new Map<string, StoredItem>();
    const byServer = new Map<ReturnType<MemcachedServers['for']>, string[]>();
    for (const request of requests) {
      const key = memcachedKey(request.key);
      const connection = this.#servers.for(key);
      const keys = byServer.get(connection) ?? [];
      if (!keys.includes(key)) keys.push(key);
      byServer.set(connection, keys);
    }
    const failures = new Map<string, string>();
    await Promise.all(
      [...byServer].flatMap(([connection, keys]) =>
        chunks(keys, keysPerGets).map(async (batch) => {
          try {
            for (const item of await connection.gets(batch)) found.set(item.key, toStored(item));
          } catch (error) {
            for (const key of batch) failures.set(key, (error as Error).message);
          }
        }),
      ),
    );
    return requests.map((request) => {
      const key = memcachedKey(request.key);
      const error = failures.get(key);
      if (error !== undefined) return { key: request.key, error };
      const item = found.get(key);
      return item ? { key: request.key, item } : { key: request.key };
    });
  }

  async set(request: StateSetRequest): Promise<void> {
    const key = memcachedKey(request.key);
    const connection = this.#servers.for(key);
    const ttl = request.ttlInSeconds !== undefined && request.ttlInSeconds > 0 ? request.ttlInSeconds : 0;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expiresAt = ttl > 0 ? nowSeconds + ttl : 0;
    const exptime = ttl > maxRelativeExpiry ? expiresAt : ttl;
    if (request.etag !== undefined) {
      const cas = parseCas(request.etag);
      const reply = await connection.store('cas', key, expiresAt, exptime, request.value, cas);
      if (reply === 'STORED') return;
      if (reply === 'EXISTS' || reply === 'NOT_FOUND') throw new EtagMismatchError(`key ${request.key} is missing or has another etag`);
      throw unexpected(reply);
    }
    if (request.concurrency === 'first-write') {
      const reply = await connection.store('add', key, expiresAt, exptime, request.value);
      if (reply === 'STORED') return;
      if (reply === 'NOT_STORED') throw new EtagMismatchError(`item already exists and no etag was passed for key ${request.key}`);
      throw unexpected(reply);
    }
    const reply = await connection.store('set', key, expiresAt, exptime, request.value);
    if (reply !== 'STORED') throw unexpected(reply);
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    const key = memcachedKey(request.key);
    const connection = this.#servers.for(key);
    if (request.etag !== undefined) {
      const reply = await connection.deleteIfCas(key, parseCas(request.etag));
      if (reply === 'HD') return;
      if (reply === 'EX' || reply === 'NF') throw new EtagMismatchError(`failed to delete ${request.key}`);
      throw unexpected(reply);
    }
    const reply = await connection.delete(key);
    if (reply !== 'DELETED' && reply !== 'NOT_FOUND') throw unexpected(reply);
  }

  async close(): Promise<void> {
    this.#servers.close();
  }
}

function toStored(item: MemcachedItem): StoredItem {
  const stored: StoredItem = { value: new Uint8Array(item.value.buffer, item.value.byteOffset, item.value.byteLength), etag: item.cas };
  if (item.flags > 0) stored.metadata = { ttlExpireTime: new Date(item.flags * 1000).toISOString() };
  return stored;
}

/** A CAS unique is an unsigned 64-bit decimal; anything else could never match. */
function parseCas(etag: string): string {
  if (!/^\d{1,20}$/.test(etag) || BigInt(etag) > 0xffff_ffff_ffff_ffffn) throw new EtagInvalidError(`'${etag}' is not a memcached CAS value`);
  return etag;
}

function unexpected(reply: string): Error {
  return new Error(`memcached: unexpected reply '${reply}'`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
