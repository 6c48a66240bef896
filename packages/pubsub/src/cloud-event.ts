import { randomUUID } from 'node:crypto';
import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import {
  BINARY_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
  isBinaryContentType,
  isJsonContentType,
} from './content-type.ts';

/**
 * A CloudEvents 1.0 envelope as it travels through Dapr pub/sub: the spec's attributes plus
 * the extensions daprd adds (`topic`, `pubsubname`, trace context, `expiration`).
 */
export interface CloudEventObject {
  id: string;
  source: string;
  type: string;
  specversion: string;
  datacontenttype?: string;
  subject?: string;
  time?: string;
  data?: unknown;
  data_base64?: string;
  topic?: string;
  pubsubname?: string;
  traceid?: string;
  traceparent?: string;
  tracestate?: string;
  /** RFC 3339 instant after which the event is dropped instead of delivered. */
  expiration?: string;
  [attribute: string]: unknown;
}

/** daprd's defaults for envelope attributes nobody supplied. */
export const DAPR_EVENT_TYPE = 'com.dapr.event.sent';
export const DAPR_EVENT_SOURCE = 'Dapr';
export const SPEC_VERSION = '1.0';

const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. A Buffer: small ones come from Node's pool, which costs a fraction of a TextEncoder's fresh allocation per call. */
export function toBytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

export function toText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value)
  );
}

