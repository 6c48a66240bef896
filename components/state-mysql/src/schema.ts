import type { Connection, RowDataPacket } from 'mysql2/promise';

/**
 * Creates the database and tables when absent, in daprd's `state.mysql` layout (`id`,
 * `value JSON`, `isbinary`, `insertDate`, `updateDate`, `eTag`, `expiredate`). One
 * difference: the `id` column of a table created here compares keys byte for byte (a
 * binary, no-pad collation), so `Order` and `order` are two keys, as in every other store.
 */
export async function ensureDatabase(connection: Connection, database: string): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [database]);
  if (rows.length === 0) await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
}

export async function ensureTables(connection: Connection, database: string, table: string, metadataTable: string): Promise<void> {
  if (!(await tableExists(connection, database, table))) {
    const collation = await keyCollation(connection);
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${table}\` (
      id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL PRIMARY KEY,
      value JSON NOT NULL,
      isbinary BOOLEAN NOT NULL,
      insertDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
      updateDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      eTag VARCHAR(36) NOT NULL,
      expiredate TIMESTAMP NULL,
      INDEX expiredate_idx(expiredate)
    )`);
  }
  // Tables daprd created before it had TTL lack the column.
  const [columns] = await connection.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name = ?',
    [database, table, 'expiredate'],
  );
  if (columns.length === 0) {
    await connection.query(`ALTER TABLE \`${table}\` ADD COLUMN expiredate TIMESTAMP NULL`);
    await connection.query(`CREATE INDEX expiredate_idx ON \`${table}\` (expiredate)`);
  }
  if (!(await tableExists(connection, database, metadataTable))) {
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${metadataTable}\` (id VARCHAR(255) NOT NULL PRIMARY KEY, value TEXT NOT NULL)`);
  }
}

async function tableExists(connection: Connection, database: string, table: string): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [database, table]);
  return rows.length > 0;
}

/** The first binary no-pad utf8mb4 collation the server has (MariaDB, then MySQL 8), else utf8mb4_bin. */
async function keyCollation(connection: Connection): Promise<string> {
  const preferred = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'];
  const [rows] = await connection.query<RowDataPacket[]>('SELECT collation_name AS name FROM information_schema.collations WHERE collation_name IN (?)', [preferred]);
  const available = new Set(rows.map((row) => String(row.name)));
  return preferred.find((name) => available.has(name)) ?? 'utf8mb4_bin';
}
