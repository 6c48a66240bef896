export { definition } from './definition.ts';
export { postgresMetadata } from './postgres-metadata.ts';
export { PostgresBinding, type PostgresBindingOptions } from './postgres-binding.ts';
export { parseConnectionString, resolveConnection, type PostgresConnectionInput, type PostgresConnection } from './connection-settings.ts';
export { rowsToJson } from './row-json.ts';
