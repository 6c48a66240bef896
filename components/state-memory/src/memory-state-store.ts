import {
  EtagInvalidError,
  EtagMismatchError,
  type BulkGetResult,
  type Concurrency,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type TransactionOperation,
} from '@mecha/state';

interface Entry {
  value: Uint8Array;
  etag: string;
  /** Epoch milliseconds; absent when the item never expires. */
  expiresAt?: number;
}

/** Pending writes of one transaction: `null` marks a delete. Read through before the map. */
type Overlay = Map<string, Entry | null>;

export interface MemoryStateStoreOptions {
  /** How often expired items are dropped from memory; they are invisible from the moment they expire. */
  sweepIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * State in a Map, for development and tests. ETags are versions from one counter for the
 * whole store, so a deleted and re-created key never gets an ETag it had before. Every
 * operation runs synchronously inside its call, so a transaction cannot interleave with
 * another one.
 */
export class MemoryStateStore implements StateStore {
  readonly #items = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  #version = 0;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 10_000);
    this.#sweeper.unref();
  }

  /** Live (unexpired) items, for diagnostics. */
  get size(): number {
    this.#sweep();
    return this.#items.size;
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    return this.#read(request.key);
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    return requests.map((request) => {
      const item = this.#read(request.key);
      return item ? { key: request.key, item } : { key: request.key };
    });
  }

  async set(request: StateSetRequest): Promise<void> {
    this.#apply([{ operation: 'upsert', request }]);
  }

  async bulkSet(requests: StateSetRequest[]): Promise<void> {
    this.#apply(requests.map((request) => ({ operation: 'upsert', request })));
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    this.#apply([{ operation: 'delete', request }]);
  }

  async bulkDelete(requests: StateDeleteRequest[]): Promise<void> {
    this.#apply(requests.map((request) => ({ operation: 'delete', request })));
  }

  async transact(operations: TransactionOperation[]): Promise<void> {
    this.#apply(operations);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#items.clear();
  }

  #read(key: string): StoredItem | undefined {
    const entry = this.#live(key, new Map(), this.#now());
    if (!entry) return undefined;
    const item: StoredItem = { value: entry.value.slice(), etag: entry.etag };
    if (entry.expiresAt !== undefined) item.metadata = { ttlExpireTime: rfc3339Seconds(entry.expiresAt) };
    return item;
  }

  /** Checks and stages every operation, then commits them all: all or nothing. */
  #apply(operations: TransactionOperation[]): void {
    const now = this.#now();
    const overlay: Overlay = new Map();
    for (const { operation, request } of operations) {
      const current = this.#live(request.key, overlay, now);
      if (operation === 'upsert') {
        checkWrite(request.key, current, request.etag, request.concurrency);
        const ttl = request.ttlInSeconds;
        const entry: Entry = { value: request.value.slice(), etag: String(++this.#version) };
        if (ttl !== undefined && ttl > 0) entry.expiresAt = now + ttl * 1000;
        overlay.set(request.key, entry);
      } else {
        checkWrite(request.key, current, request.etag, 'last-write');
        overlay.set(request.key, null);
      }
    }
    for (const [key, entry] of overlay) {
      if (entry) this.#items.set(key, entry);
      else this.#items.delete(key);
    }
  }

  #live(key: string, overlay: Overlay, now: number): Entry | undefined {
    const entry = overlay.has(key) ? overlay.get(key) : this.#items.get(key);
    if (!entry) return undefined;
    return entry.expiresAt !== undefined && entry.expiresAt <= now ? undefined : entry;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#items) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#items.delete(key);
    }
  }
}

function checkWrite(key: string, current: Entry | undefined, etag: string | undefined, concurrency: Concurrency): void {
  if (etag === undefined || etag === '') {
    if (concurrency === 'first-write' && current) throw new EtagMismatchError('item already exists and no etag was passed');
    return;
  }
  if (!/^\d+$/.test(etag)) throw new EtagInvalidError(`'${etag}' is not an ETag of this store (a version number)`);
  if (!current) throw new EtagMismatchError(`state not exist or expired for key=${key}`);
  if (current.etag !== etag) throw new EtagMismatchError(`state etag not match for key=${key}: current=${current.etag}, expect=${etag}`);
}

/** RFC 3339 in UTC to the second, as Dapr's stores report `ttlExpireTime`. */
function rfc3339Seconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
