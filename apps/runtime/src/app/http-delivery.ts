import type { Logger } from '@mecha/core';
import type { AppChannel } from '@mecha/invocation';
import type { Deliver, DeliveryStatus } from '@mecha/pubsub';

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
    const body = delivery.event === undefined ? delivery.raw : Buffer.from(JSON.stringify(delivery.event));
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
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return 'SUCCESS';
  }
  const answer = typeof parsed === 'object' && parsed !== null ? (parsed as { status?: unknown }).status : undefined;
  if (answer === undefined || answer === '' || answer === 'SUCCESS') return 'SUCCESS';
  if (answer === 'DROP') return 'DROP';
  if (answer !== 'RETRY') logger.warn({ topic, status: answer }, 'unknown delivery status from the app: retrying');
  return 'RETRY';
}
