import { cpus } from 'node:os';
import pg from 'pg';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import {
  EtagInvalidError,
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type StoreQueryRequest,
  type StoreQueryResult,
  type TransactionOperation,
} from '@mecha/state';
import { connectionFromInput, type PostgresConnectionInput } from './connection-settings.ts';
import { describeFailure, isConnectionFailure } from './connection-failure.ts';
import { buildQuerySql } from './query-sql.ts';
import { migrate } from './schema.ts';
import { fromStoredJson, toStoredJson } from './stored-json.ts';

export interface PostgresStateStoreOptions extends PostgresConnectionInput {
  /** Default `state`; may carry a schema (`public.state`). */
  tableName?: string;
  /** Default `dapr_metadata`. */
  metadataTableName?: string;
  /** Limit for getting a connection and for each statement. Default 20 000 ms. */
  timeoutMs?: number;
  /** 0 or less disables the periodic deletion of expired rows. Default one hour. */
  cleanupIntervalMs?: number;
  /** 0 or less: the greater of 4 and the number of CPUs. */
  maxConns?: number;
  /** Default 5 minutes. */
  connectionMaxIdleTimeMs?: number;
  logger?: Logger;
}

/** Anything that runs a statement: the pool, or one client inside a transaction. */
interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

interface Row {
  key?: string;
  value: string;
  isbinary: boolean;
  etag: string;
  expiredate: Date | null;
}

const qualifiedIdentifier = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
/** Row versions are PostgreSQL transaction ids (`xmin`): unsigned 32-bit integers. */
const xidText = /^\d{1,10}$/;

/**
 * State in a PostgreSQL table laid out as daprd's `state.postgresql` v1 lays it out (`key`,
 * `value jsonb`, `isbinary`, `insertdate`, `updatedate`, `expiredate`), so daprd and Mecha
 * can share a table. As in Dapr, the ETag is the row's `xmin`: PostgreSQL changes it on every
 * write, so a guarded write is one `UPDATE … WHERE xmin = $etag` that a concurrent writer
 * cannot slip past. Expiry uses the server's clock.
 */
export class PostgresStateStore implements StateStore {
  readonly #pool: pg.Pool;
  readonly #address: string;
  readonly #table: string;
  readonly #metadataTable: string;
  readonly #logger: Logger;
  readonly #cleanupIntervalMs: number;
  readonly #sql: ReturnType<typeof statements>;
  #cleanup: NodeJS.Timeout | undefined;
  #closed = false;

  /** Connects, creates the tables when absent and starts the cleanup; fails when the server cannot be reached within the timeout. */
  static async open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
    const store = new PostgresStateStore(options);
    try {
      await store.#init();
    } catch (error) {
      await store.close();
      throw describeFailure(error, store.#address);
    }
    return store;
  }

