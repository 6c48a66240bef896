import { readFileSync } from 'node:fs';
import { parseDuration } from '@mecha/core';
import type { PoolConfig } from 'pg';

/** Dapr's connection fields: a connection string, and fields that override its parts. */
export interface PostgresConnectionInput {
  /** `host=… user=… password=…` (libpq/pgx keywords) or `postgres://user:pass@host:port/db?…`. */
  connectionString?: string;
  host?: string;
  hostaddr?: string;
  port?: string;
  database?: string;
  user?: string;
  password?: string;
  sslRootCert?: string;
}

export interface PostgresConnection {
  /** Connection settings for a node-postgres pool (pool sizing from the string included). */
  config: PoolConfig;
  /** `host:port`, for messages: never the user or password. */
  address: string;
}

/** Keywords that only tune pgx itself (statement caches, exec modes, failover targeting): read, not applied. */
const pgxOnly = new Set([
  'default_query_exec_mode',
  'statement_cache_capacity',
  'description_cache_capacity',
  'target_session_attrs',
  'min_read_buffer_size',
  'pool_min_conns',
  'pool_min_idle_conns',
  'pool_max_conn_lifetime_jitter',
  'pool_health_check_period',
  'service',
  'servicefile',
  'passfile',
  'krbsrvname',
  'krbspn',
  'sslsni',
  'sslnegotiation',
  'channel_binding',
  'max_protocol_version',
  'min_protocol_version',
]);

/**
 * Reads a connection string as pgx does: space-separated `keyword=value` pairs (a value may be
 * single-quoted, with backslash escapes) or a `postgres://` / `postgresql://` URL whose query
 * string carries the same keywords. `dbname` is read as `database`. Errors never quote the
 * text, which usually holds a password.
 */
export function parseConnectionString(text: string): Map<string, string> {
  const source = text.trim();
  const settings = new Map<string, string>();
  const set = (name: string, value: string) => settings.set(name === 'dbname' ? 'database' : name, value);
  if (/^postgres(ql)?:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new Error('invalid connection string: not a valid postgres:// URL');
    }
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
  let pair = 0;
  while (at < source.length) {
    while (at < source.length && /\s/.test(source[at]!)) at++;
    if (at >= source.length) break;
    pair++;
    const equals = source.indexOf('=', at);
    const name = equals < 0 ? '' : source.slice(at, equals).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`invalid connection string: item ${pair} is not keyword=value (expected for example "host=localhost user=postgres" or a postgres:// URL)`);
    }
    at = equals + 1;
    while (at < source.length && /[ \t]/.test(source[at]!)) at++;
    let value = '';
    if (source[at] === "'") {
      at++;
      for (;;) {
        if (at >= source.length) throw new Error(`invalid connection string: the quoted value of '${name}' is not closed`);
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
 * Builds pool settings from Dapr's fields the way Dapr does: the connection string first, then
 * `host`, `hostaddr`, `port`, `database`, `user`, `password` and `sslRootCert` override its
 * parts (so a password can come from a secret while the rest stays in the string). Keywords
 * PostgreSQL knows as run-time settings (`search_path`, `timezone`, …) are sent at connection,
 * as pgx sends them; the server refuses unknown ones.
 */
export function resolveConnection(input: PostgresConnectionInput): PostgresConnection {
  const settings = input.connectionString?.trim() ? parseConnectionString(input.connectionString) : new Map<string, string>();
  const overrides = {
    host: input.host,
    hostaddr: input.hostaddr,
    port: input.port,
    database: input.database,
    user: input.user,
    password: input.password,
    sslrootcert: input.sslRootCert,
  };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined && value !== '') settings.set(name, value);
  if (settings.size === 0) {
    throw new Error("missing connection information: set 'connectionString' (keyword=value pairs or a postgres:// URL), or 'host' with 'user', 'password' and 'database'");
  }

  // libpq takes comma-separated host lists for failover; node-postgres connects to one host.
  const host = (settings.get('hostaddr') || settings.get('host') || 'localhost').split(',')[0]!.trim();
  const portText = (settings.get('port') || '5432').split(',')[0]!.trim();
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new Error(`invalid port '${portText}': expected a number from 1 to 65535`);
  const config: PoolConfig = { host, port };
  const runtimeSettings: string[] = [];
  for (const [name, value] of settings) {
    switch (name) {
      case 'host':
      case 'hostaddr':
      case 'port':
      case 'sslmode':
      case 'sslrootcert':
      case 'sslcert':
      case 'sslkey':
      case 'sslpassword':
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
      case 'options':
        runtimeSettings.push(value);
        break;
      case 'connect_timeout': {
        const seconds = Number(value);
        if (!/^\d+$/.test(value)) throw new Error(`invalid connect_timeout '${value}' in the connection string: expected whole seconds`);
        if (seconds > 0) config.connectionTimeoutMillis = seconds * 1000;
        break;
      }
      case 'pool_max_conns': {
        const max = Number(value);
        if (!Number.isInteger(max) || max < 1) throw new Error(`invalid pool_max_conns '${value}' in the connection string: expected a whole number of at least 1`);
        config.max = max;
        break;
      }
      case 'pool_max_conn_idle_time':
        config.idleTimeoutMillis = durationSetting(name, value);
        break;
      case 'pool_max_conn_lifetime':
        config.maxLifetimeSeconds = Math.max(1, Math.round(durationSetting(name, value) / 1000));
        break;
      default:
        if (!pgxOnly.has(name)) runtimeSettings.push(`-c ${name}=${value.replace(/[\\\s]/g, '\\$&')}`);
    }
  }
  if (runtimeSettings.length > 0) config.options = runtimeSettings.join(' ');
  config.ssl = tlsSettings(settings);
  return { config, address: `${host.includes(':') ? `[${host}]` : host}:${port}` };
}

function durationSetting(name: string, value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new Error(`invalid ${name} '${value}' in the connection string: expected a duration such as 30m`);
  }
}

/**
 * libpq's `sslmode` for node-postgres. `allow` and `prefer` would need a fallback between TLS
 * and plain text that node-postgres does not do: they connect in plain text (what they do
 * against a server without TLS). A root certificate without a mode means `verify-full`.
 */
function tlsSettings(settings: Map<string, string>): PoolConfig['ssl'] {
  const mode = settings.get('sslmode') ?? (settings.has('sslrootcert') ? 'verify-full' : 'prefer');
  const read = (name: string) => {
    const path = settings.get(name);
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${name} '${path}': ${(error as Error).message}`, { cause: error });
    }
  };
  const material = Object.fromEntries(
    Object.entries({ ca: read('sslrootcert'), cert: read('sslcert'), key: read('sslkey'), passphrase: settings.get('sslpassword') }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      // As libpq: with a root certificate, `require` checks the chain like `verify-ca`.
      return material['ca'] ? { ...material, checkServerIdentity: () => undefined } : { ...material, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...material, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...material };
    default:
      throw new Error(`invalid sslmode '${mode}': expected disable, allow, prefer, require, verify-ca or verify-full`);
  }
}
