export { definition } from './definition.ts';
export { mysqlMetadata } from './mysql-metadata.ts';
export { MysqlBinding, type MysqlBindingOptions } from './mysql-binding.ts';
export { parseGoDsn, type GoDsn } from './go-dsn.ts';
export { rowsToJson, type ColumnInfo, type RowJsonOptions } from './row-json.ts';
