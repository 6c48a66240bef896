/** `common.v1.HTTPExtension.Verb`: the HTTP verbs the internal protocol can carry (besides NONE). */
const wireVerbs = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The enum name for a verb; like daprd, a verb the enum does not know travels as POST, and no verb as NONE. */
export function verbToWire(httpVerb: string): string {
  const upper = httpVerb.toUpperCase();
  if (upper === '' || upper === 'NONE') return 'NONE';
  return wireVerbs.has(upper) ? upper : 'POST';
}

/** The verb of a received call, `NONE` when the caller (a gRPC one) set none. */
export function verbFromWire(verb: string | null | undefined): string {
  const name = typeof verb === 'string' ? verb.toUpperCase() : 'NONE';
  return wireVerbs.has(name) ? name : 'NONE';
}

/**
 * Why an HTTP app cannot be called with this verb, as daprd's HTTP app channel refuses it:
 * without an HTTP extension, with NONE, or with CONNECT (which its HTTP client cannot send).
 */
export function unusableHttpVerb(extension: { verb: string } | null | undefined): string | undefined {
  if (!extension) return 'missing HTTP extension field';
  const verb = verbFromWire(extension.verb);
  if (verb === 'NONE' || verb === 'CONNECT') return 'invalid HTTP verb';
  return undefined;
}
