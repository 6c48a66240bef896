/** The request metadata name carrying a per-item time to live. */
export const ttlMetadataKey = 'ttlInSeconds';

const maxTtlSeconds = 2 ** 31 - 1;

/**
 * Reads `ttlInSeconds` from request metadata the way Dapr's components do: absent or empty
 * means no TTL; otherwise a base-10 integer from -1 (never expire) to 2^31-1. Throws a
 * TypeError with Dapr's wording for anything else.
 */
export function parseTtl(metadata: Readonly<Record<string, string>> | undefined): number | undefined {
  const raw = metadata?.[ttlMetadataKey];
  if (raw === undefined || raw === '') return undefined;
  const text = String(raw).trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new TypeError(`incorrect value for metadata '${ttlMetadataKey}': '${raw}' is not an integer`);
  }
  const value = Number(text);
  if (value < -1 || value > maxTtlSeconds) {
    throw new TypeError(`incorrect value for metadata '${ttlMetadataKey}': must be -1 or greater`);
  }
  return value;
}
