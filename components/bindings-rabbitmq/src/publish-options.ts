import type { Options } from 'amqplib';
import { requestTtlMs } from './request-ttl.ts';

/** Request metadata keys that set AMQP message properties (matched ignoring case, as Dapr does). */
const propertyKeys = { contentType: 'contenttype', messageId: 'messageid', correlationId: 'correlationid', type: 'type' } as const;

/**
 * The AMQP properties of one `create`: persistent delivery, every request metadata entry as a
 * header, `contentType`, `messageID`, `correlationID` and `type` as the message's own
 * properties, `ttlInSeconds` as its expiration and `priority` (0 to 255) as its priority.
 */
export function publishOptions(metadata: Readonly<Record<string, string>>, defaultContentType: string): Options.Publish {
  const property = (key: string): string | undefined =>
    Object.entries(metadata).find(([name, value]) => value !== '' && name.toLowerCase() === key)?.[1];
  const options: Options.Publish = {
    persistent: true,
    contentType: property(propertyKeys.contentType) ?? defaultContentType,
    headers: { ...metadata },
  };
  const messageId = property(propertyKeys.messageId);
  if (messageId !== undefined) options.messageId = messageId;
  const correlationId = property(propertyKeys.correlationId);
  if (correlationId !== undefined) options.correlationId = correlationId;
  const type = property(propertyKeys.type);
  if (type !== undefined) options.type = type;
  const ttl = requestTtlMs(metadata);
  if (ttl !== undefined) options.expiration = String(ttl);
  const priority = metadata['priority'];
  if (priority !== undefined && priority !== '') {
    if (!/^[+-]?\d+$/.test(priority.trim())) throw new Error(`metadata priority must be a whole number from 0 to 255 (got ${JSON.stringify(priority)})`);
    // Out-of-range values are clamped, as Dapr does.
    options.priority = Math.min(255, Math.max(0, Number(priority)));
  }
  return options;
}
