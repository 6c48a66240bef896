import { isUtf8 } from 'node:buffer';
import type { Logger } from '@mecha/core';
import type { AppChannel } from '@mecha/invocation';
import type { Deliver, Delivery, DeliveryStatus } from '@mecha/pubsub';

/** Metadata that must not become request headers (the channel sets them itself). */
const skippedMetadata = new Set(['content-length', 'content-type', 'host', 'connection', 'transfer-encoding']);

/**
 * Delivers pub/sub events to the app over HTTP and reads the answer as daprd does:
 * 2xx with no or non-JSON body, `SUCCESS` or an empty status → SUCCESS; `RETRY` or any
 * other status string → RETRY; `DROP` → DROP; 404 → DROP; any other status → RETRY.
 */
export function httpDelivery(channel: AppChannel, logger: Logger): Deliver {
  return async (delivery) => {
    const headers = deliveryHeaders(delivery.metadata);
    headers['pubsubname'] = delivery.pubsubName;
    const body = deliveryBody(delivery);
    headers['content-type'] = delivery.event === undefined ? delivery.contentType : 'application/cloudevents+json';
    const response = await channel.invoke({
      method: delivery.path.replace(/^\/+/, ''),
      httpVerb: 'POST',
      query: '',
      headers,
      body,
    });
    return statusFromResponse(response.status, response.body, logger, delivery.topic);
  };
}

/**
 * The envelope's bytes as the broker holds them, as daprd posts them (no parse and
 * re-serialise per message). Bytes with a byte-order mark or that are not UTF-8 go out as the
 * block read them instead, so the app always gets plain UTF-8 JSON.
 */
export function deliveryBody(delivery: Pick<Delivery, 'event' | 'raw'>): Uint8Array {
  const { raw, event } = delivery;
  if (event === undefined) return raw;
  const bom = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  return !bom && isUtf8(raw) ? raw : Buffer.from(JSON.stringify(event));
}

/** Message metadata as request headers (daprd sends it so), minus those the channel sets itself. */
export function deliveryHeaders(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    const lower = name.toLowerCase();
    if (!skippedMetadata.has(lower)) headers[lower] = value;
  }
  return headers;
}

export function statusFromResponse(status: number, body: Uint8Array, logger: Logger, topic: string): DeliveryStatus {
  if (status === 404) {
    logger.warn({ topic }, 'the app answered 404 for an event: dropping it');
    return 'DROP';
  }
  if (status < 200 || status > 299) return 'RETRY';
  if (body.length === 0) return 'SUCCESS';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return 'SUCCESS';
  }
  const answer = typeof parsed === 'object' && parsed !== null ? (parsed as { status?: unknown }).status : undefined;
  if (answer === undefined || answer === '' || answer === 'SUCCESS') return 'SUCCESS';
  if (answer === 'DROP') return 'DROP';
  if (answer !== 'RETRY') logger.warn({ topic, status: answer }, 'unknown delivery status from the app: retrying');
  return 'RETRY';
}
