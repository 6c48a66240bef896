/** Where to connect, as Dapr's metadata describes it: a URI, or its parts. */
export interface ConnectionSettings {
  connectionString?: string;
  protocol?: string;
  hostname?: string;
  username?: string;
  password?: string;
}

export interface ConnectionTarget {
  /** The AMQP URI to dial (with credentials when `connectionString` has them). */
  url: string;
  /** User and password given as separate fields; passed apart from the URI so no escaping can garble them. */
  credentials?: { username: string; password: string };
  protocol: 'amqp' | 'amqps';
  /** `amqp://host:port/vhost` without credentials, for messages and logs. */
  display: string;
}

/**
 * Builds the URI to dial. Like daprd, `connectionString` wins over the separate fields, and a
 * `protocol` given next to it must match its scheme. Throws naming the field at fault.
 */
export function connectionTarget(settings: ConnectionSettings): ConnectionTarget {
  const protocol = settings.protocol?.trim() || undefined;
  if (protocol !== undefined && protocol !== 'amqp' && protocol !== 'amqps') {
    throw new Error(`metadata field 'protocol' must be amqp or amqps (got '${protocol}')`);
  }
  const connectionString = settings.connectionString?.trim();
  if (connectionString) {
    let parsed: URL;
    try {
      parsed = new URL(connectionString);
    } catch {
      throw new Error("metadata field 'connectionString' is not a valid AMQP URI (expected amqp://user:password@host:port/vhost)");
    }
    const scheme = parsed.protocol.slice(0, -1);
    if (scheme !== 'amqp' && scheme !== 'amqps') {
      throw new Error(`metadata field 'connectionString' must use the amqp or amqps scheme (got '${scheme}')`);
    }
    if (!parsed.hostname) throw new Error("metadata field 'connectionString' has no host");
    if (protocol !== undefined && protocol !== scheme) {
      throw new Error(`metadata field 'protocol' (${protocol}) does not match the scheme of 'connectionString' (${scheme})`);
    }
    return { url: connectionString, protocol: scheme, display: displayOf(parsed) };
  }
  const scheme = protocol ?? 'amqp';
  const hostname = settings.hostname?.trim() || 'localhost';
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}://${hostname}`);
  } catch {
    throw new Error(`metadata field 'hostname' is not a valid host (got '${hostname}')`);
  }
  if (parsed.pathname !== '/' && parsed.pathname !== '') {
    throw new Error(`metadata field 'hostname' must be a host or host:port (got '${hostname}')`);
  }
  const target: ConnectionTarget = { url: parsed.toString().replace(/\/$/, ''), protocol: scheme, display: displayOf(parsed) };
  // As daprd: a password without a user name is not used (and no user name means guest).
  if (settings.username) target.credentials = { username: settings.username, password: settings.password ?? '' };
  return target;
}

function displayOf(url: URL): string {
  const scheme = url.protocol.slice(0, -1);
  const port = url.port || (scheme === 'amqps' ? '5671' : '5672');
  const vhost = url.pathname && url.pathname !== '/' ? url.pathname : '';
  return `${scheme}://${url.hostname}:${port}${vhost}`;
}

/** The URI with `heartbeat` (whole seconds) added, unless the URI sets one itself. */
export function withHeartbeat(url: string, heartbeatSeconds: number): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('heartbeat')) return url;
  return `${url}${parsed.search ? '&' : '?'}heartbeat=${heartbeatSeconds}`;
}
