import type { Delivery } from '@mecha/pubsub';
import { toStruct, type StructMessage } from './struct-value.ts';
import { pathForApp } from './topic-subscriptions.ts';

/** `dapr.proto.runtime.v1.TopicEventRequest` in the proto loader's object form. */
export interface TopicEventRequestMessage {
  id: string;
  source: string;
  type: string;
  spec_version: string;
  data_content_type: string;
  data: Buffer;
  topic: string;
  pubsub_name: string;
  path: string;
  extensions: StructMessage;
}

/** Envelope attributes that have their own field in the request; everything else travels in `extensions`. */
const ownFields = new Set(['id', 'source', 'datacontenttype', 'type', 'specversion', 'data', 'data_base64']);

function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

/** Payloads daprd hands over as their text. */
function isTextual(type: string): boolean {
  return type.startsWith('text/') || type === 'application/xml';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The bytes of the event's payload as daprd puts them in `data`: `data_base64` decoded;
 * a text payload as its UTF-8; a JSON or CloudEvents payload re-serialised as JSON.
 * (daprd leaves `data` empty for other content types; here a string goes as its text and
 * anything else as JSON, so nothing is silently lost.) A payload that cannot be read
 * throws, which the block treats as RETRY, as daprd does.
 */
function payloadBytes(event: Delivery['event']): Buffer {
  const base64 = event['data_base64'];
  if (base64 !== undefined && base64 !== null) {
    if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64.replace(/\s+/g, ''))) {
      throw new TypeError(`event ${text(event.id)}: data_base64 is not base64 text`);
    }
    return Buffer.from(base64, 'base64');
  }
  const data = event.data;
  if (data === undefined || data === null) return Buffer.alloc(0);
  const type = mediaType(text(event.datacontenttype));
  if (isTextual(type)) {
    if (typeof data !== 'string') throw new TypeError(`event ${text(event.id)}: a ${type} payload must be a string`);
    return Buffer.from(data, 'utf8');
  }
  if (type === 'application/json' || type === 'application/cloudevents+json') return Buffer.from(JSON.stringify(data));
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
}

/** One delivery as the TopicEventRequest daprd sends a gRPC app (OnTopicEvent) or a streaming subscriber. */
export function topicEventRequest(delivery: Delivery): TopicEventRequestMessage {
  const { event } = delivery;
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (!ownFields.has(key)) extensions[key] = value;
  }
  return {
    id: text(event.id),
    source: text(event.source),
    type: text(event.type),
    spec_version: text(event.specversion),
    data_content_type: text(event.datacontenttype),
    data: payloadBytes(event),
    topic: delivery.topic,
    pubsub_name: delivery.pubsubName,
    path: pathForApp(delivery.path),
    extensions: toStruct(extensions),
  };
}
