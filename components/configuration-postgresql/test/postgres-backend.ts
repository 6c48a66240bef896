import { randomBytes } from 'node:crypto';
import type { ConfigurationBackend } from '@mecha/configuration/conformance';
import pg from 'pg';
import { configurationTableSql } from '../src/configuration-table-sql.ts';

export const connectionString =
  process.env['MECHA_TEST_POSTGRES'] || 'host=127.0.0.1 port=5432 user=postgres password=postgres database=postgres connect_timeout=10';

/** A table of Dapr's schema with its trigger, unique to one test run, and direct writes to it. */
export class PostgresTestTable implements ConfigurationBackend {
  readonly table = `mecha_config_${randomBytes(6).toString('hex')}`;
  readonly channel = `${this.table}_changes`;
  readonly client: pg.Client;

  constructor() {
    const settings = Object.fromEntries(connectionString.split(/\s+/).map((pair) => pair.split('=') as [string, string]));
    this.client = new pg.Client({ host: settings['host'], port: Number(settings['port']), user: settings['user'], password: settings['password'], database: settings['database'] });
  }

  async create(): Promise<void> {
    await this.client.connect().catch((error: Error) => {
      throw new Error(`PostgreSQL is not reachable (${error.message}): start it with bash tooling/services/up.sh postgresql`);
    });
    for (const statement of configurationTableSql(this.table, this.channel)) await this.client.query(statement);
  }

  async drop(): Promise<void> {
    await this.client.query(`DROP TABLE IF EXISTS "${this.table}"`);
    await this.client.query(`DROP FUNCTION IF EXISTS "${this.table}_notify"()`);
    await this.client.end();
  }

  async set(items: Record<string, { value: string; version: string; metadata?: Record<string, string> }>): Promise<void> {
    for (const [key, item] of Object.entries(items)) {
      const metadata = item.metadata ? JSON.stringify(item.metadata) : null;
      const updated = await this.client.query(`UPDATE "${this.table}" SET value = $2, version = $3, metadata = $4 WHERE key = $1`, [key, item.value, item.version, metadata]);
      if (updated.rowCount === 0) {
        await this.client.query(`INSERT INTO "${this.table}" (key, value, version, metadata) VALUES ($1, $2, $3, $4)`, [key, item.value, item.version, metadata]);
      }
    }
  }

  async delete(keys: string[]): Promise<void> {
    await this.client.query(`DELETE FROM "${this.table}" WHERE key = ANY($1::text[])`, [keys]);
  }
}
