export { MysqlStateStore, type MysqlStateStoreOptions } from './mysql-state-store.ts';
export { parseGoDsn, type MysqlDsn } from './go-dsn.ts';
export { mysqlMetadata } from './mysql-metadata.ts';
export { definition } from './definition.ts';
