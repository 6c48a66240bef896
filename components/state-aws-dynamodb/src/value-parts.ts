/**
 * DynamoDB items are limited to 400 KB. A larger value is cut into parts: the first stays in the
 * item, the others go to items of their own whose keys carry the ETag of the write, so a part of
 * one version can never be taken for a part of another, and a write never overwrites the parts
 * of the version still current.
 */
export const maxInlineBytes = 350 * 1024;

export function splitValue(value: Uint8Array): Uint8Array[] {
  if (value.byteLength <= maxInlineBytes) return [value];
  const parts: Uint8Array[] = [];
  for (let at = 0; at < value.byteLength; at += maxInlineBytes) parts.push(value.subarray(at, at + maxInlineBytes));
  return parts;
}

/** The key of extra part `index` (1-based) of the version `etag` of `key`. The block never lets `||` into a user key, so these cannot collide with state keys. */
export function partKey(key: string, etag: string, index: number): string {
  return `${key}||part||${etag}||${index}`;
}

export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
