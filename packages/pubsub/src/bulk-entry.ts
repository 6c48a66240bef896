import {
  BINARY_CONTENT_TYPE,
  isBinaryContentType,
  isCloudEventContentType,
  isJsonContentType,
  isTextContentType,
} from './content-type.ts';

/** One event of a bulk publish request. */
export interface BulkPublishEntry {
  /** Unique within the request; failures are reported by it. */
  entryId: string;
  /**
   * The event as the request carried it: a base64 string (or bytes) for
   * `application/octet-stream`, a string for `text/*` and `application/xml`, any JSON value
   * for `application/json` and `application/cloudevents+json`. Bytes are accepted for any type.
   */
  event: unknown;
  contentType: string;
  /** Overrides the request-level metadata for this entry. */
  metadata?: Record<string, string>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The payload of one bulk entry, checked against its content type as daprd does, or a
 * reason it does not fit (the caller reports it as ERR_PUBSUB_EVENTS_SER).
 */
export function bulkEntryPayload(
  entry: BulkPublishEntry,
): { data: unknown; contentType: string } | { error: string } {
  const { event } = entry;
  const contentType = entry.contentType || (event instanceof Uint8Array ? BINARY_CONTENT_TYPE : '');
  const mismatch = {
    error: `error: mismatch between contentType and event for entry ${entry.entryId}`,
  };
  if (event instanceof Uint8Array) return { data: event, contentType };
  if (isBinaryContentType(contentType)) {
    if (typeof event !== 'string' || !BASE64.test(event)) return mismatch;
    return { data: new Uint8Array(Buffer.from(event, 'base64')), contentType };
  }
  if (isTextContentType(contentType)) {
    return typeof event === 'string' ? { data: event, contentType } : mismatch;
  }
  if (isJsonContentType(contentType) || isCloudEventContentType(contentType)) {
    // Re-encoded as daprd does, so a JSON string stays a string rather than being parsed again.
    return event === undefined
      ? mismatch
      : { data: new TextEncoder().encode(JSON.stringify(event)), contentType };
  }
  return mismatch;
}
