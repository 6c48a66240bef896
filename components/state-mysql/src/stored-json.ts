/**
 * How a value sits in Dapr's `value JSON` column. Bytes that are JSON go in as JSON
 * (`isbinary = 0`); anything else goes in as a base64 JSON string with `isbinary = 1`,
 * exactly as daprd stores a binary value.
 */
export interface StoredJson {
  json: string;
  isBinary: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** MySQL 8's JSON type refuses lone surrogate escapes that JSON.parse accepts; such text goes in as binary. */
const refusedByMysql = /\\ud[89a-f][0-9a-f]{2}/i;

export function toStoredJson(value: Uint8Array): StoredJson {
  let text: string | undefined;
  try {
    text = strictUtf8.decode(value);
    JSON.parse(text);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !refusedByMysql.test(text)) return { json: text, isBinary: false };
  return { json: JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')), isBinary: true };
}

/** The bytes of a stored value: the JSON text as stored, or the decoded base64 of a binary row. */
export function fromStoredJson(json: string, isBinary: boolean): Uint8Array {
  if (!isBinary) return encoder.encode(json);
  const base64 = JSON.parse(json) as unknown;
  if (typeof base64 !== 'string') throw new Error('a binary row does not hold a base64 JSON string');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
