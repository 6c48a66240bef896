export { definition } from './definition.ts';
export { PostgresConfigurationStore, type PostgresConfigurationStoreOptions } from './postgres-configuration-store.ts';
export { checkTableName, checkChannelName } from './identifiers.ts';
export { configurationTableSql } from './configuration-table-sql.ts';
