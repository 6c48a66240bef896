import type { BindingRequest, InputBindingEvent } from '@mecha/bindings';
import type { KafkaMessage, Message } from 'kafkajs';

export interface RecordOptions {
  escapeHeaders?: boolean;
  excludeHeaderMetadata?: RegExp;
  maxMessageBytes?: number;
}

/**
 * The Kafka record of one `create`, as Dapr builds it: the data as the value, request metadata
 * `partitionKey` (or `__key`) as the key, `partitionNumber` as an explicit partition, and every
 * metadata entry (the excluded ones aside) as a header.
 */
export function toKafkaRecord(request: BindingRequest, options: RecordOptions): Message {
  const { metadata } = request;
  if (metadata['valueSchemaType']) throw new Error('bindings.kafka does not support schema registries: remove the request metadata "valueSchemaType"');
  if (options.maxMessageBytes !== undefined && request.data.byteLength > options.maxMessageBytes) {
    throw new Error(`the message has ${request.data.byteLength} bytes, more than maxMessageBytes (${options.maxMessageBytes})`);
  }
  const record: Message = { value: Buffer.from(request.data) };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (name === 'partitionKey' || name === '__key') record.key = value;
    else if (name === 'partitionNumber') record.partition = partitionNumber(value);
    if (!options.excludeHeaderMetadata?.test(name)) headers[name] = value;
  }
  if (Object.keys(headers).length > 0) record.headers = headers;
  return record;
}

function partitionNumber(value: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) > 2 ** 31 - 1) throw new Error(`request metadata partitionNumber must be a partition number of 0 or more (got ${JSON.stringify(value)})`);
  return Number(text);
}

/**
 * One consumed record as an input event, with Dapr's metadata: `__key`, `__topic`,
 * `__partition`, `__offset`, `__timestamp` (milliseconds) and each header by its name.
 */
export function toBindingEvent(topic: string, partition: number, message: KafkaMessage, options: RecordOptions): InputBindingEvent {
  const escape = (text: string) => (options.escapeHeaders ? encodeURIComponent(text) : text);
  const metadata: Record<string, string> = {};
  if (message.key !== null && message.key !== undefined) metadata['__key'] = escape(message.key.toString('utf8'));
  metadata['__offset'] = message.offset;
  metadata['__topic'] = topic;
  metadata['__timestamp'] = message.timestamp;
  metadata['__partition'] = String(partition);
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    if (raw === undefined || options.excludeHeaderMetadata?.test(name)) continue;
    // A name sent twice arrives as a list; the last one wins, as in Dapr.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    metadata[name] = escape(value.toString());
  }
  return { data: message.value ? new Uint8Array(message.value) : new Uint8Array(0), metadata };
}
