import { defineComponent } from '@mecha/core';
import type { Binding, BindingFeature } from '@mecha/bindings';
import { mysqlMetadata } from './mysql-metadata.ts';

export const definition = defineComponent<Binding, BindingFeature, typeof mysqlMetadata>({
  type: 'bindings.mysql',
  version: 'v1',
  block: 'bindings',
  description: 'SQL on MySQL or MariaDB as an output binding: exec (rows affected), query (rows as JSON objects), close.',
  metadata: mysqlMetadata,
  features: ['OUTPUT'],
  async create(metadata, context) {
    for (const field of ['maxIdleConns', 'maxOpenConns'] as const) {
      const value = metadata[field];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new Error(`metadata field '${field}': must be a whole number greater than 0 (got ${value})`);
    }
    for (const field of ['connMaxLifetime', 'connMaxIdleTime'] as const) {
      const value = metadata[field];
      if (value !== undefined && value < 0) throw new Error(`metadata field '${field}': must not be negative`);
    }
    // The client library loads with the first component of this type, not with the runtime.
    const { MysqlBinding } = await import('./mysql-binding.ts');
    try {
      return await MysqlBinding.open({
        url: metadata.url,
        pemPath: metadata.pemPath,
        maxIdleConns: metadata.maxIdleConns,
        maxOpenConns: metadata.maxOpenConns,
        // Zero means no limit, as in Go's database/sql.
        connMaxLifetimeMs: metadata.connMaxLifetime || undefined,
        connMaxIdleTimeMs: metadata.connMaxIdleTime || undefined,
        logger: context.logger,
      });
    } catch (error) {
      // DSN and TLS problems are problems of the `url` (or `pemPath`) field: say so.
      const message = (error as Error).message;
      if (/^(invalid DSN|unsupported DSN|the DSN)/.test(message)) throw new Error(`metadata field 'url': ${message}`, { cause: error });
      if (message.startsWith('cannot read pemPath')) throw new Error(`metadata field 'pemPath': ${message}`, { cause: error });
      throw error;
    }
  },
});
