export { DynamoDbStateStore, maxTransactionItems, type DynamoDbStateStoreOptions } from './dynamodb-state-store.ts';
export { dynamodbMetadata } from './dynamodb-metadata.ts';
export { definition } from './definition.ts';
