import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';

/** Dapr's ways of naming the database: a connection string, or separate fields. */
export interface ConnectionInput {
  /** `host=… user=… password=… port=… database=…` (libpq/pgx keywords) or a `postgres://` URL. */
  connectionString?: string;
  host?: string;
  hostaddr?: string;
  port?: string;
  database?: string;
  user?: string;
  password?: string;
  sslRootCert?: string;
}

export interface ConnectionSettings {
  config: ClientConfig;
  /** `host:port`, for messages. */
  address: string;
  /** Keywords understood by pgx that node-postgres has no use for. */
  ignored: string[];
  /** `pool_max_conns` from the connection string, when given. */
  poolMaxConns?: number;
}

/** Reads `keyword=value` pairs (values may be single-quoted, `\` escapes) into lower-case keywords. */
function keywordPairs(source: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const pattern = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'((?:\\.|[^'\\])*)'|((?:\\.|[^\s\\])*))/y;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(source);
    if (!match) throw new Error(`invalid connection string near ${JSON.stringify(source.slice(at, at + 20))}: expected keyword=value`);
    const value = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
    pairs.set(match[1]!.toLowerCase(), value);
    at = pattern.lastIndex;
  }
  return pairs;
}

/** Reads a `postgres://user:pass@host:port/db?keyword=value` URL into the same keywords. */
function urlPairs(source: string): Map<string, string> {
  const url = new URL(source);
  const pairs = new Map<string, string>();
  if (url.username) pairs.set('user', decodeURIComponent(url.username));
  if (url.password) pairs.set('password', decodeURIComponent(url.password));
  if (url.hostname) pairs.set('host', decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'));
  if (url.port) pairs.set('port', url.port);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database) pairs.set('database', database);
  for (const [name, value] of url.searchParams) pairs.set(name.toLowerCase(), value);
  return pairs;
}

/** Keywords that tune pgx's own pool or protocol: accepted and not applied. */
const pgxOnly = new Set([
  'pool_min_conns',
  'pool_max_conn_lifetime',
  'pool_max_conn_lifetime_jitter',
  'pool_max_conn_idle_time',
  'pool_health_check_period',
  'default_query_exec_mode',
  'statement_cache_capacity',
  'description_cache_capacity',
  'target_session_attrs',
]);

/**
 * Turns Dapr's connection metadata into node-postgres settings. The connection string wins;
 * without one, `host`/`hostaddr`, `port`, `database`, `user` and `password` build it.
 */
export function connectionSettings(input: ConnectionInput): ConnectionSettings {
  const text = input.connectionString?.trim() ?? '';
  let pairs: Map<string, string>;
  if (text !== '') {
    pairs = /^postgres(ql)?:\/\//i.test(text) ? urlPairs(text) : keywordPairs(text);
  } else if (input.host || input.hostaddr) {
    pairs = new Map();
    const fields = { host: input.host, hostaddr: input.hostaddr, port: input.port, database: input.database, user: input.user, password: input.password };
    for (const [name, value] of Object.entries(fields)) if (value) pairs.set(name, value);
  } else {
    throw new Error("missing connection information: set 'connectionString', or 'host' (with 'user', 'password', 'port', 'database')");
  }
  if (input.sslRootCert && !pairs.has('sslrootcert')) pairs.set('sslrootcert', input.sslRootCert);

  // libpq accepts a comma-separated host list for fail-over; node-postgres connects to one host.
  const host = (pairs.get('hostaddr') || pairs.get('host') || 'localhost').split(',')[0]!.trim();
  const portText = (pairs.get('port') || '5432').split(',')[0]!.trim();
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid port ${JSON.stringify(portText)} in the connection settings`);
  const config: ClientConfig = { host, port };
  const ignored: string[] = [];
  let poolMaxConns: number | undefined;
  for (const [name, value] of pairs) {
    switch (name) {
      case 'user':
        config.user = value;
        break;
      case 'password':
        config.password = value;
        break;
      case 'database':
      case 'dbname':
        config.database = value;
        break;
      case 'application_name':
        config.application_name = value;
        break;
      case 'connect_timeout': {
        const seconds = Number(value);
        if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`invalid connect_timeout ${JSON.stringify(value)} in the connection string`);
        if (seconds > 0) config.connectionTimeoutMillis = seconds * 1000;
        break;
      }
      case 'pool_max_conns': {
        poolMaxConns = Number(value);
        if (!Number.isInteger(poolMaxConns) || poolMaxConns < 1) throw new Error(`invalid pool_max_conns ${JSON.stringify(value)} in the connection string`);
        break;
      }
      case 'search_path':
        config.options = `-c search_path=${value.replace(/[\\ ]/g, '\\$&')}`;
        break;
      case 'host':
      case 'hostaddr':
      case 'port':
      case 'sslmode':
      case 'sslrootcert':
      case 'sslcert':
      case 'sslkey':
      case 'sslpassword':
        break;
      default:
        if (!pgxOnly.has(name)) ignored.push(name);
    }
  }
  config.ssl = tlsSettings(pairs);
  return { config, address: `${host}:${port}`, ignored, ...(poolMaxConns !== undefined ? { poolMaxConns } : {}) };
}

/** libpq's `sslmode` in node-postgres terms; `allow` and `prefer` cannot fall back here, so they connect in plain text. */
function tlsSettings(pairs: Map<string, string>): ClientConfig['ssl'] {
  const mode = pairs.get('sslmode') ?? (pairs.has('sslrootcert') ? 'verify-full' : 'prefer');
  const file = (name: string) => {
    const path = pairs.get(name);
    return path ? readFileSync(path, 'utf8') : undefined;
  };
  const material = Object.fromEntries(
    Object.entries({ ca: file('sslrootcert'), cert: file('sslcert'), key: file('sslkey'), passphrase: pairs.get('sslpassword') }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return material['ca'] ? { ...material, checkServerIdentity: () => undefined } : { ...material, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...material, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...material };
    default:
      throw new Error(`invalid sslmode ${JSON.stringify(mode)} (expected disable, allow, prefer, require, verify-ca or verify-full)`);
  }
}
