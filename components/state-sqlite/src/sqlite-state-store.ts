import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import {
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type TransactionOperation,
} from '@mecha/state';
import { parseConnectionString } from './connection-string.ts';

export interface SqliteStateStoreOptions {
  connectionString: string;
  tableName?: string;
  metadataTableName?: string;
  busyTimeoutMs?: number;
  disableWAL?: boolean;
  /** 0 disables the periodic deletion of expired rows. */
  cleanupIntervalMs?: number;
  logger?: Logger;
}

interface Row {
  key?: string;
  value: Uint8Array | string;
  is_binary: number;
  etag: string;
  expiration_time: string | null;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The schema version this code writes, in the metadata table under Dapr's `migrations` key. */
const schemaVersion = '1';

/**
 * State in one SQLite file through node:sqlite. The table layout is Dapr's (`key`, `value`,
 * `is_binary`, `etag`, `expiration_time`, `update_time`), so a file written by daprd's
 * `state.sqlite` opens here and the other way round: values are stored as BLOBs with
 * `is_binary = 0`, Dapr's base64 rows are decoded on read.
 *
 * Every call runs synchronously on one connection, so a transaction never interleaves with
 * another in this process; other processes are kept out by SQLite's locks (BEGIN IMMEDIATE).
 * ETags are random UUIDs, as Dapr's; expiry times are UTC text to the millisecond.
 */
export class SqliteStateStore implements StateStore {
  readonly #db: DatabaseSync;
  readonly #logger: Logger;
  readonly #statements: ReturnType<typeof prepareStatements>;
  readonly #cleanup: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SqliteStateStoreOptions) {
    const table = checkIdentifier(options.tableName ?? 'state');
    const metadataTable = checkIdentifier(options.metadataTableName ?? 'metadata');
    const target = parseConnectionString(options.connectionString);
    if (target.mustExist && !existsSync(target.path)) throw new Error(`database file ${target.path} does not exist (mode=rw)`);
    this.#logger = options.logger ?? silentLogger();
    this.#db = new DatabaseSync(target.path, { readOnly: target.readOnly });
    try {
      this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 2000))}`);
      const journal = target.memory ? 'MEMORY' : options.disableWAL || target.readOnly ? 'DELETE' : 'WAL';
      if (!target.readOnly) this.#db.exec(`PRAGMA journal_mode = ${journal}`);
      for (const [name, value] of target.pragmas) this.#db.exec(`PRAGMA ${name} = ${value}`);
      if (!target.readOnly) this.#createTables(table, metadataTable);
      this.#statements = prepareStatements(this.#db, table);
    } catch (error) {
      this.#db.close();
      throw error;
    }
    const every = options.cleanupIntervalMs ?? 3_600_000;
    if (every > 0 && !target.readOnly) {
      this.#cleanup = setInterval(() => this.cleanupExpired(), every);
      this.#cleanup.unref();
    }
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const row = this.#statements.get.get({ key: request.key, now: sqlTime(Date.now()) }) as Row | undefined;
    return row ? toItem(row) : undefined;
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    const keys = JSON.stringify(requests.map((request) => request.key));
    const rows = this.#statements.getMany.all({ keys, now: sqlTime(Date.now()) }) as unknown as Row[];
    const byKey = new Map(rows.map((row) => [row.key!, row]));
    return requests.map((request) => {
      const row = byKey.get(request.key);
      return row ? { key: request.key, item: toItem(row) } : { key: request.key };
    });
  }

  async set(request: StateSetRequest): Promise<void> {
    this.#set(request, Date.now());
  }

  async bulkSet(requests: StateSetRequest[]): Promise<void> {
    this.#transaction(() => {
      const now = Date.now();
      for (const request of requests) this.#set(request, now);
    });
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    this.#delete(request, Date.now());
  }

  async bulkDelete(requests: StateDeleteRequest[]): Promise<void> {
    this.#transaction(() => {
      const now = Date.now();
      for (const request of requests) this.#delete(request, now);
    });
  }

  async transact(operations: TransactionOperation[]): Promise<void> {
    this.#transaction(() => {
      const now = Date.now();
      for (const { operation, request } of operations) {
        if (operation === 'upsert') this.#set(request, now);
        else this.#delete(request, now);
      }
    });
  }

  /** Deletes rows whose TTL has passed; runs every `cleanupInterval`. Returns how many went. */
  cleanupExpired(): number {
    if (this.#closed) return 0;
    try {
      return Number(this.#statements.cleanup.run({ now: sqlTime(Date.now()) }).changes);
    } catch (error) {
      // Another process may hold the lock for longer than busyTimeout; the next run catches up.
      this.#logger.warn({ error: errorMessage(error) }, 'failed to delete expired state rows');
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#cleanup);
    this.#db.close();
  }

  #set(request: StateSetRequest, nowMs: number): void {
    const now = sqlTime(nowMs);
    const ttl = request.ttlInSeconds;
    const params = {
      key: request.key,
      value: request.value,
      etag: randomUUID(),
      expires: ttl !== undefined && ttl > 0 ? sqlTime(nowMs + ttl * 1000) : null,
      now,
    };
    if (request.etag !== undefined && request.etag !== '') {
      const changed = this.#statements.updateIfEtag.run({ ...params, expected: request.etag }).changes;
      if (Number(changed) === 0) throw new EtagMismatchError(`state not found, expired or with another etag for key=${request.key}`);
    } else if (request.concurrency === 'first-write') {
      const changed = this.#statements.insertIfAbsent.run(params).changes;
      if (Number(changed) === 0) throw new EtagMismatchError('item already exists and no etag was passed');
    } else {
      this.#statements.upsert.run(params);
    }
  }

  #delete(request: StateDeleteRequest, nowMs: number): void {
    if (request.etag !== undefined && request.etag !== '') {
      const changed = this.#statements.deleteIfEtag.run({ key: request.key, expected: request.etag, now: sqlTime(nowMs) }).changes;
      if (Number(changed) === 0) throw new EtagMismatchError(`state not found, expired or with another etag for key=${request.key}`);
    } else {
      this.#statements.delete.run({ key: request.key });
    }
  }

  #transaction(work: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #createTables(table: string, metadataTable: string): void {
    this.#transaction(() => {
      this.#db.exec(`CREATE TABLE IF NOT EXISTS ${metadataTable} (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)`);
      this.#db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        is_binary BOOLEAN NOT NULL,
        etag TEXT NOT NULL,
        expiration_time TIMESTAMP DEFAULT NULL,
        update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
      )`);
      this.#db.prepare(`INSERT OR IGNORE INTO ${metadataTable} (key, value) VALUES ('migrations', ?)`).run(schemaVersion);
    });
  }
}

