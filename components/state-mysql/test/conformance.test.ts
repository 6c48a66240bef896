import { afterAll, beforeAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { adminConnection, dropTables, mysqlDsn, uniqueTable } from './fixtures/mysql-server.ts';

const table = uniqueTable('conformance');
const metadataTable = uniqueTable('conformance_meta');

// Fails (not skips) with the command that starts the server when it is down; creates the test database.
beforeAll(async () => (await adminConnection()).end());
afterAll(() => dropTables(table, metadataTable));

runStateConformance({
  name: 'mysql (MariaDB)',
  definition,
  metadata: { connectionString: mysqlDsn, tableName: table, metadataTableName: metadataTable, cleanupInterval: '1s', timeoutInSeconds: '5' },
});
