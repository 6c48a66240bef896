import { afterAll, beforeAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { adminClient, dropTables, postgresUrl, uniqueTable } from './fixtures/postgres-server.ts';

const table = uniqueTable('conformance');
const metadataTable = uniqueTable('conformance_meta');

// Fails (not skips) with the command that starts the server when it is down.
beforeAll(async () => (await adminClient()).end());
afterAll(() => dropTables(table, metadataTable));

runStateConformance({
  name: 'postgresql',
  definition,
  metadata: { connectionString: postgresUrl, tableName: table, metadataTableName: metadataTable, cleanupInterval: '1s', timeout: '5s' },
  invalidEtag: 'not-a-row-version',
});
