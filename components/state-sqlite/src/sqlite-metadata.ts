import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `state.sqlite` (components-contrib `state/sqlite/metadata.yaml`). */
export const sqliteMetadata = defineMetadata({
  connectionString: {
    type: 'string',
    required: true,
    description:
      'The database: a file path, a `file:` URI (query parameters `mode=ro|rw|rwc`, `immutable=1`, `_pragma=name(value)`), or `:memory:` for a private in-memory database.',
    example: 'data.db',
  },
  tableName: {
    type: 'string',
    default: 'state',
    description: 'Table holding the state; created when absent.',
  },
  metadataTableName: {
    type: 'string',
    default: 'metadata',
    description: 'Table holding the schema version; created when absent.',
  },
  timeout: {
    type: 'duration',
    description:
      'Timeout for database requests; at least 1s. Default `20s`. Accepted for compatibility: node:sqlite runs each statement synchronously, so waiting is bounded by `busyTimeout`.',
    example: '20s',
  },
  busyTimeout: {
    type: 'duration',
    description: 'How long a statement waits for a lock held by another connection or process before failing. Default `2s`.',
    example: '2s',
  },
  disableWAL: {
    type: 'boolean',
    default: false,
    description: 'Use the rollback journal instead of WAL. Set it when the file is on a network file system, where WAL is unsafe.',
  },
  cleanupInterval: {
    type: 'duration',
    description:
      'How often rows whose TTL has passed are deleted (they are invisible from the moment they expire). `0` disables the cleanup. Default `1h` (Dapr: disabled).',
    example: '1h',
  },
});
