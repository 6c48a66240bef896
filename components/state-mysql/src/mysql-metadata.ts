import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `state.mysql` (components-contrib `state/mysql/metadata.yaml`). */
export const mysqlMetadata = defineMetadata({
  connectionString: {
    type: 'string',
    required: true,
    sensitive: true,
    description:
      "The server, in the Go driver's DSN form `user:password@tcp(host:port)/?param=value`. Understood parameters: `timeout` (connect timeout), `tls` (`true`, `skip-verify`, `custom` with `pemPath`, `false`), `charset`, `collation`; others are ignored. A database named here is used when `schemaName` is not set.",
    example: 'root:secret@tcp(localhost:3306)/?allowNativePasswords=true',
  },
  schemaName: {
    type: 'string',
    description: 'The database (schema) holding the tables; created when absent. Default: the database of the connection string, else `dapr_state_store`.',
    example: 'custom_schema',
  },
  tableName: {
    type: 'string',
    default: 'state',
    description: 'Table holding the state; created when absent.',
  },
  metadataTableName: {
    type: 'string',
    default: 'dapr_metadata',
    description: 'Table holding the time of the last TTL cleanup; created when absent.',
  },
  timeoutInSeconds: {
    type: 'number',
    default: 20,
    description: 'Limit in seconds for every database call: connecting, getting a pooled connection, running a statement. A call to a server that is down or hanging fails after at most this long.',
    example: '30',
  },
  pemPath: {
    type: 'string',
    description: 'Path to the CA certificate (PEM) the server certificate must chain to; turns on TLS (Dapr: together with `tls=custom` in the connection string).',
    example: '/path/to/file.pem',
  },
  cleanupInterval: {
    type: 'duration',
    description:
      'How often rows whose TTL has passed are deleted (they are invisible from the moment they expire). `0` or less disables the cleanup. Default `1h`.',
    example: '20m',
  },
  cleanupIntervalInSeconds: {
    type: 'number',
    description: 'Older name of `cleanupInterval`, in seconds; used when `cleanupInterval` is absent.',
    example: '3600',
  },
});
