import { defineComponent } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { dynamodbMetadata } from './dynamodb-metadata.ts';

export const definition = defineComponent({
  type: 'state.aws.dynamodb',
  version: 'v1',
  block: 'state',
  description: 'A state store in a DynamoDB table: conditional-write ETags, TTL attribute, TransactWriteItems transactions, BatchGetItem bulk get.',
  metadata: dynamodbMetadata,
  features: ['ETAG', 'TRANSACTIONAL', 'TTL'] satisfies StateFeature[],
  create: async (metadata, context): Promise<StateStore> => {
    // The client library loads with the first component of this type, not with the runtime.
    const { DynamoDbStateStore } = await import('./dynamodb-state-store.ts');
    if (metadata.maxAttempts < 1) throw new Error('invalid value for "maxAttempts": must be at least 1');
    return new DynamoDbStateStore({
      table: metadata.table,
      region: metadata.region,
      endpoint: metadata.endpoint,
      accessKey: metadata.accessKey,
      secretKey: metadata.secretKey,
      sessionToken: metadata.sessionToken,
      ttlAttributeName: metadata.ttlAttributeName,
      partitionKey: metadata.partitionKey,
      requestTimeoutMs: metadata.requestTimeout,
      maxAttempts: metadata.maxAttempts,
      logger: context.logger,
    });
  },
});
