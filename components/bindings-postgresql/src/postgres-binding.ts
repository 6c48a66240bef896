import { cpus } from 'node:os';
import pg from 'pg';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { Binding, BindingRequest, BindingResponse } from '@mecha/bindings';
import { resolveConnection, type PostgresConnectionInput } from './connection-settings.ts';
import { startTiming } from './invocation-timing.ts';
import { rowsToJson } from './row-json.ts';
import { readSqlRequest } from './sql-request.ts';

export interface PostgresBindingOptions extends PostgresConnectionInput {
  /** Limit for getting a connection (at start, opening a pooled one, waiting for a free one). Default 20 000 ms. */
  timeoutMs?: number;
  /** Most pooled connections; 1 or less: the greater of 4 and the number of CPUs (pgx's default). */
  maxConns?: number;
  /** How long an unused pooled connection stays open. Default 30 minutes (pgx's default). */
  connectionMaxIdleTimeMs?: number;
  logger?: Logger;
}

const operations = ['exec', 'query', 'close'] as const;

/** Every column arrives as PostgreSQL's text output; `row-json.ts` encodes it by type. */
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Dapr's `bindings.postgresql` output binding: `exec` runs a statement and reports the rows it
 * affected, `query` returns rows as a JSON array of arrays, `close` closes the connection pool
 * (after which the binding refuses `exec` and `query` until it is re-created, as in Dapr).
 * Parameters from the `params` metadata bind to `$1`, `$2`, … and never become SQL text.
 */
export class PostgresBinding implements Binding {
  readonly operations: readonly string[] = operations;
  readonly #pool: pg.Pool;
  readonly #address: string;
  #closed = false;

  private constructor(pool: pg.Pool, address: string) {
    this.#pool = pool;
    this.#address = address;
  }

  /** Opens the pool and checks that the server answers; fails naming the address (never the password). */
  static async open(options: PostgresBindingOptions): Promise<PostgresBinding> {
    const { config, address } = resolveConnection(options);
    const logger = options.logger ?? silentLogger();
    const timeoutMs = options.timeoutMs ?? 20_000;
    const pool = new pg.Pool({
      ...config,
      max: options.maxConns !== undefined && options.maxConns > 1 ? options.maxConns : (config.max ?? Math.max(4, cpus().length)),
      idleTimeoutMillis: options.connectionMaxIdleTimeMs ?? config.idleTimeoutMillis ?? 30 * 60_000,
      connectionTimeoutMillis: Math.min(timeoutMs, config.connectionTimeoutMillis ?? timeoutMs),
      // Statements are not time-limited (as in Dapr); keep-alive notices a peer that vanished.
      keepAlive: true,
    });
    pool.on('error', (error) => {
      // An idle pooled connection broke; the pool replaces it, the next call reports any outage.
      logger.debug({ err: errorMessage(error) }, `idle connection to PostgreSQL at ${address} failed`);
    });
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new Error(`cannot connect to PostgreSQL at ${address}: ${errorMessage(error)}`, { cause: error });
    }
    return new PostgresBinding(pool, address);
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    // `close` succeeds even when the binding is closed already, as in Dapr.
    if (request.operation === 'close') {
      await this.close();
      return { data: new Uint8Array(), metadata: {} };
    }
    if (!(operations as readonly string[]).includes(request.operation)) {
      throw new Error(`unsupported operation '${request.operation}': bindings.postgresql supports exec, query and close`);
    }
    if (this.#closed) throw new Error('the binding is closed (by a close operation or shutdown)');
    const { sql, params } = readSqlRequest(request.metadata);
    const timing = startTiming();
    const metadata: Record<string, string> = { operation: request.operation, sql, 'start-time': timing.startTime };
    let data = new Uint8Array();
    let contentType: string | undefined;
    if (request.operation === 'exec') {
      const result = await this.#run(() => this.#pool.query({ text: sql, values: params, types: rawText }), 'last');
      metadata['rows-affected'] = String(result.rowCount ?? 0);
    } else {
      const result = await this.#run(() => this.#pool.query({ text: sql, values: params, rowMode: 'array', types: rawText }), 'first');
      data = Buffer.from(rowsToJson(result.fields.map((field) => field.dataTypeID), result.rows as (string | null)[][]));
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

  /** Runs a statement; with several statements in one text (no params), `exec` counts the last and `query` returns the first. */
  async #run(statement: () => Promise<pg.QueryResult | pg.QueryResult[]>, pick: 'first' | 'last'): Promise<pg.QueryResult> {
    let result: pg.QueryResult | pg.QueryResult[];
    try {
      result = await statement();
    } catch (error) {
      throw new Error(describeFailure(error, this.#address), { cause: error });
    }
    if (!Array.isArray(result)) return result;
    return pick === 'first' ? result[0]! : result[result.length - 1]!;
  }
}

/**
 * A statement error as pgx writes it (`ERROR: message (SQLSTATE 23505)`, what Dapr reports),
 * with PostgreSQL's position and detail when it gives them; otherwise the server is unavailable.
 */
function describeFailure(error: unknown, address: string): string {
  if (error instanceof pg.DatabaseError && !error.code?.startsWith('57P')) {
    const position = error.position ? ` at character ${error.position}` : '';
    const detail = error.detail ? `: ${error.detail}` : '';
    return `error executing the statement: ${error.severity ?? 'ERROR'}: ${error.message}${position} (SQLSTATE ${error.code})${detail}`;
  }
  return `PostgreSQL at ${address} is unavailable: ${errorMessage(error) || String((error as { code?: unknown } | null)?.code ?? 'connection failed')}`;
}
