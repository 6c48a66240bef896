/** Where the broker is and how to log in, from the component's `url`. */
export interface BrokerAddress {
  protocol: 'mqtt' | 'mqtts';
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** The URL without its password, for messages and logs. */
  display: string;
}

// Dapr takes Paho's schemes (tcp, ssl) and the usual aliases.
const plainSchemes = new Set(['tcp', 'mqtt']);
const tlsSchemes = new Set(['ssl', 'tls', 'tcps', 'mqtts']);

/** Parses `tcp://user:password@host:port` (and the TLS schemes); throws naming `url`. */
export function parseBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error('metadata field "url" is not a URL (expected for example tcp://localhost:1883)');
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const tls = tlsSchemes.has(scheme);
  if (!tls && !plainSchemes.has(scheme)) {
    throw new Error(`metadata field "url" has the scheme "${scheme}"; use tcp:// or mqtt:// (plain), or ssl://, tls://, tcps://, mqtts:// (TLS)`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error('metadata field "url" names no host');
  const address: BrokerAddress = {
    protocol: tls ? 'mqtts' : 'mqtt',
    host,
    port: parsed.port ? Number(parsed.port) : tls ? 8883 : 1883,
    display: `${scheme}://${parsed.username ? `${decodeURIComponent(parsed.username)}${parsed.password ? ':***' : ''}@` : ''}${parsed.host}`,
  };
  if (parsed.username) address.username = decodeURIComponent(parsed.username);
  if (parsed.password) address.password = decodeURIComponent(parsed.password);
  return address;
}
