import { parseDuration } from '@mecha/core';

/** A Go MySQL driver DSN, `[user[:password]@][net[(addr)]]/dbname[?param=value&…]`, taken apart. */
export interface MysqlDsn {
  user?: string;
  password?: string;
  /** `tcp` (default) or `unix`. */
  net: string;
  host: string;
  port: number;
  /** Set for `unix(/path/to/socket)`. */
  socketPath?: string;
  /** Empty when the DSN names none. */
  database: string;
  params: Map<string, string>;
}

/**
 * Parses a DSN as github.com/go-sql-driver/mysql does: the last `/` starts the database
 * name, the last `@` before it ends the credentials (the password is taken verbatim and may
 * contain `@`, `:` or `/`), and the parameters are URL-encoded.
 */
export function parseGoDsn(text: string): MysqlDsn {
  const source = text.trim();
  if (source === '') throw new Error('missing connection string');
  const slash = source.lastIndexOf('/');
  if (slash < 0) throw new Error("invalid connection string: expected the Go DSN form 'user:password@tcp(host:port)/database?param=value'");
  const head = source.slice(0, slash);
  const tail = source.slice(slash + 1);
  const question = tail.indexOf('?');
  const database = decodeURIComponent(question < 0 ? tail : tail.slice(0, question));
  const params = new Map<string, string>();
  if (question >= 0) for (const [name, value] of new URLSearchParams(tail.slice(question + 1))) params.set(name, value);

  const dsn: MysqlDsn = { net: 'tcp', host: '127.0.0.1', port: 3306, database, params };
  const at = head.lastIndexOf('@');
  const credentials = at >= 0 ? head.slice(0, at) : '';
  const address = at >= 0 ? head.slice(at + 1) : head;
  if (at >= 0) {
    const colon = credentials.indexOf(':');
    dsn.user = colon >= 0 ? credentials.slice(0, colon) : credentials;
    if (colon >= 0) dsn.password = credentials.slice(colon + 1);
  }
  if (address !== '') {
    const match = /^([A-Za-z0-9]+)(?:\((.*)\))?$/.exec(address);
    if (!match) throw new Error(`invalid address '${address}' in the connection string: expected for example tcp(host:3306)`);
    dsn.net = match[1]!;
    const target = match[2] ?? '';
    if (dsn.net === 'unix') {
      dsn.socketPath = target || '/tmp/mysql.sock';
    } else if (dsn.net === 'tcp' || dsn.net === 'tcp6' || dsn.net === 'tcp4') {
      if (target !== '') {
        const portMatch = /^(.*?)(?::(\d+))?$/.exec(target)!;
        dsn.host = portMatch[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
        if (portMatch[2] !== undefined) dsn.port = Number(portMatch[2]);
        if (dsn.port <= 0 || dsn.port > 65535) throw new Error(`invalid port in '${target}'`);
      }
    } else {
      throw new Error(`unsupported network '${dsn.net}' in the connection string (expected tcp or unix)`);
    }
  }
  return dsn;
}

/** The DSN's `timeout` (connect timeout, a Go duration) in milliseconds, when set. */
export function dsnConnectTimeout(dsn: MysqlDsn): number | undefined {
  const value = dsn.params.get('timeout');
  if (value === undefined || value === '') return undefined;
  const ms = parseDuration(value);
  if (!(ms > 0)) throw new Error(`invalid timeout '${value}' in the connection string`);
  return ms;
}
