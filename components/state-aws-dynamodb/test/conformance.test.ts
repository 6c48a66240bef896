import { afterAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { createTestTable, dynamoEndpoint, requireDynamo, testCredentials } from './fixtures/dynamodb-server.ts';

await requireDynamo();
const plain = await createTestTable();
const custom = await createTestTable('ContractID');
afterAll(async () => {
  await plain.drop();
  await custom.drop();
});

runStateConformance({
  name: 'dynamodb (DynamoDB Local)',
  definition,
  metadata: { table: plain.table, endpoint: dynamoEndpoint, region: 'us-east-1', ...testCredentials, ttlAttributeName: 'expiresAt' },
});

runStateConformance({
  name: 'dynamodb, custom partitionKey',
  definition,
  metadata: { table: custom.table, endpoint: dynamoEndpoint, ...testCredentials, ttlAttributeName: 'ttl', partitionKey: 'ContractID' },
});
