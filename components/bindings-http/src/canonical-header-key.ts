const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A header name the way Go's net/http spells response headers (`content-type` →
 * `Content-Type`), which is how Dapr's HTTP binding names them in its response metadata.
 * A name that is not a valid token is left as it is, as Go does.
 */
export function canonicalHeaderKey(name: string): string {
  if (!token.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}
