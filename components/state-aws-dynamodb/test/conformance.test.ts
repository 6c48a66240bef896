import { afterAll, describe, expect, it } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { createTestTable, dynamoEndpoint, requireDynamo, testCredentials } from './fixtures/dynamodb-server.ts';
import { startTransactProxy } from './fixtures/transact-proxy.ts';

await requireDynamo();
// dynalite has no TransactWriteItems; the proxy supplies it (see the fixture).
const proxy = await startTransactProxy(dynamoEndpoint);
const plain = await createTestTable();
const custom = await createTestTable('ContractID');
afterAll(async () => {
  await proxy.close();
  await plain.drop();
  await custom.drop();
});

runStateConformance({
  name: 'dynamodb (dynalite)',
  definition,
  metadata: { table: plain.table, endpoint: proxy.endpoint, region: 'us-east-1', ...testCredentials, ttlAttributeName: 'expiresAt' },
});

runStateConformance({
  name: 'dynamodb, custom partitionKey',
  definition,
  metadata: { table: custom.table, endpoint: proxy.endpoint, ...testCredentials, ttlAttributeName: 'ttl', partitionKey: 'ContractID' },
});

describe('the transaction path', () => {
  it('went through TransactWriteItems', () => {
    // Registered last, so it runs after the suites above.
    expect(proxy.transactions()).toBeGreaterThan(0);
  });
});
