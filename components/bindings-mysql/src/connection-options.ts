import { readFileSync } from 'node:fs';
import { parseDuration } from '@mecha/core';
import type { PoolOptions } from 'mysql2/promise';
import type { GoDsn } from './go-dsn.ts';

/** How the binding connects, derived from the `url` DSN and `pemPath`. */
export interface MysqlConnectionOptions {
  /** Settings for a mysql2 pool (without sizing and value parsing, which the binding adds). */
  pool: PoolOptions;
  /** `host:port` or the socket path, for messages: never the user or password. */
  address: string;
  /** `SET name=value` run on each new connection: DSN parameters the driver does not know, as Go's driver does. */
  sessionSettings: string[];
  /** `interpolateParams=true`: params are escaped into the SQL text client-side instead of a prepared statement. */
  interpolateParams: boolean;
  /** `columnsWithAlias=true`: row keys are `table.column`. */
  columnsWithAlias: boolean;
  /** `readTimeout`: limit for each statement. */
  statementTimeoutMs?: number;
  /** `loc`: how DATETIME values are read (`UTC`, the default, or `Local`). */
  timeZone: 'UTC' | 'Local';
}

/** Parameters Go's driver reads itself; every other parameter is a session variable. */
const driverParams = new Set([
  'allowAllFiles',
  'allowCleartextPasswords',
  'allowFallbackToPlaintext',
  'allowNativePasswords',
  'allowOldPasswords',
  'charset',
  'checkConnLiveness',
  'clientFoundRows',
  'collation',
  'columnsWithAlias',
  'connectionAttributes',
  'interpolateParams',
  'loc',
  'timeTruncate',
  'maxAllowedPacket',
  'multiStatements',
  'parseTime',
  'readTimeout',
  'rejectReadOnly',
  'serverPubKey',
  'timeout',
  'tls',
  'writeTimeout',
]);

const booleanParam = (dsn: GoDsn, name: string): boolean => {
  const value = dsn.params.get(name);
  if (value === undefined) return false;
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new Error(`invalid DSN parameter ${name}=${value}: expected true or false`);
};

const durationParam = (dsn: GoDsn, name: string): number | undefined => {
  const value = dsn.params.get(name);
  if (value === undefined || value === '') return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new Error(`invalid DSN parameter ${name}=${value}: expected a duration such as 30s`);
  }
  return ms > 0 ? ms : undefined;
};

/**
 * Reads Go's DSN parameters into mysql2 settings. `pemPath` is the CA for `tls=custom` (Dapr's
 * convention); given without a `tls` parameter it turns TLS on with that CA. `parseTime` is
 * always on, as in Dapr. Rows affected count changed rows, as with Go's default
 * (`clientFoundRows=true` counts matched rows).
 */
export function connectionOptions(dsn: GoDsn, pemPath?: string): MysqlConnectionOptions {
  const pool: PoolOptions = { user: dsn.user, database: dsn.database || undefined };
  if (dsn.password !== undefined) pool.password = dsn.password;
  let address: string;
  if (dsn.net === 'unix') {
    pool.socketPath = dsn.address || '/tmp/mysql.sock';
    address = pool.socketPath;
  } else {
    const match = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d+))?$/.exec(dsn.address);
    if (!match) throw new Error(`invalid DSN: address '${dsn.address}' is not host:port`);
    pool.host = (match[1] ?? match[2]) || '127.0.0.1';
    pool.port = match[3] === undefined ? 3306 : Number(match[3]);
    if (pool.port < 1 || pool.port > 65535) throw new Error(`invalid DSN: port ${match[3]} is out of range`);
    address = `${pool.host.includes(':') ? `[${pool.host}]` : pool.host}:${pool.port}`;
  }
  const collation = dsn.params.get('collation') || dsn.params.get('charset')?.split(',')[0] || 'utf8mb4_general_ci';
  pool.charset = collation;
  const connectTimeout = durationParam(dsn, 'timeout');
  if (connectTimeout !== undefined) pool.connectTimeout = connectTimeout;
  pool.multipleStatements = booleanParam(dsn, 'multiStatements');
  pool.flags = booleanParam(dsn, 'clientFoundRows') ? ['FOUND_ROWS'] : ['-FOUND_ROWS'];
  const ssl = tlsOptions(dsn.params.get('tls'), pemPath);
  if (ssl) pool.ssl = ssl;
  const loc = dsn.params.get('loc') ?? 'UTC';
  if (loc !== 'UTC' && loc !== 'Local') throw new Error(`unsupported DSN parameter loc=${loc}: Mecha reads times in UTC (the default) or Local`);
  const sessionSettings = [...dsn.params]
    .filter(([name]) => !driverParams.has(name))
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`invalid DSN parameter name '${name}'`);
      return `${name}=${value}`;
    });
  const statementTimeoutMs = durationParam(dsn, 'readTimeout');
  return {
    pool,
    address,
    sessionSettings,
    interpolateParams: booleanParam(dsn, 'interpolateParams'),
    columnsWithAlias: booleanParam(dsn, 'columnsWithAlias'),
    ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    timeZone: loc,
  };
}

/**
 * Go's `tls` values: `true` (verify against the system CAs), `skip-verify` (TLS, no
 * verification), `custom` (verify against `pemPath`), `false`. `preferred` (TLS when the
 * server offers it) cannot fall back here and connects in plain text.
 */
function tlsOptions(mode: string | undefined, pemPath: string | undefined): PoolOptions['ssl'] {
  const ca = () => {
    try {
      return readFileSync(pemPath!, 'utf8');
    } catch (error) {
      throw new Error(`cannot read pemPath '${pemPath}': ${(error as Error).message}`, { cause: error });
    }
  };
  switch ((mode ?? '').toLowerCase()) {
    case '':
      return pemPath ? { ca: ca(), minVersion: 'TLSv1.2' } : undefined;
    case 'false':
    case '0':
    case 'preferred':
      return undefined;
    case 'true':
    case '1':
      return { minVersion: 'TLSv1.2' };
    case 'skip-verify':
      return { rejectUnauthorized: false };
    case 'custom':
      if (!pemPath) throw new Error("the DSN asks for tls=custom, which needs the metadata field 'pemPath' (the CA certificate)");
      return { ca: ca(), minVersion: 'TLSv1.2' };
    default:
      throw new Error(`invalid DSN parameter tls=${mode}: expected true, false, skip-verify, preferred or custom (with pemPath)`);
  }
}
