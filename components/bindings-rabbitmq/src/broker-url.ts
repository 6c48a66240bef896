/** The component's `host`, checked, with a form safe to show in messages and logs. */
export interface BrokerUrl {
  url: string;
  tls: boolean;
  /** The URL without its password. */
  display: string;
}

export function parseBrokerUrl(host: string): BrokerUrl {
  let parsed: URL;
  try {
    parsed = new URL(host.trim());
  } catch {
    throw new Error('metadata field "host" is not a URL (expected for example amqp://guest:guest@localhost:5672)');
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'amqp' && scheme !== 'amqps') {
    throw new Error(`metadata field "host" has the scheme "${scheme}"; use amqp:// or amqps://`);
  }
  if (!parsed.hostname) throw new Error('metadata field "host" names no server');
  const shown = new URL(parsed.href);
  if (shown.password) shown.password = '***';
  return { url: host.trim(), tls: scheme === 'amqps', display: shown.href };
}
