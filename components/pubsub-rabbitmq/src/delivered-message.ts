import type { BrokerMessage } from '@mecha/pubsub';
import type { ConsumeMessage } from 'amqplib';

/**
 * The block's view of a delivered AMQP message. The topic is the subscription's (not the
 * routing key); properties and headers become `metadata.*` entries only when asked for, as
 * daprd's `publishMessagePropertiesToMetadata` does.
 */
export function deliveredMessage(topic: string, delivery: ConsumeMessage, withProperties: boolean): BrokerMessage {
  const { properties } = delivery;
  const message: BrokerMessage = { topic, data: delivery.content, metadata: {} };
  if (typeof properties.contentType === 'string' && properties.contentType) message.contentType = properties.contentType;
  if (!withProperties) return message;
  const metadata = message.metadata;
  const add = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') metadata[key] = text(value);
  };
  add('metadata.messageid', properties.messageId);
  add('metadata.correlationid', properties.correlationId);
  add('metadata.type', properties.type);
  add('metadata.contenttype', properties.contentType);
  for (const [name, value] of Object.entries(properties.headers ?? {})) add(`metadata.${name}`, value);
  return message;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object') return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return String(value);
}
