import type { Logger } from '@mecha/core';
import type { AppChannel } from '@mecha/invocation';
import type { BulkDelivery, BulkDeliveryStatus, DeliverBulk, DeliveryStatus } from '@mecha/pubsub';
import { deliveryHeaders } from './http-delivery.ts';

/** The `type` of daprd's bulk envelope. */
export const BULK_EVENT_TYPE = 'com.dapr.event.sent.bulk';

/**
 * The JSON daprd posts for a bulk delivery: each entry's `event` is the CloudEvent as an
 * object, or for a raw-payload subscription the message bytes in base64.
 */
export function bulkRequestBody(delivery: BulkDelivery): Record<string, unknown> {
  return {
    id: delivery.id,
    entries: delivery.entries.map((entry) => ({
      entryId: entry.entryId,
      event: delivery.rawPayload ? Buffer.from(entry.data).toString('base64') : entry.event,
      metadata: entry.metadata,
      contentType: entry.contentType,
    })),
    metadata: delivery.metadata,
    pubsubname: delivery.pubsubName,
    topic: delivery.topic,
    type: BULK_EVENT_TYPE,
  };
}

/**
 * Delivers a batch to an HTTP app as daprd does: one POST of the bulk envelope to the
 * batch's path. The answer is read as daprd reads it:
 * - 2xx with `{statuses: [{entryId, status}]}`: each entry's status (the block treats an
 *   entry without one, or with an empty or unknown status, as RETRY);
 * - 2xx with no or unreadable JSON: every entry is retried (daprd fails the batch);
 * - 404: every entry is dropped (the app has no such route);
 * - any other status, or no answer: every entry is retried.
 */
export function httpBulkDelivery(channel: AppChannel, logger: Logger): DeliverBulk {
  return async (delivery) => {
    const headers = deliveryHeaders(delivery.metadata);
    headers['content-type'] = 'application/json';
    const response = await channel.invoke({
      method: delivery.path.replace(/^\/+/, ''),
      httpVerb: 'POST',
      query: '',
      headers,
      body: Buffer.from(JSON.stringify(bulkRequestBody(delivery))),
    });
    if (response.status === 404) {
      logger.warn({ topic: delivery.topic, path: delivery.path, entries: delivery.entries.length }, 'the app answered 404 for a bulk delivery: dropping its events');
      return delivery.entries.map(({ entryId }) => ({ entryId, status: 'DROP' as const }));
    }
    if (response.status < 200 || response.status > 299) {
      throw new Error(`the app answered the bulk delivery to ${delivery.path} with status ${response.status}`);
    }
    return statusesFromBody(response.body, delivery.path);
  };
}

/** `{statuses: [{entryId, status}]}`, with field names matched case-insensitively as Go decodes them. */
export function statusesFromBody(body: Uint8Array, path: string): BulkDeliveryStatus[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new Error(`the app answered the bulk delivery to ${path} without a JSON body of statuses`);
  }
  const list = field(parsed, 'statuses');
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`the app answered the bulk delivery to ${path} with "statuses" that is not an array`);
  const statuses: BulkDeliveryStatus[] = [];
  for (const item of list) {
    const entryId = field(item, 'entryId');
    const status = field(item, 'status');
    if (typeof entryId !== 'string') continue;
    // An empty or unknown status stays as it is: the block retries it (and logs the unknown one).
    statuses.push({ entryId, status: (typeof status === 'string' && status !== '' ? status : 'RETRY') as DeliveryStatus });
  }
  return statuses;
}

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}
