/** A DSN of Go's MySQL driver, `[user[:password]@][net[(address)]]/[database][?param=value&…]`, taken apart. */
export interface GoDsn {
  user: string;
  password?: string;
  /** `tcp` (default), `tcp4`, `tcp6` or `unix`. */
  net: string;
  /** `host:port` for TCP, the socket path for `unix`; empty for the default. */
  address: string;
  database: string;
  /** URL-decoded parameters, in order. */
  params: Map<string, string>;
}

/**
 * Splits a DSN the way github.com/go-sql-driver/mysql does: the last `/` starts the database
 * name, the last `@` before it ends the credentials (so a password may hold `@`, `:` or `/`),
 * and the parameters are URL-encoded. Errors never quote the DSN, which holds a password.
 */
export function parseGoDsn(text: string): GoDsn {
  const source = text.trim();
  const slash = source.lastIndexOf('/');
  if (slash < 0) throw new Error("invalid DSN: expected Go's form user:password@tcp(host:3306)/database?param=value (no '/' before the database name)");
  const head = source.slice(0, slash);
  const tail = source.slice(slash + 1);
  const question = tail.indexOf('?');
  const params = new Map<string, string>();
  try {
    if (question >= 0) for (const [name, value] of new URLSearchParams(tail.slice(question + 1))) params.set(name, value);
  } catch {
    throw new Error('invalid DSN: the parameters after ? are not URL-encoded name=value pairs');
  }
  const at = head.lastIndexOf('@');
  const credentials = at >= 0 ? head.slice(0, at) : '';
  const location = at >= 0 ? head.slice(at + 1) : head;
  const colon = credentials.indexOf(':');
  const dsn: GoDsn = {
    user: colon >= 0 ? credentials.slice(0, colon) : credentials,
    net: 'tcp',
    address: '',
    database: decodeURIComponent(question < 0 ? tail : tail.slice(0, question)),
    params,
  };
  if (colon >= 0) dsn.password = credentials.slice(colon + 1);
  if (location !== '') {
    const match = /^([a-z0-9]+)(?:\((.*)\))?$/i.exec(location);
    if (!match) throw new Error('invalid DSN: the part between @ and / must be a network and address such as tcp(localhost:3306)');
    dsn.net = match[1]!;
    dsn.address = match[2] ?? '';
  }
  if (!['tcp', 'tcp4', 'tcp6', 'unix'].includes(dsn.net)) throw new Error(`invalid DSN: unknown network '${dsn.net}' (expected tcp or unix)`);
  return dsn;
}
