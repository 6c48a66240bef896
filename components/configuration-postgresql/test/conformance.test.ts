import { runConfigurationConformance } from '@mecha/configuration/conformance';
import { afterAll, beforeAll } from 'vitest';
import { definition } from '../src/definition.ts';
import { PostgresTestTable, connectionString } from './postgres-backend.ts';

const table = new PostgresTestTable();

beforeAll(() => table.create());
afterAll(() => table.drop());

runConfigurationConformance({
  name: 'postgresql (channel in subscribe metadata, as in Dapr docs)',
  definition,
  metadata: { connectionString, table: table.table },
  subscribeMetadata: { pgNotifyChannel: table.channel },
  backend: table,
  itemMetadata: true,
});

runConfigurationConformance({
  name: 'postgresql (notifyChannel in component metadata)',
  definition,
  metadata: { connectionString, table: table.table, notifyChannel: table.channel },
  backend: table,
  itemMetadata: true,
});
