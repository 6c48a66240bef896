export { PostgresStateStore, type PostgresStateStoreOptions } from './postgres-state-store.ts';
export { parseConnectionString, connectionFromInput, type PostgresConnectionInput, type PostgresConnection } from './connection-settings.ts';
export { postgresMetadata } from './postgres-metadata.ts';
export { definition } from './definition.ts';
