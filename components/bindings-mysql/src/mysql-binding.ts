import mysql from 'mysql2/promise';
import type { FieldPacket, Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { Binding, BindingRequest, BindingResponse } from '@mecha/bindings';
import { connectionOptions, type MysqlConnectionOptions } from './connection-options.ts';
import { parseGoDsn } from './go-dsn.ts';
import { startTiming } from './invocation-timing.ts';
import { rowsToJson, type ColumnInfo } from './row-json.ts';
import { readSqlRequest } from './sql-request.ts';

export interface MysqlBindingOptions {
  /** Go's DSN: `user:password@tcp(host:3306)/database?param=value`. */
  url: string;
  /** CA certificate (PEM) for `tls=custom`; alone it turns TLS on with that CA. */
  pemPath?: string;
  /** Most idle connections kept. Default 2 (Go's default). */
  maxIdleConns?: number;
  /** Most open connections. Default 10. */
  maxOpenConns?: number;
  /** A connection older than this is closed instead of reused. Default: no limit. */
  connMaxLifetimeMs?: number;
  /** A connection idle longer than this is closed instead of reused. Default: no limit. */
  connMaxIdleTimeMs?: number;
  logger?: Logger;
}

interface ConnectionState {
  createdAt: number;
  lastUsedAt: number;
}

const operations = ['exec', 'query', 'close'] as const;

/** Connection-level failures: the connection is dropped rather than reused. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/**
 * Dapr's `bindings.mysql` output binding (MySQL and MariaDB): `exec` runs a statement and
 * reports the rows it changed, `query` returns rows as a JSON array of objects, `close`
 * closes the connection pool (after which the binding refuses `exec` and `query`, as in Dapr).
 * With `params`, the statement is prepared on the server and the values bound to its `?`
 * placeholders, never spliced into SQL text (unless the DSN asks for `interpolateParams`).
 */
export class MysqlBinding implements Binding {
  readonly operations: readonly string[] = operations;
  readonly #pool: Pool;
  readonly #connection: MysqlConnectionOptions;
  readonly #states = new WeakMap<object, ConnectionState>();
  readonly #maxLifetimeMs: number | undefined;
  readonly #maxIdleTimeMs: number | undefined;
  #closed = false;

  private constructor(options: MysqlBindingOptions, connection: MysqlConnectionOptions, logger: Logger) {
    this.#connection = connection;
    this.#maxLifetimeMs = options.connMaxLifetimeMs;
    this.#maxIdleTimeMs = options.connMaxIdleTimeMs;
    const limit = options.maxOpenConns ?? 10;
    this.#pool = mysql.createPool({
      ...connection.pool,
      connectionLimit: limit,
      maxIdle: Math.min(options.maxIdleConns ?? 2, limit),
      ...(options.connMaxIdleTimeMs !== undefined ? { idleTimeout: options.connMaxIdleTimeMs } : {}),
      enableKeepAlive: true,
      // Values arrive in forms row-json.ts encodes exactly: no rounding of BIGINT or DECIMAL, no Date objects.
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      dateStrings: true,
      jsonStrings: true,
      // Spatial and vector values stay the raw bytes Go's driver hands over.
      typeCast: (field, next) => (field.type === 'GEOMETRY' || field.type === 'VECTOR' ? field.buffer() : next()),
    });
    this.#pool.pool.on('error', (error: unknown) => logger.debug({ err: errorMessage(error) }, `MySQL connection at ${connection.address} failed`));
  }

  /** Opens the pool and pings the server; fails naming the address (never the password). */
  static async open(options: MysqlBindingOptions): Promise<MysqlBinding> {
    const connection = connectionOptions(parseGoDsn(options.url), options.pemPath);
    const binding = new MysqlBinding(options, connection, options.logger ?? silentLogger());
    try {
      const client = await binding.#acquire();
      try {
        await client.ping();
      } finally {
        binding.#release(client);
      }
    } catch (error) {
      await binding.close();
      throw new Error(`cannot connect to MySQL at ${connection.address}: ${describeError(error)}`, { cause: error });
    }
    return binding;
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    // `close` succeeds even when the binding is closed already, as in Dapr.
    if (request.operation === 'close') {
      await this.close();
      return { data: new Uint8Array(), metadata: {} };
    }
    if (!(operations as readonly string[]).includes(request.operation)) {
      throw new Error(`unsupported operation '${request.operation}': bindings.mysql supports exec, query and close`);
    }
    if (this.#closed) throw new Error('the binding is closed (by a close operation or shutdown)');
    const { sql, params } = readSqlRequest(request.metadata);
    const timing = startTiming();
    const metadata: Record<string, string> = { operation: request.operation, sql, 'start-time': timing.startTime };
    const [result, fields] = await this.#run(sql, params, request.operation === 'exec' ? 'last' : 'first');
    let data = new Uint8Array();
    let contentType: string | undefined;
    if (request.operation === 'exec') {
      metadata['rows-affected'] = String(rowsAffected(result));
    } else {
      const rows = Array.isArray(result) && Array.isArray(result[0]) ? (result as unknown[][]) : [];
      const columns = Array.isArray(fields) && !Array.isArray(fields[0]) ? (fields as FieldPacket[]).map(toColumnInfo) : [];
      data = Buffer.from(rowsToJson(columns, rows, { columnsWithAlias: this.#connection.columnsWithAlias, timeZone: this.#connection.timeZone }));
      contentType = 'application/json';
    }
    const { endTime, duration } = timing.finish();
    metadata['end-time'] = endTime;
    metadata['duration'] = duration;
    return { data, metadata, ...(contentType ? { contentType } : {}) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  /**
   * Without params: the text protocol (several statements allowed with `multiStatements`).
   * With params: a server-side prepared statement (the binary protocol), as Go's driver does.
   * With several statements, `exec` counts the last one and `query` returns the first one's
   * rows, as Go's driver reports them.
   */
  async #run(sql: string, params: unknown[], pick: 'first' | 'last'): Promise<[unknown, unknown]> {
    const client = await this.#acquire().catch((error: unknown) => {
      throw new Error(`MySQL at ${this.#connection.address} is unavailable: ${describeError(error)}`, { cause: error });
    });
    const options = { sql, rowsAsArray: true, ...(this.#connection.statementTimeoutMs ? { timeout: this.#connection.statementTimeoutMs } : {}) };
    let broken = false;
    try {
      const [result, fields] =
        params.length === 0 || this.#connection.interpolateParams
          ? await client.query(options, params)
          : await client.execute(options, params as Parameters<PoolConnection['execute']>[1]);
      // Several statements: one entry per statement in both (null fields for a statement without rows).
      if (Array.isArray(fields) && (fields[0] === null || fields[0] === undefined || Array.isArray(fields[0]))) {
        const results = result as unknown[];
        const sets = fields as unknown[];
        const index = pick === 'first' ? 0 : results.length - 1;
        return [results[index], sets[index]];
      }
      return [result, fields];
    } catch (error) {
      broken = isConnectionFailure(error);
      if (broken) throw new Error(`MySQL at ${this.#connection.address} is unavailable: ${describeError(error)}`, { cause: error });
      throw new Error(`error executing the statement: ${describeError(error)}`, { cause: error });
    } finally {
      if (broken) client.destroy();
      else this.#release(client);
    }
  }

  /** A pooled connection that is within `connMaxLifetime`/`connMaxIdleTime`, with the DSN's session settings applied. */
  async #acquire(): Promise<PoolConnection> {
    for (;;) {
      const client = await this.#pool.getConnection();
      const state = this.#states.get(client.connection);
      const now = Date.now();
      if (state) {
        const tooOld = this.#maxLifetimeMs !== undefined && now - state.createdAt >= this.#maxLifetimeMs;
        const idleTooLong = this.#maxIdleTimeMs !== undefined && now - state.lastUsedAt >= this.#maxIdleTimeMs;
        if (!tooOld && !idleTooLong) return client;
        client.destroy();
        continue;
      }
      try {
        for (const setting of this.#connection.sessionSettings) await client.query(`SET ${setting}`);
      } catch (error) {
        client.destroy();
        throw error;
      }
      this.#states.set(client.connection, { createdAt: now, lastUsedAt: now });
      return client;
    }
  }

  #release(client: PoolConnection): void {
    const state = this.#states.get(client.connection);
    if (state) state.lastUsedAt = Date.now();
    client.release();
  }
}

function toColumnInfo(field: FieldPacket): ColumnInfo {
  return { name: field.name, table: field.table, columnType: field.columnType ?? field.type ?? 253, characterSet: field.characterSet };
}

function rowsAffected(result: unknown): number {
  const header = result as Partial<ResultSetHeader> | null;
  return typeof header?.affectedRows === 'number' ? header.affectedRows : 0;
}

function isConnectionFailure(error: unknown): boolean {
  const failure = error as { code?: unknown; fatal?: unknown } | null;
  return failure?.fatal === true || (typeof failure?.code === 'string' && connectionCodes.has(failure.code));
}

/** The server's error as Go's driver writes it (`Error 1062 (23000): Duplicate entry …`), else the client's message. */
function describeError(error: unknown): string {
  const failure = error as { errno?: unknown; sqlState?: unknown; sqlMessage?: unknown; code?: unknown } | null;
  if (typeof failure?.errno === 'number' && typeof failure.sqlMessage === 'string') {
    return `Error ${failure.errno}${typeof failure.sqlState === 'string' && failure.sqlState ? ` (${failure.sqlState})` : ''}: ${failure.sqlMessage}`;
  }
  return errorMessage(error) || String(failure?.code ?? 'connection failed');
}
