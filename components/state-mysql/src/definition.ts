import { defineComponent } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { mysqlMetadata } from './mysql-metadata.ts';

export const definition = defineComponent({
  type: 'state.mysql',
  version: 'v1',
  block: 'state',
  description: "State in a MySQL or MariaDB table in daprd's layout: ETags, TTL with cleanup, transactions, native bulk.",
  metadata: mysqlMetadata,
  features: ['ETAG', 'TRANSACTIONAL', 'TTL'] satisfies StateFeature[],
  create: async (metadata, context): Promise<StateStore> => {
    // The client library loads with the first component of this type, not with the runtime.
    const { MysqlStateStore } = await import('./mysql-state-store.ts');
    if (!(metadata.timeoutInSeconds > 0)) throw new Error("invalid value for 'timeoutInSeconds': must be greater than zero");
    const cleanupIntervalMs =
      metadata.cleanupInterval ?? (metadata.cleanupIntervalInSeconds !== undefined ? metadata.cleanupIntervalInSeconds * 1000 : undefined);
    return MysqlStateStore.open({
      connectionString: metadata.connectionString,
      schemaName: metadata.schemaName,
      tableName: metadata.tableName,
      metadataTableName: metadata.metadataTableName,
      timeoutMs: metadata.timeoutInSeconds * 1000,
      pemPath: metadata.pemPath,
      cleanupIntervalMs,
      logger: context.logger,
    });
  },
});