  private constructor(options: PostgresStateStoreOptions) {
    this.#table = checkTableName(options.tableName ?? 'state', 'tableName');
    this.#metadataTable = checkTableName(options.metadataTableName ?? 'dapr_metadata', 'metadataTableName');
    this.#logger = options.logger ?? silentLogger();
    this.#cleanupIntervalMs = options.cleanupIntervalMs ?? 3_600_000;
    const connection = connectionFromInput(options);
    if (connection.ignored.length > 0) {
      this.#logger.warn({ keywords: connection.ignored }, 'ignoring connection string keywords node-postgres does not support');
    }
    this.#address = connection.address;
    const timeout = Math.max(1, Math.floor(options.timeoutMs ?? 20_000));
    const maxConns = options.maxConns !== undefined && options.maxConns > 0 ? Math.floor(options.maxConns) : Math.max(4, cpus().length);
    this.#pool = new pg.Pool({
      ...connection.config,
      connectionTimeoutMillis: connection.config.connectionTimeoutMillis ?? timeout,
      query_timeout: timeout,
      max: connection.config.max ?? maxConns,
      idleTimeoutMillis: options.connectionMaxIdleTimeMs ?? 300_000,
      keepAlive: true,
    });
    // An idle connection dropped by the server is reported here; the pool discards it and the
    // next call opens a new one. Without a listener the process would crash.
    this.#pool.on('error', (error) => this.#logger.warn({ error: errorMessage(error) }, 'idle PostgreSQL connection failed'));
    this.#sql = statements(this.#table, this.#metadataTable);
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const { rows } = await this.#run<Row>(this.#pool, this.#sql.get, [request.key]);
    return rows[0] ? toItem(rows[0]) : undefined;
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    if (requests.length === 0) return [];
    const { rows } = await this.#run<Row>(this.#pool, this.#sql.getMany, [requests.map((request) => request.key)]);
    const byKey = new Map(rows.map((row) => [row.key!, row]));
    return requests.map((request) => {
      const row = byKey.get(request.key);
      if (!row) return { key: request.key };
      try {
        return { key: request.key, item: toItem(row) };
      } catch (error) {
        return { key: request.key, error: errorMessage(error) };
      }
    });
  }

  async set(request: StateSetRequest): Promise<void> {
    await this.#set(this.#pool, request);
  }

  /** One statement for all items; the block sends only unconditional writes for distinct keys. */
  async bulkSet(requests: StateSetRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const last = new Map(requests.map((request) => [request.key, request]));
    const keys: string[] = [];
    const values: string[] = [];
    const binary: boolean[] = [];
    const ttls: (number | null)[] = [];
    for (const request of last.values()) {
      const stored = toStoredJson(request.value);
      keys.push(request.key);
      values.push(stored.json);
      binary.push(stored.isBinary);
      ttls.push(ttlParam(request.ttlInSeconds));
    }
    await this.#run(this.#pool, this.#sql.upsertMany, [keys, values, binary, ttls]);
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    await this.#delete(this.#pool, request);
  }

  async bulkDelete(requests: StateDeleteRequest[]): Promise<void> {
    if (requests.length === 0) return;
    await this.#run(this.#pool, this.#sql.deleteMany, [requests.map((request) => request.key)]);
  }

  /** One SQL transaction: any failure (an ETag mismatch included) rolls everything back. */
  async transact(operations: TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    await this.#transaction(async (client) => {
      for (const { operation, request } of operations) {
        if (operation === 'upsert') await this.#set(client, request);
        else await this.#delete(client, request);
      }
    });
  }

  /**
   * Dapr's state query over JSON values: filters (EQ, NEQ, GT, GTE, LT, LTE, IN, AND, OR) on
   * `value.a.b` paths or `key`, sorting, and paging by limit and an opaque offset token.
   * Only live rows under `keyPrefix` are seen. A token comes back only when more rows follow.
   */
  async query(request: StoreQueryRequest): Promise<StoreQueryResult> {
    const sql = buildQuerySql(request.query, request.keyPrefix, live);
    const params = [...sql.params];
    let text = `SELECT ${this.#sql.columns} FROM ${this.#table} WHERE ${sql.where} ORDER BY ${sql.orderBy}`;
    if (sql.limit !== undefined) {
      params.push(sql.limit);
      text += ` LIMIT $${params.length}`;
    }
    if (sql.offset > 0) {
      params.push(sql.offset);
      text += ` OFFSET $${params.length}`;
    }
    const { rows } = await this.#run<Row>(this.#pool, text, params);
    const page = sql.limit !== undefined ? rows.slice(0, sql.limit - 1) : rows;
    const result: StoreQueryResult = { items: page.map((row) => ({ key: row.key!, ...toItem(row) })) };
    if (sql.limit !== undefined && rows.length > page.length) result.token = String(sql.offset + page.length);
    return result;
  }

  /**
   * Deletes rows whose TTL has passed. With `force` false (the timer) it first claims the
   * `last-cleanup` row of the metadata table, as daprd does, so that of several processes
   * sharing the table only one cleans per interval. Returns how many rows went.
   */
  async cleanupExpired(force = true): Promise<number> {
    if (this.#closed) return 0;
    return this.#transaction(async (client) => {
      if (!force) {
        const claimed = await this.#run(client, this.#sql.claimCleanup, [Math.max(0, this.#cleanupIntervalMs - 1000)]);
        if (claimed.rowCount === 0) return 0;
      }
      return (await this.#run(client, this.#sql.deleteExpired)).rowCount ?? 0;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#cleanup);
    await this.#pool.end();
  }

  async #init(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await migrate(client, this.#table, this.#metadataTable);
      client.release();
    } catch (error) {
      client.release(true);
      throw error;
    }
    if (this.#cleanupIntervalMs > 0) {
      this.#cleanup = setInterval(() => {
        this.cleanupExpired(false).catch((error: unknown) => {
          this.#logger.warn({ error: errorMessage(error) }, 'failed to delete expired state rows');
        });
      }, this.#cleanupIntervalMs);
      this.#cleanup.unref();
    }
  }

  async #set(db: Queryable, request: StateSetRequest): Promise<void> {
    const stored = toStoredJson(request.value);
    const params: unknown[] = [request.key, stored.json, stored.isBinary, ttlParam(request.ttlInSeconds)];
    if (request.etag !== undefined && request.etag !== '') {
      const result = await this.#run(db, this.#sql.updateIfEtag, [...params, checkEtag(request.etag)]);
      if (result.rowCount === 0) throw new EtagMismatchError(`state not found, expired or with another etag for key=${request.key}`);
    } else if (request.concurrency === 'first-write') {
      const result = await this.#run(db, this.#sql.insertIfAbsent, params);
      if (result.rowCount === 0) throw new EtagMismatchError('item already exists and no etag was passed');
    } else {
      await this.#run(db, this.#sql.upsert, params);
    }
  }

  async #delete(db: Queryable, request: StateDeleteRequest): Promise<void> {
    if (request.etag !== undefined && request.etag !== '') {
      const result = await this.#run(db, this.#sql.deleteIfEtag, [request.key, checkEtag(request.etag)]);
      if (result.rowCount === 0) throw new EtagMismatchError(`state not found, expired or with another etag for key=${request.key}`);
    } else {
      await this.#run(db, this.#sql.delete, [request.key]);
    }
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw describeFailure(error, this.#address);
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      const broken = isConnectionFailure(error);
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch {
          // The connection is unusable; discarding it below ends the transaction on the server.
          client.release(true);
          throw describeFailure(error, this.#address);
        }
      }
      // A timed-out or dropped connection may still run the statement: never reuse it.
      client.release(broken ? true : undefined);
      throw describeFailure(error, this.#address);
    }
  }

  async #run<R extends pg.QueryResultRow = pg.QueryResultRow>(db: Queryable, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new Error('the PostgreSQL state store is closed');
    try {
      return await db.query<R>(text, values);
    } catch (error) {
      throw describeFailure(error, this.#address);
    }
  }
}

