import { defineComponent } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { SqliteStateStore } from './sqlite-state-store.ts';
import { sqliteMetadata } from './sqlite-metadata.ts';

export { SqliteStateStore, type SqliteStateStoreOptions } from './sqlite-state-store.ts';
export { parseConnectionString, type SqliteTarget } from './connection-string.ts';
export { sqliteMetadata } from './sqlite-metadata.ts';

export const definition = defineComponent({
  type: 'state.sqlite',
  version: 'v1',
  block: 'state',
  description: "A state store in one SQLite file, on Node's built-in node:sqlite: ETags, TTL, transactions, native bulk.",
  metadata: sqliteMetadata,
  features: ['ETAG', 'TRANSACTIONAL', 'TTL'] satisfies StateFeature[],
  create: async (metadata, context): Promise<StateStore> => {
    if (metadata.timeout !== undefined && metadata.timeout < 1000) {
      throw new Error("invalid value for 'timeout': must be at least 1s");
    }
    return new SqliteStateStore({
      connectionString: metadata.connectionString,
      tableName: metadata.tableName,
      metadataTableName: metadata.metadataTableName,
      busyTimeoutMs: metadata.busyTimeout,
      disableWAL: metadata.disableWAL,
      cleanupIntervalMs: metadata.cleanupInterval,
      logger: context.logger,
    });
  },
});
