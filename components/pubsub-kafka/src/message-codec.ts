import type { BrokerMessage } from '@mecha/pubsub';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/** The header carrying `BrokerMessage.contentType`; it never appears in delivery metadata. */
export const CONTENT_TYPE_HEADER = 'content-type';

/** Publish metadata that chooses the message key (Dapr reads both) and the partition. */
const KEY_FIELDS = ['partitionKey', '__key'] as const;
const PARTITION_FIELD = 'partitionNumber';

export interface CodecOptions {
  escapeHeaders?: boolean;
  excludeHeaderMetadata?: RegExp;
  maxMessageBytes?: number;
}

/**
 * A publish as a Kafka record: the key from `partitionKey` (or `__key`), an explicit
 * partition from `partitionNumber`, and every metadata entry as a header, as Dapr does.
 * Throws on metadata the component cannot honour.
 */
export function toKafkaMessage(message: BrokerMessage, options: CodecOptions): Message {
  const { metadata } = message;
  refuseSchema(metadata);
  if (options.maxMessageBytes !== undefined && message.data.byteLength > options.maxMessageBytes) {
    throw new Error(
      `the message is ${message.data.byteLength} bytes, more than maxMessageBytes (${options.maxMessageBytes})`,
    );
  }
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (name === CONTENT_TYPE_HEADER || options.excludeHeaderMetadata?.test(name)) continue;
    headers[name] = value;
  }
  if (message.contentType) headers[CONTENT_TYPE_HEADER] = message.contentType;
  const record: Message = {
    value: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength),
    headers,
  };
  const key = KEY_FIELDS.map((field) => metadata[field]).find(
    (value) => value !== undefined && value !== '',
  );
  if (key !== undefined) record.key = key;
  const partition = metadata[PARTITION_FIELD];
  if (partition !== undefined && partition !== '') record.partition = partitionNumber(partition);
  return record;
}

/**
 * A consumed record as the block sees it: headers back into metadata (Dapr's `__key`,
 * `__topic`, `__partition`, `__offset` and `__timestamp` added), the content type from its header.
 */
export function fromKafkaMessage(
  topic: string,
  partition: number,
  record: KafkaMessage,
  options: CodecOptions,
): BrokerMessage {
  const escape = options.escapeHeaders ? queryEscape : (value: string) => value;
  const metadata: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, raw] of Object.entries(record.headers ?? {})) {
    const value = headerText(raw);
    if (value === undefined) continue;
    if (name === CONTENT_TYPE_HEADER) {
      contentType = value;
      continue;
    }
    if (options.excludeHeaderMetadata?.test(name)) continue;
    metadata[name] = escape(value);
  }
  if (record.key) metadata.__key = escape(record.key.toString('utf8'));
  metadata.__topic = topic;
  metadata.__partition = String(partition);
  metadata.__offset = record.offset;
  metadata.__timestamp = record.timestamp;
  const value = record.value ?? Buffer.alloc(0);
  const brokerMessage: BrokerMessage = {
    topic,
    data: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    metadata,
  };
  if (contentType) brokerMessage.contentType = contentType;
  return brokerMessage;
}

/** Subscriptions carry the same schema switch as publishes; refuse it up front. */
export function refuseSchema(metadata: Readonly<Record<string, string>>): void {
  const schema = metadata.valueSchemaType;
  if (schema && schema.toLowerCase() !== 'none') {
    throw new Error(
      `valueSchemaType "${schema}" needs a schema registry, which this pubsub.kafka component does not support`,
    );
  }
}

function partitionNumber(value: string): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number > 2 ** 31 - 1) {
    throw new Error(
      `metadata partitionNumber must be a whole number of 0 or more (got "${value}")`,
    );
  }
  return number;
}

/** A header sent more than once keeps its last value, as a map of metadata can hold one. */
function headerText(raw: IHeaders[string]): string | undefined {
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (last === undefined) return undefined;
  return typeof last === 'string' ? last : last.toString('utf8');
}

/** Go's url.QueryEscape, which Dapr applies: everything but unreserved characters, space as `+`. */
export function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
