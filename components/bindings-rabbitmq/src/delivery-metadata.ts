import type { ConsumeMessage } from 'amqplib';

/**
 * A delivery's headers as event metadata, as Dapr passes them: text values only (numbers and
 * booleans written out too), names URL-escaped so that they survive as HTTP header names.
 */
export function deliveryMetadata(message: ConsumeMessage): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.properties.headers ?? {})) {
    if (typeof value === 'string') metadata[encodeURIComponent(name)] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') metadata[encodeURIComponent(name)] = String(value);
  }
  return metadata;
}