export interface EnvelopeContext {
  topic: string;
  pubsubName: string;
  /** Added when the component cannot expire messages itself (no MESSAGE_TTL). */
  expiration?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface NewEnvelopeInput extends EnvelopeContext {
  id?: string;
  source: string;
  type?: string;
  subject?: string;
  contentType?: string;
  data: unknown;
}

/** The content type daprd would report for a value given without one. */
export function defaultContentType(data: unknown): string {
  if (typeof data === 'string') return TEXT_CONTENT_TYPE;
  if (data instanceof Uint8Array) return BINARY_CONTENT_TYPE;
  return JSON_CONTENT_TYPE;
}

function withoutUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** The payload of a new envelope, in `data` or `data_base64` by daprd's content-type rules. */
function envelopePayload(data: unknown, contentType: string): { data?: unknown; data_base64?: string } {
  if (isBinaryContentType(contentType)) {
    const bytes =
      data instanceof Uint8Array
        ? data
        : toBytes(typeof data === 'string' ? data : (JSON.stringify(data) ?? ''));
    return {
      data_base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    };
  }
  if (isJsonContentType(contentType)) {
    if (data instanceof Uint8Array || typeof data === 'string') {
      const text = typeof data === 'string' ? data : toText(data);
      try {
        return { data: JSON.parse(text) as unknown };
      } catch {
        return { data: text };
      }
    }
    return { data: data === undefined ? null : data };
  }
  return {
    data:
      data instanceof Uint8Array
        ? toText(data)
        : typeof data === 'string'
          ? data
          : JSON.stringify(data),
  };
}

/**
 * Sources the CloudEvents library has accepted. `source` (a URI reference) is the one
 * attribute of a new envelope whose validity depends on the caller; each is checked once.
 */
const acceptedSources = new Set<string>();
const MAX_ACCEPTED_SOURCES = 256;

/**
 * Wraps a payload in a new envelope the way daprd does: JSON content types go in `data` as
 * JSON (unparseable JSON text falls back to a string), `application/octet-stream` in
 * `data_base64`, anything else in `data` as text. Throws the CloudEvents library's
 * ValidationError when an attribute is invalid (for example a `cloudevent.source` override).
 *
 * The envelope is built by hand, because this runs for every publish and building it with
 * the library's `CloudEvent` (copy, schema validation, `toJSON`, then dropping undefined
 * attributes) cost about twice as much. The result is the library's, attribute for
 * attribute and in the same order (the package's tests compare them): `id`, `time`, `type`,
 * `source`, `specversion`, `datacontenttype`, `subject`, `data` or `data_base64`, then the
 * extensions. What the library's validation could reject is still checked by the library:
 * the source, once per distinct value; and the inputs whose other attributes it could
 * reject (an empty subject, a payload given as a value rather than bytes or text, which may
 * hold what JSON cannot) take the library's path.
 */
export function createEnvelope(input: NewEnvelopeInput): CloudEventObject {
  const contentType = input.contentType || defaultContentType(input.data);
  const payload = envelopePayload(input.data, contentType);
  const { data } = input;
  if (
    !(data instanceof Uint8Array || typeof data === 'string') ||
    input.subject === '' ||
    typeof input.source !== 'string'
  ) {
    return createEnvelopeWithLibrary(input, contentType, payload);
  }
  if (!acceptedSources.has(input.source)) {
    new CloudEvent(
      { id: 'source-check', source: input.source, type: DAPR_EVENT_TYPE, specversion: SPEC_VERSION },
      true,
    );
    if (acceptedSources.size < MAX_ACCEPTED_SOURCES) acceptedSources.add(input.source);
  }
  const event: CloudEventObject = {
    id: input.id || randomUUID(),
    time: new Date().toISOString(),
    type: input.type || DAPR_EVENT_TYPE,
    source: input.source,
    specversion: SPEC_VERSION,
    datacontenttype: contentType,
  };
  if (input.subject !== undefined) event.subject = input.subject;
  if (payload.data_base64 !== undefined) event.data_base64 = payload.data_base64;
  else if (payload.data !== undefined) event.data = payload.data;
  event.topic = input.topic;
  event.pubsubname = input.pubsubName;
  if (input.traceparent !== undefined) {
    event.traceid = input.traceparent;
    event.traceparent = input.traceparent;
  }
  if (input.tracestate !== undefined) event.tracestate = input.tracestate;
  if (input.expiration !== undefined) event.expiration = input.expiration;
  return event;
}

/** createEnvelope through the CloudEvents library, for the inputs the hand-built path leaves to it. */
function createEnvelopeWithLibrary(
  input: NewEnvelopeInput,
  contentType: string,
  payload: { data?: unknown; data_base64?: string },
): CloudEventObject {
  const event = new CloudEvent<unknown>(
    withoutUndefined({
      id: input.id || randomUUID(),
      source: input.source,
      type: input.type || DAPR_EVENT_TYPE,
      specversion: SPEC_VERSION,
      datacontenttype: contentType,
      subject: input.subject,
      time: new Date().toISOString(),
      topic: input.topic,
      pubsubname: input.pubsubName,
      traceid: input.traceparent,
      traceparent: input.traceparent,
      tracestate: input.tracestate,
      expiration: input.expiration,
      ...payload,
    }),
    true,
  );
  return withoutUndefined(event.toJSON()) as CloudEventObject;
}

/**
 * Completes a CloudEvent the publisher built itself: its fields are kept; `topic` and
 * `pubsubname` are always set; `time`, trace context, `source`, `type` and `specversion`
 * only when missing (as daprd does). The result is validated against the CloudEvents 1.0
 * schema; an invalid event throws.
 */
export function completeEnvelope(
  given: Record<string, unknown>,
  context: EnvelopeContext,
): CloudEventObject {
  const event: Record<string, unknown> = {
    ...given,
    topic: context.topic,
    pubsubname: context.pubsubName,
  };
  event['time'] ??= new Date().toISOString();
  if (event['traceid'] === undefined && context.traceparent) {
    event['traceid'] = context.traceparent;
    event['traceparent'] = context.traceparent;
  }
  if (event['tracestate'] === undefined && context.tracestate)
    event['tracestate'] = context.tracestate;
  event['source'] ??= DAPR_EVENT_SOURCE;
  event['type'] ??= DAPR_EVENT_TYPE;
  event['specversion'] ??= SPEC_VERSION;
  if (context.expiration) event['expiration'] = context.expiration;
  // Validation only: the library would add an id and normalise `time`, and the publisher's
  // own representation is what daprd forwards.
  new CloudEvent(event as unknown as CloudEventV1<unknown>, true);
  return event as CloudEventObject;
}

/**
 * The envelope a subscription with `rawPayload: true` hands the app: the broker's bytes,
 * untouched, in `data_base64` (daprd's wrapper), with trace context from the message metadata.
 */
export function wrapRawPayload(
  bytes: Uint8Array,
  context: { topic: string; pubsubName: string; metadata: Readonly<Record<string, string>> },
): CloudEventObject {
  const traceparent = context.metadata['traceparent'] ?? context.metadata['traceid'];
  const event = new CloudEvent<unknown>(
    withoutUndefined({
      id: randomUUID(),
      source: DAPR_EVENT_SOURCE,
      type: DAPR_EVENT_TYPE,
      specversion: SPEC_VERSION,
      datacontenttype: BINARY_CONTENT_TYPE,
      topic: context.topic,
      pubsubname: context.pubsubName,
      traceid: traceparent,
      traceparent,
      tracestate: context.metadata['tracestate'],
      data_base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    }),
    false,
  );
  return withoutUndefined(event.toJSON()) as CloudEventObject;
}

/** Reads an envelope off the wire. Lenient like daprd: any JSON object is accepted; anything else throws. */
export function parseEnvelope(bytes: Uint8Array): CloudEventObject {
  const value: unknown = JSON.parse(toText(bytes));
  if (!isPlainObject(value)) throw new TypeError('the message is not a JSON object');
  return value as CloudEventObject;
}

export function serializeEnvelope(event: CloudEventObject): Uint8Array {
  return toBytes(JSON.stringify(event));
}

/** True when the event carries an `expiration` that has passed. An unreadable expiration never expires. */
export function isExpired(event: CloudEventObject, now = Date.now()): boolean {
  if (typeof event.expiration !== 'string') return false;
  const at = Date.parse(event.expiration);
  return Number.isFinite(at) && at <= now;
}
