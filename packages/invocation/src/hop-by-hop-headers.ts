/**
 * Headers that describe one HTTP connection rather than the message, so a proxy must not
 * pass them on (RFC 9110 §7.6.1), plus the ones the next hop recomputes itself.
 */
const connectionHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
]);

/** Also dropped from requests: the client sets `host` and `content-length` from the buffered body, and `expect` was already answered by the server that read the body. */
const requestOnlyHeaders = new Set(['host', 'content-length', 'expect']);

/** Names listed in a `Connection` header are hop-by-hop too. */
function listedInConnection(headers: Readonly<Record<string, string | string[] | undefined>>): Set<string> {
  const value = headers['connection'];
  const listed = new Set<string>();
  if (value === undefined) return listed;
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const name of part.split(',')) {
      const trimmed = name.trim().toLowerCase();
      if (trimmed) listed.add(trimmed);
    }
  }
  return listed;
}

/**
 * A copy of `headers` (names lower-cased) without hop-by-hop headers. For a request also
 * without `host`, `content-length` and `expect`; a response keeps its `content-length`
 * because it still describes the body (a HEAD answer has none of its own).
 */
export function withoutHopByHopHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  direction: 'request' | 'response',
): Record<string, string | string[]> {
  const listed = listedInConnection(headers);
  const out: Record<string, string | string[]> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (connectionHeaders.has(name) || listed.has(name)) continue;
    if (direction === 'request' && requestOnlyHeaders.has(name)) continue;
    out[name] = value;
  }
  return out;
}
