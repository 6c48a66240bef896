import type pg from 'pg';

/** daprd's `state.postgresql` v1 records two migrations (table, then `expiredate`) under this key. */
const migrationsKey = 'migrations';
const schemaVersion = 2;

/**
 * Creates the metadata and state tables when absent, in daprd's v1 layout, and records the
 * schema version where daprd looks for it. Several processes (Mecha or daprd) may start at
 * once: like daprd, they serialise on a row lock of the metadata table's `lock` row.
 */
export async function migrate(client: pg.PoolClient, table: string, metadataTable: string): Promise<void> {
  await createIfAbsent(client, `CREATE TABLE IF NOT EXISTS ${metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
  await client.query(`INSERT INTO ${metadataTable} (key, value) VALUES ('lock', 'lock') ON CONFLICT (key) DO NOTHING`);
  await client.query('BEGIN');
  try {
    await client.query(`SELECT value FROM ${metadataTable} WHERE key = 'lock' FOR UPDATE`);
    const { rows } = await client.query<{ value: string }>(`SELECT value FROM ${metadataTable} WHERE key = $1`, [migrationsKey]);
    const version = rows[0] ? Number(rows[0].value) : 0;
    // Both statements are idempotent, so they also repair a table dropped behind our back.
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      key text NOT NULL PRIMARY KEY,
      value jsonb NOT NULL,
      isbinary boolean NOT NULL,
      insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
      updatedate TIMESTAMP WITH TIME ZONE NULL
    )`);
    // ALTER TABLE locks the table even when it changes nothing, so look first.
    const column = await client.query(`SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'expiredate' AND NOT attisdropped`, [table]);
    if (column.rowCount === 0) await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS expiredate TIMESTAMP WITH TIME ZONE`);
    if (!(version >= schemaVersion)) {
      await client.query(`INSERT INTO ${metadataTable} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`, [
        migrationsKey,
        String(schemaVersion),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** `CREATE TABLE IF NOT EXISTS` racing another creator can still fail on pg_type's unique index; retry then. */
async function createIfAbsent(client: pg.PoolClient, statement: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(statement);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '23505' || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
