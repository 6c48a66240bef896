import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `state.postgresql` v1 (components-contrib `state/postgresql/v1/metadata.yaml`). */
export const postgresMetadata = defineMetadata({
  connectionString: {
    type: 'string',
    sensitive: true,
    description:
      'The database to connect to: `keyword=value` pairs as pgx/libpq take them (`host`, `port`, `user`, `password`, `database`/`dbname`, `sslmode`, `sslrootcert`, `connect_timeout`, `application_name`, `search_path`, `pool_max_conns`) or a `postgres://` URL. Required unless `host` is set.',
    example: 'host=localhost user=postgres password=example port=5432 connect_timeout=10 database=dapr_test',
  },
  host: { type: 'string', description: 'Server host name, used when there is no `connectionString`.', example: 'localhost' },
  hostaddr: { type: 'string', description: 'Server IP address; wins over `host` for connecting.', example: '127.0.0.1' },
  port: { type: 'string', description: 'Server port. Default `5432`.', example: '5432' },
  database: { type: 'string', description: 'Database name.', example: 'postgres' },
  user: { type: 'string', description: 'User name.', example: 'postgres' },
  password: { type: 'string', sensitive: true, description: 'Password.', example: 'password' },
  sslRootCert: { type: 'string', description: 'Path to the CA certificate that signs the server certificate; turns on TLS with verification.', example: '/path/to/ca.pem' },
  timeout: {
    type: 'duration',
    description:
      'Limit for every database call: getting a connection and running a statement. A call to a server that is down or hanging fails after at most this long. Default `20s`.',
    example: '30s',
  },
  tableName: {
    type: 'string',
    default: 'state',
    description: 'Table holding the state, optionally with its schema (`public.state`); created when absent.',
    example: 'public.state',
  },
  metadataTableName: {
    type: 'string',
    default: 'dapr_metadata',
    description: 'Table holding the schema version and the last cleanup time, optionally with its schema; created when absent.',
    example: 'public.dapr_metadata',
  },
  cleanupInterval: {
    type: 'duration',
    description:
      'How often rows whose TTL has passed are deleted (they are invisible from the moment they expire). `0` or less disables the cleanup. Default `1h`.',
    example: '10m',
  },
  maxConns: {
    type: 'number',
    default: 0,
    description: 'Most connections the pool opens. `0` or less: the greater of 4 and the number of CPUs.',
    example: '4',
  },
  connectionMaxIdleTime: {
    type: 'duration',
    description: 'How long an unused pooled connection stays open. Default `5m`.',
    example: '5m',
  },
  queryExecMode: {
    type: 'string',
    description:
      'Accepted for compatibility (`cache_statement`, `cache_describe`, `describe_exec`, `exec`, `simple_protocol`): node-postgres always sends unnamed statements, which also work through PgBouncer.',
    example: 'exec',
  },
});
