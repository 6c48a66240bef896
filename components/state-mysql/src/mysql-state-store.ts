import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import mysql, { type Pool, type PoolConnection, type PoolOptions, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
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
import { describeFailure, isConnectionFailure } from './connection-failure.ts';
import { withDeadline } from './deadline.ts';
import { dsnConnectTimeout, parseGoDsn, type MysqlDsn } from './go-dsn.ts';
import { ensureDatabase, ensureTables } from './schema.ts';
import { fromStoredJson, toStoredJson } from './stored-json.ts';

export interface MysqlStateStoreOptions {
  /** Go driver DSN: `user:password@tcp(host:port)/database?param=value`. */
  connectionString: string;
  /** Default: the DSN's database, else `dapr_state_store`. Created when absent. */
  schemaName?: string;
  tableName?: string;
  metadataTableName?: string;
  /** Limit for connecting, getting a pooled connection and each statement. Default 20 000 ms. */
  timeoutMs?: number;
  /** CA certificate (PEM file) for TLS. */
  pemPath?: string;
  /** 0 or less disables the periodic deletion of expired rows. Default one hour. */
  cleanupIntervalMs?: number;
  /** Most pooled connections. Default: the greater of 4 and the number of CPUs. */
  maxConns?: number;
  logger?: Logger;
}

interface Row extends RowDataPacket {
  id: string;
  value: string;
  isbinary: number;
  eTag: string;
  expires: number | string | null;
}

const identifier = /^[A-Za-z0-9_]+$/;
const live = '(expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)';
const expires = 'TIMESTAMPADD(SECOND, ?, CURRENT_TIMESTAMP)';
/** Keeps one multi-row INSERT of a bulk save well below MySQL's default 16 MiB packet limit. */
const bulkStatementBytes = 4 * 1024 * 1024;

/**
 * State in a MySQL or MariaDB table laid out as daprd's `state.mysql` lays it out, so both
 * can share it. ETags are random UUIDs in `eTag`; every guarded write is one statement whose
 * WHERE (or ON DUPLICATE KEY condition) checks the row, so concurrent writers cannot both
 * win. Expiry uses the server's clock. Connections that fail or time out are discarded, and
 * the pool opens new ones when the server is back.
 */
export class MysqlStateStore implements StateStore {
  readonly #pool: Pool;
  readonly #address: string;
  readonly #database: string;
  readonly #table: string;
  readonly #metadataTable: string;
  readonly #timeoutMs: number;
  readonly #cleanupIntervalMs: number;
  readonly #logger: Logger;
  readonly #poolOptions: PoolOptions;
  #cleanup: NodeJS.Timeout | undefined;
  #closed = false;

  /** Connects, creates the database and tables when absent and starts the cleanup; fails when the server cannot be reached within the timeout. */
  static async open(options: MysqlStateStoreOptions): Promise<MysqlStateStore> {
    const store = new MysqlStateStore(options);
    try {
      await store.#init();
    } catch (error) {
      await store.close();
      throw describeFailure(error, store.#address);
    }
    return store;
  }

  private constructor(options: MysqlStateStoreOptions) {
    const dsn = parseGoDsn(options.connectionString);
    this.#database = checkIdentifier(options.schemaName || dsn.database || 'dapr_state_store', 'schemaName');
    this.#table = checkIdentifier(options.tableName ?? 'state', 'tableName');
    this.#metadataTable = checkIdentifier(options.metadataTableName ?? 'dapr_metadata', 'metadataTableName');
    this.#timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? 20_000));
    this.#cleanupIntervalMs = options.cleanupIntervalMs ?? 3_600_000;
    this.#logger = options.logger ?? silentLogger();
    this.#address = dsn.socketPath ?? `${dsn.host}:${dsn.port}`;
    this.#poolOptions = {
      ...(dsn.socketPath ? { socketPath: dsn.socketPath } : { host: dsn.host, port: dsn.port }),
      user: dsn.user,
      password: dsn.password,
      ssl: tlsOptions(dsn, options.pemPath),
      connectTimeout: dsnConnectTimeout(dsn) ?? this.#timeoutMs,
      connectionLimit: options.maxConns !== undefined && options.maxConns > 0 ? Math.floor(options.maxConns) : Math.max(4, cpus().length),
      maxIdle: 2,
      idleTimeout: 300_000,
      enableKeepAlive: true,
      waitForConnections: true,
      jsonStrings: true,
      supportBigNumbers: true,
      // Affected rows then count changed rows only: a first-write that finds a live row reports 0.
      flags: ['-FOUND_ROWS'],
    };
    this.#pool = mysql.createPool({ ...this.#poolOptions, database: this.#database });
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const rows = await this.#select(`SELECT id, value, isbinary, eTag, UNIX_TIMESTAMP(expiredate) AS expires FROM \`${this.#table}\` WHERE id = ? AND ${live}`, [
      request.key,
    ]);
    return rows[0] ? toItem(rows[0]) : undefined;
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    if (requests.length === 0) return [];
    const rows = await this.#select(
      `SELECT id, value, isbinary, eTag, UNIX_TIMESTAMP(expiredate) AS expires FROM \`${this.#table}\` WHERE id IN (?) AND ${live}`,
      [requests.map((request) => request.key)],
    );
    const byKey = new Map(rows.map((row) => [row.id, row]));
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
    await this.#withConnection((connection) => this.#set(connection, request));
  }

  /** Multi-row upserts; the block sends only unconditional writes for distinct keys. */
  async bulkSet(requests: StateSetRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const batches: StateSetRequest[][] = [[]];
    let bytes = 0;
    for (const request of new Map(requests.map((item) => [item.key, item])).values()) {
      if (bytes + request.value.byteLength > bulkStatementBytes && batches.at(-1)!.length > 0) {
        batches.push([]);
        bytes = 0;
      }
      batches.at(-1)!.push(request);
      bytes += request.value.byteLength * 2;
    }
    await this.#withConnection(async (connection) => {
      for (const batch of batches) {
        const values: unknown[] = [];
        for (const request of batch) {
          const stored = toStoredJson(request.value);
          values.push(request.key, stored.json, stored.isBinary, randomUUID(), ttlParam(request.ttlInSeconds));
        }
        const rows = batch.map(() => `(?, ?, ?, ?, ${expires})`).join(', ');
        await this.#run(connection, `INSERT INTO \`${this.#table}\` (id, value, isbinary, eTag, expiredate) VALUES ${rows} ${upsertTail}`, values);
      }
    });
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    await this.#withConnection((connection) => this.#delete(connection, request));
  }

  async bulkDelete(requests: StateDeleteRequest[]): Promise<void> {
    if (requests.length === 0) return;
    await this.#withConnection((connection) =>
      this.#run(connection, `DELETE FROM \`${this.#table}\` WHERE id IN (?)`, [requests.map((request) => request.key)]),
    );
  }

  /** One SQL transaction: any failure (an ETag mismatch included) rolls everything back. */
  async transact(operations: TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    await this.#withConnection(async (connection) => {
      await this.#run(connection, 'START TRANSACTION');
      try {
        for (const { operation, request } of operations) {
          if (operation === 'upsert') await this.#set(connection, request);
          else await this.#delete(connection, request);
        }
        await this.#run(connection, 'COMMIT');
      } catch (error) {
        // A broken connection is destroyed by #withConnection, which ends the transaction server-side.
        if (!isConnectionFailure(error)) {
          await this.#run(connection, 'ROLLBACK').catch(() => connection.destroy());
        }
        throw error;
      }
    });
  }

  /**
   * Deletes rows whose TTL has passed. With `force` false (the timer) it first claims the
   * `last-cleanup` row of the metadata table, as daprd does, so that of several processes
   * sharing the table only one cleans per interval. Returns how many rows went.
   */
  async cleanupExpired(force = true): Promise<number> {
    if (this.#closed) return 0;
    return this.#withConnection(async (connection) => {
      if (!force) {
        const claimed = await this.#run(
          connection,
          `INSERT INTO \`${this.#metadataTable}\` (id, value) VALUES ('last-cleanup', CURRENT_TIMESTAMP)
            ON DUPLICATE KEY UPDATE value = IF(CAST(value AS DATETIME) IS NULL OR CAST(value AS DATETIME) <= CURRENT_TIMESTAMP - INTERVAL ? SECOND, CURRENT_TIMESTAMP, value)`,
          [Math.max(0, Math.floor((this.#cleanupIntervalMs - 1000) / 1000))],
        );
        if (claimed.affectedRows === 0) return 0;
      }
      return (await this.#run(connection, `DELETE FROM \`${this.#table}\` WHERE expiredate IS NOT NULL AND expiredate <= CURRENT_TIMESTAMP`)).affectedRows;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#cleanup);
    await this.#pool.end().catch(() => undefined);
  }

  async #init(): Promise<void> {
    // The database may not exist yet, so the first connection names none.
    const setup = await withDeadline(mysql.createConnection({ ...this.#poolOptions, database: undefined }), this.#timeoutMs, 'connecting');
    try {
      await ensureDatabase(setup, this.#database);
      await setup.changeUser({ database: this.#database });
      await ensureTables(setup, this.#database, this.#table, this.#metadataTable);
    } finally {
      setup.destroy();
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

  async #set(connection: PoolConnection, request: StateSetRequest): Promise<void> {
    const stored = toStoredJson(request.value);
    const etag = randomUUID();
    const ttl = ttlParam(request.ttlInSeconds);
    if (request.etag !== undefined && request.etag !== '') {
      const result = await this.#run(
        connection,
        `UPDATE \`${this.#table}\` SET value = ?, isbinary = ?, eTag = ?, expiredate = ${expires} WHERE id = ? AND eTag = ? AND ${live}`,
        [stored.json, stored.isBinary, etag, ttl, request.key, request.etag],
      );
      if (result.affectedRows === 0) throw new EtagMismatchError(`state not found, expired or with another etag for key=${request.key}`);
      return;
    }
    const values = [request.key, stored.json, stored.isBinary, etag, ttl];
    const insert = `INSERT INTO \`${this.#table}\` (id, value, isbinary, eTag, expiredate) VALUES (?, ?, ?, ?, ${expires})`;
    if (request.concurrency === 'first-write') {
      // An existing row is replaced only when it has expired; expiredate is assigned last
      // because MySQL evaluates the assignments in order, each seeing the ones before.
      const expired = 'expiredate IS NOT NULL AND expiredate <= CURRENT_TIMESTAMP';
      const result = await this.#run(
        connection,
        `${insert} ON DUPLICATE KEY UPDATE value = IF(${expired}, VALUES(value), value), isbinary = IF(${expired}, VALUES(isbinary), isbinary),
          eTag = IF(${expired}, VALUES(eTag), eTag), expiredate = IF(${expired}, VALUES(expiredate), expiredate)`,
        values,
      );
      if (result.affectedRows === 0) throw new EtagMismatchError('item already exists and no etag was passed');
      return;
    }
    await this.#run(connection, `${insert} ${upsertTail}`, values);
  }

  async #delete(connection: PoolConnection, request: StateDeleteRequest): Promise<void> {
    if (request.etag !== undefined && request.etag !== '') {
      const result = await this.#run(connection, `DELETE FROM \`${this.#table}\` WHERE id = ? AND eTag = ? AND ${live}`, [request.key, request.etag]);
      if (result.affectedRows === 0) throw new EtagMismatchError(`state not found, expired or with another etag for key=${request.key}`);
    } else {
      await this.#run(connection, `DELETE FROM \`${this.#table}\` WHERE id = ?`, [request.key]);
    }
  }

  async #select(sql: string, values: unknown[]): Promise<Row[]> {
    return this.#withConnection(async (connection) => {
      const [rows] = await connection.query<Row[]>({ sql, values, timeout: this.#timeoutMs });
      return rows;
    });
  }

  async #run(connection: PoolConnection, sql: string, values?: unknown[]): Promise<ResultSetHeader> {
    const [result] = await connection.query<ResultSetHeader>({ sql, values, timeout: this.#timeoutMs });
    return result;
  }

  /**
   * Runs work on one pooled connection. A connection that failed or timed out is destroyed,
   * never returned to the pool: it may still be busy with the abandoned statement.
   */
  async #withConnection<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the MySQL state store is closed');
    const pending = this.#pool.getConnection();
    let connection: PoolConnection;
    try {
      connection = await withDeadline(pending, this.#timeoutMs, 'waiting for a connection');
    } catch (error) {
      pending.then((late) => late.release(), () => undefined);
      throw describeFailure(error, this.#address);
    }
    try {
      const result = await work(connection);
      connection.release();
      return result;
    } catch (error) {
      if (isConnectionFailure(error)) connection.destroy();
      else connection.release();
      throw describeFailure(error, this.#address);
    }
  }
}

const upsertTail = 'ON DUPLICATE KEY UPDATE value = VALUES(value), isbinary = VALUES(isbinary), eTag = VALUES(eTag), expiredate = VALUES(expiredate)';

function checkIdentifier(name: string, field: string): string {
  if (!identifier.test(name)) throw new Error(`invalid ${field} '${name}': use letters, digits and underscores`);
  return name;
}

/** The DSN's `tls` parameter and `pemPath` as mysql2 TLS options. */
function tlsOptions(dsn: MysqlDsn, pemPath: string | undefined): PoolOptions['ssl'] {
  const tls = dsn.params.get('tls')?.toLowerCase();
  const ca = pemPath ? readFileSync(pemPath, 'utf8') : undefined;
  if (tls === undefined || tls === '' || tls === 'false' || tls === 'preferred') return ca ? { ca } : undefined;
  if (tls === 'true') return ca ? { ca } : {};
  if (tls === 'skip-verify') return { rejectUnauthorized: false };
  if (ca) return { ca };
  throw new Error(`connection string asks for tls=${tls}, which needs 'pemPath'`);
}

function ttlParam(ttl: number | undefined): number | null {
  return ttl !== undefined && ttl > 0 ? ttl : null;
}

function toItem(row: Row): StoredItem {
  const item: StoredItem = { value: fromStoredJson(row.value, Boolean(row.isbinary)), etag: row.eTag };
  if (row.expires !== null) {
    item.metadata = { ttlExpireTime: new Date(Number(row.expires) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
  return item;
}
