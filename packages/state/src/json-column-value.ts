/**
 * How SQL stores keep a value in Dapr's `value` JSON column: bytes that are JSON the column
 * accepts go in as JSON (`isbinary` false), so queries can look inside them; anything else
 * goes in as a base64 JSON string with `isbinary` true, exactly as daprd stores a binary value.
 */
export interface JsonColumnValue {
  json: string;
  isBinary: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * The column form of a value. `refused` matches JSON text that JSON.parse accepts but the
 * column type does not (for example jsonb's `\u0000`); such text is stored as binary.
 */
export function toJsonColumn(value: Uint8Array, refused?: RegExp): JsonColumnValue {
  let text: string | undefined;
  try {
    text = strictUtf8.decode(value);
    JSON.parse(text);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !refused?.test(text)) return { json: text, isBinary: false };
  return { json: JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')), isBinary: true };
}

/** The bytes of a stored value: the JSON text as the database prints it, or the decoded base64 of a binary row. */
export function fromJsonColumn(json: string, isBinary: boolean): Uint8Array {
  if (!isBinary) return encoder.encode(json);
  const base64 = JSON.parse(json) as unknown;
  if (typeof base64 !== 'string') throw new Error('a binary row does not hold a base64 JSON string');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
