import type { BareStore } from './bare-store.ts';
import { componentClientLibrary } from './component-client-library.ts';
import { postgresDatabase, postgresPassword, postgresPoolSize, postgresUser, type DatabaseServer } from './database-servers.ts';

/** The part of node-postgres the baseline uses (the library is loaded from state.postgresql's folder, untyped here). */
interface PgPool {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  on(event: 'error', listener: (error: Error) => void): void;
  end(): Promise<void>;
}
type PgPoolConstructor = new (config: Record<string, unknown>) => PgPool;

export class BarePostgres implements BareStore {
  readonly #pool: PgPool;
  readonly #table: string;
  readonly #sql: { get: string; set: string };

  private constructor(pool: PgPool, table: string) {
    this.#pool = pool;
    this.#table = table;
    // The statements state.postgresql runs for a plain get and save, on a table of its layout.
    this.#sql = {
      get: `SELECT key, value::text AS value, isbinary, xmin::text AS etag, expiredate FROM ${table} WHERE key = $1 AND (expiredate IS NULL OR expiredate > now())`,
      set: `INSERT INTO ${table} AS t (key, value, isbinary, expiredate) VALUES ($1, $2::jsonb, false, NULL)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary, updatedate = now(), expiredate = excluded.expiredate`,
    };
  }

  /** A pool of the size mechad's component uses, on a table of its own named `table` (created here, dropped by cleanUp). */
  static async open(server: DatabaseServer, table: string): Promise<BarePostgres> {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`invalid table name ${table}`);
    const { Pool } = componentClientLibrary('state-postgresql', 'pg') as { Pool: PgPoolConstructor };
    const pool = new Pool({
      host: server.host,
      port: server.port,
      user: postgresUser,
      password: postgresPassword,
      database: postgresDatabase,
      max: postgresPoolSize,
      idleTimeoutMillis: 300_000,
      keepAlive: true,
    });
    pool.on('error', () => {});
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
        key text NOT NULL PRIMARY KEY,
        value jsonb NOT NULL,
        isbinary boolean NOT NULL,
        insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
        updatedate TIMESTAMP WITH TIME ZONE NULL,
        expiredate TIMESTAMP WITH TIME ZONE NULL
      )`);
    } catch (error) {
      await pool.end().catch(() => {});
      throw new Error(`pg could not reach PostgreSQL at ${server.host}:${server.port}: ${(error as Error).message}`, { cause: error });
    }
    return new BarePostgres(pool, table);
  }

  async get(key: string): Promise<{ value: Buffer; etag: string } | undefined> {
    const { rows } = await this.#pool.query<{ value: string; etag: string }>(this.#sql.get, [key]);
    const row = rows[0];
    return row ? { value: Buffer.from(row.value), etag: row.etag } : undefined;
  }

  async set(key: string, valueJson: string): Promise<void> {
    await this.#pool.query(this.#sql.set, [key, valueJson]);
  }

  /** Every PostgreSQL process of the server: the backends serving the pools and the background workers. */
  async serverPids(): Promise<number[]> {
    const { rows } = await this.#pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
    return rows.map((row) => row.pid);
  }

  async cleanUp(): Promise<void> {
    await this.#pool.query(`DROP TABLE IF EXISTS ${this.#table}`);
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => {});
  }
}
