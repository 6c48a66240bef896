import { readFileSync } from 'node:fs';
import type { PoolConfig } from 'pg';

/** What the component needs to open connections, whichever way the user wrote them. */
export interface PostgresConnectionInput {
  /** `host=… user=… password=… port=… database=…` (libpq/pgx keywords) or `postgres://user:pass@host:port/db?…`. */
  connectionString?: string;
  host?: string;
  hostaddr?: string;
  port?: string | number;
  database?: string;
  user?: string;
  password?: string;
  sslRootCert?: string;
}

export interface PostgresConnection {
  config: PoolConfig;
  /** `host:port`, for error messages. */
  address: string;
  /** Keywords that were understood but have no node-postgres equivalent. */
  ignored: string[];
}

/** Keywords spelled differently by libpq and pgx; the value on the right is what we look up. */
const aliases: Record<string, string> = { dbname: 'database' };

/** Keywords pgx accepts that only tune its own pool or protocol: accepted, not applied. */
const pgxOnly = new Set([
  'pool_max_conn_lifetime',
  'pool_max_conn_lifetime_jitter',
  'pool_max_conn_idle_time',
  'pool_health_check_period',
  'pool_min_conns',
  'pool_min_idle_conns',
  'default_query_exec_mode',
  'statement_cache_capacity',
  'description_cache_capacity',
  'target_session_attrs',
  'servicefile',
  'service',
  'min_read_buffer_size',
]);

/**
 * Reads a connection string the way pgx does: space-separated `keyword=value` pairs (values
 * may be single-quoted, with `\'` and `\\` escapes) or a `postgres://` / `postgresql://` URL
 * whose query holds the same keywords. Returns lower-cased keywords.
 */
export function parseConnectionString(text: string): Map<string, string> {
  const source = text.trim();
  const settings = new Map<string, string>();
  const set = (name: string, value: string) => settings.set(aliases[name.toLowerCase()] ?? name.toLowerCase(), value);
  if (/^postgres(ql)?:\/\//i.test(source)) {
    const url = new URL(source);
    if (url.username) set('user', decodeURIComponent(url.username));
    if (url.password) set('password', decodeURIComponent(url.password));
    if (url.hostname) set('host', decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'));
    if (url.port) set('port', url.port);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (database) set('database', database);
    for (const [name, value] of url.searchParams) set(name, value);
    return settings;
  }
  let at = 0;
  while (at < source.length) {
    while (at < source.length && /\s/.test(source[at]!)) at++;
    if (at >= source.length) break;
    const equals = source.indexOf('=', at);
    if (equals < 0) throw new Error(`invalid connection string near '${source.slice(at)}': expected keyword=value`);
    const name = source.slice(at, equals).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid keyword '${name}' in the connection string`);
    at = equals + 1;
    while (at < source.length && /[ \t]/.test(source[at]!)) at++;
    let value = '';
    if (source[at] === "'") {
      at++;
      for (;;) {
        if (at >= source.length) throw new Error(`unterminated quoted value for '${name}' in the connection string`);
        const char = source[at++]!;
        if (char === "'") break;
        value += char === '\\' && at < source.length ? source[at++]! : char;
      }
    } else {
      while (at < source.length && !/\s/.test(source[at]!)) {
        const char = source[at++]!;
        value += char === '\\' && at < source.length ? source[at++]! : char;
      }
    }
    set(name, value);
  }
  return settings;
}

/**
 * Turns Dapr's connection metadata into node-postgres pool settings. The connection string
 * wins; without one, `host`, `hostaddr`, `port`, `database`, `user` and `password` build it.
 */
export function connectionFromInput(input: PostgresConnectionInput): PostgresConnection {
  let settings: Map<string, string>;
  if (input.connectionString !== undefined && input.connectionString.trim() !== '') {
    settings = parseConnectionString(input.connectionString);
  } else if (input.host || input.hostaddr) {
    settings = new Map();
    const fields = { host: input.host, hostaddr: input.hostaddr, port: input.port, database: input.database, user: input.user, password: input.password };
    for (const [name, value] of Object.entries(fields)) if (value !== undefined && value !== '') settings.set(name, String(value));
  } else {
    throw new Error("missing connection information: set 'connectionString', or 'host' (with 'user', 'password', 'port', 'database')");
  }
  if (input.sslRootCert && !settings.has('sslrootcert')) settings.set('sslrootcert', input.sslRootCert);

  const config: PoolConfig = {};
  const ignored: string[] = [];
  // libpq allows a comma-separated host list for fail-over; node-postgres connects to one host.
  const host = (settings.get('hostaddr') || settings.get('host') || 'localhost').split(',')[0]!.trim();
  const portText = (settings.get('port') ?? '5432').split(',')[0]!.trim();
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid port '${portText}' in the connection settings`);
  config.host = host;
  config.port = port;
  const runtimeOptions: string[] = [];
  for (const [name, value] of settings) {
    switch (name) {
      case 'host':
      case 'hostaddr':
      case 'port':
        break;
      case 'user':
        config.user = value;
        break;
      case 'password':
        config.password = value;
        break;
      case 'database':
        config.database = value;
        break;
      case 'application_name':
        config.application_name = value;
        break;
      case 'connect_timeout': {
        const seconds = Number(value);
        if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`invalid connect_timeout '${value}' in the connection string`);
        if (seconds > 0) config.connectionTimeoutMillis = seconds * 1000;
        break;
      }
      case 'pool_max_conns': {
        const max = Number(value);
        if (!Number.isInteger(max) || max < 1) throw new Error(`invalid pool_max_conns '${value}' in the connection string`);
        config.max = max;
        break;
      }
      case 'search_path':
        runtimeOptions.push(`-c search_path=${value.replace(/[\\ ]/g, '\\$&')}`);
        break;
      case 'options':
        runtimeOptions.push(value);
        break;
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
  if (runtimeOptions.length > 0) config.options = runtimeOptions.join(' ');
  config.ssl = sslFromSettings(settings);
  return { config, address: `${host}:${port}`, ignored };
}

/**
 * libpq's `sslmode` in node-postgres terms. `allow` and `prefer` cannot fall back between TLS
 * and plain text here, so they connect in plain text (as they do against a server without TLS).
 */
function sslFromSettings(settings: Map<string, string>): PoolConfig['ssl'] {
  const mode = settings.get('sslmode') ?? (settings.has('sslrootcert') ? 'verify-full' : 'prefer');
  const read = (name: string) => {
    const path = settings.get(name);
    return path ? readFileSync(path, 'utf8') : undefined;
  };
  const files = { ca: read('sslrootcert'), cert: read('sslcert'), key: read('sslkey'), passphrase: settings.get('sslpassword') };
  const present = Object.fromEntries(Object.entries(files).filter(([, value]) => value !== undefined));
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      // libpq: with a root certificate, `require` verifies the chain like `verify-ca`.
      return files.ca ? { ...present, checkServerIdentity: () => undefined } : { ...present, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...present, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...present };
    default:
      throw new Error(`invalid sslmode '${mode}' (expected disable, allow, prefer, require, verify-ca or verify-full)`);
  }
}
