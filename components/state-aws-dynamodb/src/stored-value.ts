import type { AttributeValue } from '@aws-sdk/client-dynamodb';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/**
 * A value is stored as a string attribute, as Dapr's component does, when it is valid UTF-8
 * (JSON always is), so items stay readable in the console and by daprd; other bytes, which a
 * string would corrupt, as a binary attribute.
 */
export function encodeValue(value: Uint8Array): AttributeValue {
  try {
    return { S: strictUtf8.decode(value) };
  } catch {
    return { B: value };
  }
}

export function decodeValue(attribute: AttributeValue | undefined): Uint8Array {
  if (attribute?.S !== undefined) return utf8.encode(attribute.S);
  if (attribute?.B !== undefined) return attribute.B;
  return new Uint8Array(0);
}