function prepareStatements(db: DatabaseSync, table: string) {
  const live = '(expiration_time IS NULL OR expiration_time > $now)';
  const columns = 'value, is_binary, etag, expiration_time';
  const insert = `INSERT INTO ${table} (key, value, is_binary, etag, expiration_time, update_time)
    VALUES ($key, $value, 0, $etag, $expires, $now)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, is_binary = 0, etag = excluded.etag,
      expiration_time = excluded.expiration_time, update_time = excluded.update_time`;
  const statements = {
    get: db.prepare(`SELECT ${columns} FROM ${table} WHERE key = $key AND ${live}`),
    getMany: db.prepare(`SELECT key, ${columns} FROM ${table} WHERE key IN (SELECT value FROM json_each($keys)) AND ${live}`),
    upsert: db.prepare(insert),
    // First-write: only an expired row may be replaced.
    insertIfAbsent: db.prepare(`${insert} WHERE ${table}.expiration_time IS NOT NULL AND ${table}.expiration_time <= $now`),
    updateIfEtag: db.prepare(`UPDATE ${table} SET value = $value, is_binary = 0, etag = $etag, expiration_time = $expires, update_time = $now
      WHERE key = $key AND etag = $expected AND ${live}`),
    delete: db.prepare(`DELETE FROM ${table} WHERE key = $key`),
    deleteIfEtag: db.prepare(`DELETE FROM ${table} WHERE key = $key AND etag = $expected AND ${live}`),
    cleanup: db.prepare(`DELETE FROM ${table} WHERE expiration_time IS NOT NULL AND expiration_time <= $now`),
  } satisfies Record<string, StatementSync>;
  return statements;
}

function checkIdentifier(name: string): string {
  if (!identifier.test(name)) throw new Error(`invalid table name '${name}': use letters, digits and underscores`);
  return name;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toItem(row: Row): StoredItem {
  let value: Uint8Array;
  if (row.is_binary) {
    // Written by daprd: base64 text.
    const text = typeof row.value === 'string' ? row.value : decoder.decode(row.value);
    value = new Uint8Array(Buffer.from(text, 'base64'));
  } else {
    value = typeof row.value === 'string' ? encoder.encode(row.value) : row.value;
  }
  const item: StoredItem = { value, etag: row.etag };
  if (row.expiration_time !== null) item.metadata = { ttlExpireTime: rfc3339Seconds(row.expiration_time) };
  return item;
}

/** UTC as `YYYY-MM-DD HH:MM:SS.sss`: ordered like SQLite's CURRENT_TIMESTAMP text, which Dapr's rows use. */
function sqlTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 23).replace('T', ' ');
}

function rfc3339Seconds(sqlText: string): string {
  const ms = Date.parse(`${sqlText.trim().replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(sqlText) ? '' : 'Z'}`);
  return Number.isNaN(ms) ? sqlText : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
