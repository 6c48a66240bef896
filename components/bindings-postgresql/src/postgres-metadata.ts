import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `bindings.postgresql` (components-contrib `bindings/postgres/metadata.yaml`). */
export const postgresMetadata = defineMetadata({
  connectionString: {
    type: 'string',
    sensitive: true,
    description:
      'The database: `keyword=value` pairs as pgx/libpq take them (`host`, `port`, `user`, `password`, `dbname`/`database`, `sslmode`, `sslrootcert`, `connect_timeout`, `application_name`, `pool_max_conns`, `pool_max_conn_idle_time`, `pool_max_conn_lifetime`; other keywords are sent as PostgreSQL settings, such as `search_path`) or a `postgres://` URL with the same keywords as query parameters. The fields below override its parts. Required unless `host` (or another connection field) is set.',
    example: 'host=localhost user=postgres password=example port=5432 connect_timeout=10 database=my_db',
  },
  url: { type: 'string', sensitive: true, description: "Older name of `connectionString`; used when `connectionString` is not set." },
  host: { type: 'string', description: 'Server host name; overrides the connection string.', example: 'localhost' },
  hostaddr: { type: 'string', description: 'Server IP address; wins over `host` for connecting.', example: '127.0.0.1' },
  port: { type: 'string', description: 'Server port; overrides the connection string. Default `5432`.', example: '5432' },
  database: { type: 'string', description: 'Database name; overrides the connection string.', example: 'postgres' },
  user: { type: 'string', description: 'User name; overrides the connection string.', example: 'postgres' },
  password: { type: 'string', sensitive: true, description: 'Password; overrides the connection string. Usually a `secretKeyRef`.', example: 'password' },
  sslRootCert: { type: 'string', description: 'Path to the CA certificate the server certificate must chain to; turns on TLS with verification unless `sslmode` says otherwise.', example: '/path/to/ca.pem' },
  timeout: {
    type: 'duration',
    description:
      'Limit for getting a connection: connecting and pinging at start, opening a pooled connection, or waiting for a free one when all are busy. At least `1s`. Statements themselves are not time-limited, as in Dapr (use a resiliency policy). Default `20s`.',
    example: '30s',
  },
  timeoutInSeconds: { type: 'duration', description: 'Older name of `timeout` (a bare number is seconds); used when `timeout` is not set.', example: '30' },
  maxConns: {
    type: 'number',
    default: 0,
    description: 'Most pooled connections. `1` or less: `pool_max_conns` from the connection string, else the greater of 4 and the number of CPUs.',
    example: '4',
  },
  connectionMaxIdleTime: { type: 'duration', description: 'How long an unused pooled connection stays open. Default `30m`.', example: '5m' },
  queryExecMode: {
    type: 'string',
    description:
      'Accepted for compatibility (`cache_statement`, `cache_describe`, `describe_exec`, `exec`, `simple_protocol`); node-postgres sends unnamed statements, which also work through PgBouncer.',
    example: 'exec',
  },
  useAzureAD: { type: 'boolean', default: false, description: 'Azure AD authentication: not supported; `true` is refused at start.' },
  useAWSIAM: { type: 'boolean', default: false, description: 'AWS IAM authentication: not supported; `true` is refused at start.' },
});