const live = '(expiredate IS NULL OR expiredate > now())';

function statements(table: string, metadataTable: string) {
  const columns = 'key, value::text AS value, isbinary, xmin::text AS etag, expiredate';
  const expires = "now() + $4::integer * interval '1 second'";
  const upsert = `INSERT INTO ${table} AS t (key, value, isbinary, expiredate) VALUES ($1, $2::jsonb, $3, ${expires})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary, updatedate = now(), expiredate = excluded.expiredate`;
  return {
    columns,
    get: `SELECT ${columns} FROM ${table} WHERE key = $1 AND ${live}`,
    getMany: `SELECT ${columns} FROM ${table} WHERE key = ANY($1::text[]) AND ${live}`,
    upsert,
    // First-write without ETag: a row that exists replaces only if it has expired.
    insertIfAbsent: `${upsert} WHERE t.expiredate IS NOT NULL AND t.expiredate <= now()`,
    updateIfEtag: `UPDATE ${table} SET value = $2::jsonb, isbinary = $3, updatedate = now(), expiredate = ${expires}
      WHERE key = $1 AND xmin = $5::xid AND ${live}`,
    upsertMany: `INSERT INTO ${table} AS t (key, value, isbinary, expiredate)
      SELECT k, v::jsonb, b, now() + ttl * interval '1 second' FROM unnest($1::text[], $2::text[], $3::boolean[], $4::integer[]) AS u(k, v, b, ttl)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary, updatedate = now(), expiredate = excluded.expiredate`,
    delete: `DELETE FROM ${table} WHERE key = $1`,
    deleteIfEtag: `DELETE FROM ${table} WHERE key = $1 AND xmin = $2::xid AND ${live}`,
    deleteMany: `DELETE FROM ${table} WHERE key = ANY($1::text[])`,
    // Claims this interval's cleanup: true (one row) unless another process cleaned recently.
    claimCleanup: `INSERT INTO ${metadataTable} AS m (key, value) VALUES ('last-cleanup', now()::text)
      ON CONFLICT (key) DO UPDATE SET value = now()::text
      WHERE m.value::timestamptz <= now() - $1::integer * interval '1 millisecond'`,
    deleteExpired: `DELETE FROM ${table} WHERE expiredate IS NOT NULL AND expiredate <= now()`,
  };
}

function checkTableName(name: string, field: string): string {
  if (!qualifiedIdentifier.test(name)) throw new Error(`invalid ${field} '${name}': use letters, digits and underscores, optionally schema.table`);
  return name;
}

function checkEtag(etag: string): string {
  if (!xidText.test(etag) || Number(etag) > 0xffff_ffff) throw new EtagInvalidError(`'${etag}' is not a PostgreSQL row version`);
  return etag;
}

/** `ttlInSeconds` as the statement's parameter: null when the item never expires. */
function ttlParam(ttl: number | undefined): number | null {
  return ttl !== undefined && ttl > 0 ? ttl : null;
}

function toItem(row: Row): StoredItem {
  const item: StoredItem = { value: fromStoredJson(row.value, row.isbinary), etag: row.etag };
  if (row.expiredate !== null) item.metadata = { ttlExpireTime: row.expiredate.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return item;
}
