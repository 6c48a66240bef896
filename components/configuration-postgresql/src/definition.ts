import { defineComponent, defineMetadata } from '@mecha/core';
import type { ConfigurationFeature, ConfigurationStore } from '@mecha/configuration';

/** Field names as Dapr's `configuration.postgresql` (components-contrib `configuration/postgres/metadata.yaml`), aliases included. */
const metadata = defineMetadata({
  connectionString: {
    type: 'string',
    sensitive: true,
    description:
      'The database: `keyword=value` pairs as pgx/libpq take them (`host`, `port`, `user`, `password`, `database`/`dbname`, `sslmode`, `sslrootcert`, `connect_timeout`, `application_name`, `search_path`, `pool_max_conns`) or a `postgres://` URL. Required unless `host` is set.',
    example: 'host=localhost user=postgres password=example port=5432 connect_timeout=10 database=config',
  },
  url: { type: 'string', sensitive: true, description: 'Alias of `connectionString`.' },
  host: { type: 'string', description: 'Server host name, used when there is no `connectionString`.', example: 'localhost' },
  hostaddr: { type: 'string', description: 'Server IP address; wins over `host` for connecting.', example: '127.0.0.1' },
  port: { type: 'string', description: 'Server port. Default `5432`.', example: '5432' },
  database: { type: 'string', description: 'Database name.', example: 'config' },
  user: { type: 'string', description: 'User name.', example: 'postgres' },
  password: { type: 'string', sensitive: true, description: 'Password.' },
  sslRootCert: { type: 'string', description: 'Path to the CA certificate of the server; turns on TLS with verification.', example: '/path/to/ca.pem' },
  table: {
    type: 'string',
    required: true,
    description:
      'The configuration table, lower case (`schema.table` allowed). It must exist, with columns KEY, VALUE, VERSION (VARCHAR) and METADATA (JSON).',
    example: 'configtable',
  },
  notifyChannel: {
    type: 'string',
    description:
      "The channel the table's trigger calls `pg_notify` on. Without it, each subscribe request must carry `pgNotifyChannel` in its metadata (as in Dapr's docs).",
    example: 'config',
  },
  pgNotifyChannel: { type: 'string', description: 'Alias of `notifyChannel`.' },
  timeout: { type: 'duration', description: 'Limit for connecting and for each statement (a bare number is seconds). At least `1s`. Default `20s`.', example: '30s' },
  timeoutInSeconds: { type: 'duration', description: 'Alias of `timeout`.' },
  maxConns: { type: 'number', default: 0, description: 'Most pooled connections for reads; `0` or less: the greater of 4 and the number of CPUs. Each LISTEN channel has a connection of its own.' },
  connectionMaxIdleTime: { type: 'duration', description: 'How long an unused pooled connection stays open. Default `5m`.', example: '5m' },
  connMaxIdleTime: { type: 'duration', description: 'Deprecated alias of `connectionMaxIdleTime`.' },
  queryExecMode: {
    type: 'string',
    description: 'Accepted for compatibility: node-postgres sends unnamed statements, which also work through PgBouncer.',
    example: 'simple_protocol',
  },
  useAzureAD: { type: 'boolean', default: false, description: 'Microsoft Entra ID authentication: not supported, refused when true.' },
  useAWSIAM: { type: 'boolean', default: false, description: 'AWS IAM authentication: not supported, refused when true.' },
});

export const definition = defineComponent<ConfigurationStore, ConfigurationFeature, typeof metadata>({
  type: 'configuration.postgresql',
  version: 'v1',
  block: 'configuration',
  description: 'Configuration items in a PostgreSQL table with change subscriptions through the table trigger and LISTEN/NOTIFY.',
  metadata,
  features: [],
  async create(values, context) {
    if (values.useAzureAD) throw new Error('useAzureAD is not supported by configuration.postgresql here; put the credentials in connectionString');
    if (values.useAWSIAM) throw new Error('useAWSIAM is not supported by configuration.postgresql here; put the credentials in connectionString');
    const connectionString = values.connectionString || values.url;
    const notifyChannel = values.notifyChannel || values.pgNotifyChannel;
    const timeoutMs = values.timeout ?? values.timeoutInSeconds;
    const idleMs = values.connectionMaxIdleTime ?? values.connMaxIdleTime;
    const { PostgresConfigurationStore } = await import('./postgres-configuration-store.ts');
    return PostgresConfigurationStore.open({
      table: values.table,
      ...(connectionString ? { connectionString } : {}),
      ...(values.host ? { host: values.host } : {}),
      ...(values.hostaddr ? { hostaddr: values.hostaddr } : {}),
      ...(values.port ? { port: values.port } : {}),
      ...(values.database ? { database: values.database } : {}),
      ...(values.user ? { user: values.user } : {}),
      ...(values.password ? { password: values.password } : {}),
      ...(values.sslRootCert ? { sslRootCert: values.sslRootCert } : {}),
      ...(notifyChannel ? { notifyChannel } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      maxConns: values.maxConns,
      ...(idleMs !== undefined && idleMs > 0 ? { connectionMaxIdleTimeMs: idleMs } : {}),
      logger: context.logger,
    });
  },
});
