const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Bytes as stored: a Uint8Array is kept raw; anything else is stored as its JSON text, as
 * daprd stores a value posted over HTTP (the string "abc" is stored as `"abc"`).
 * `undefined` is stored as JSON `null`, since JSON has no undefined.
 */
export function encodeStateValue(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return encoder.encode(JSON.stringify(value) ?? 'null');
}

/** Parses stored bytes written as JSON (by `save` or by any Dapr client). */
export function decodeStateJson<T = unknown>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

/** Stored bytes as UTF-8 text. */
export function decodeStateText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
