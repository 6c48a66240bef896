import { defineComponent } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { postgresMetadata } from './postgres-metadata.ts';

/** pgx's query execution modes, accepted for compatibility (pg has one mode). */
const queryExecModes = ['', 'cache_statement', 'cache_describe', 'describe_exec', 'exec', 'simple_protocol'];

export const definition = defineComponent({
  type: 'state.postgresql',
  version: 'v1',
  block: 'state',
  description: "State in a PostgreSQL table in daprd's v1 layout: ETags (xmin), TTL with cleanup, transactions, native bulk, queries over JSON values.",
  metadata: postgresMetadata,
  features: ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'] satisfies StateFeature[],
  create: async (metadata, context): Promise<StateStore> => {
    // The client library loads with the first component of this type, not with the runtime.
    const { PostgresStateStore } = await import('./postgres-state-store.ts');
    if (metadata.queryExecMode !== undefined && !queryExecModes.includes(metadata.queryExecMode)) {
      throw new Error(`invalid value for 'queryExecMode': '${metadata.queryExecMode}' (expected one of ${queryExecModes.slice(1).join(', ')})`);
    }
    if (metadata.timeout !== undefined && metadata.timeout <= 0) throw new Error("invalid value for 'timeout': must be greater than zero");
    return PostgresStateStore.open({
      connectionString: metadata.connectionString,
      host: metadata.host,
      hostaddr: metadata.hostaddr,
      port: metadata.port,
      database: metadata.database,
      user: metadata.user,
      password: metadata.password,
      sslRootCert: metadata.sslRootCert,
      tableName: metadata.tableName,
      metadataTableName: metadata.metadataTableName,
      timeoutMs: metadata.timeout,
      cleanupIntervalMs: metadata.cleanupInterval,
      maxConns: metadata.maxConns,
      connectionMaxIdleTimeMs: metadata.connectionMaxIdleTime,
      logger: context.logger,
    });
  },
});
