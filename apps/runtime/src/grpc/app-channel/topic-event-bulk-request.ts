import type { BulkDelivery, BulkDeliveryEntry, Delivery } from '@mecha/pubsub';
import type { StructMessage } from './struct-value.ts';
import { topicEventRequest } from './topic-event-request.ts';
import { pathForApp } from './topic-subscriptions.ts';

/** The `type` of a bulk request, as daprd sets it. */
const BULK_EVENT_TYPE = 'com.dapr.event.sent.bulk';

/** `dapr.proto.runtime.v1.TopicEventCERequest` in the proto loader's object form. */
export interface TopicEventCERequestMessage {
  id: string;
  source: string;
  type: string;
  spec_version: string;
  data_content_type: string;
  data: Buffer;
  extensions: StructMessage;
}

/** `TopicEventBulkRequestEntry`: the event is `bytes` (raw payload) or `cloud_event`, never both. */
export type TopicEventBulkRequestEntryMessage = {
  entry_id: string;
  content_type: string;
  metadata: Record<string, string>;
} & ({ bytes: Buffer } | { cloud_event: TopicEventCERequestMessage });

/** `dapr.proto.runtime.v1.TopicEventBulkRequest`. */
export interface TopicEventBulkRequestMessage {
  id: string;
  entries: TopicEventBulkRequestEntryMessage[];
  metadata: Record<string, string>;
  topic: string;
  pubsub_name: string;
  type: string;
  path: string;
}

/** `TopicEventBulkResponse` as the loader decodes it (status as the enum's name, or its number for an unknown value). */
export interface TopicEventBulkResponseMessage {
  statuses: { entry_id: string; status: string | number }[];
}

/** One entry as a single delivery: what OnTopicEvent gets when the app takes no batches. */
export function entryAsDelivery(delivery: BulkDelivery, entry: BulkDeliveryEntry): Delivery {
  return {
    path: delivery.path,
    event: entry.event,
    raw: Buffer.from(JSON.stringify(entry.event)),
    contentType: 'application/cloudevents+json',
    topic: delivery.topic,
    pubsubName: delivery.pubsubName,
    metadata: { ...entry.metadata, pubsubName: delivery.pubsubName },
  };
}

/**
 * One entry as daprd sends it in a bulk request: a raw payload's bytes as they arrived, or
 * the CloudEvent's attributes with its data read as for OnTopicEvent. Throws when the
 * event's data cannot be read (the entry is then retried, as daprd does).
 */
export function bulkRequestEntry(delivery: BulkDelivery, entry: BulkDeliveryEntry): TopicEventBulkRequestEntryMessage {
  const common = { entry_id: entry.entryId, content_type: entry.contentType, metadata: { ...entry.metadata } };
  if (delivery.rawPayload) return { ...common, bytes: Buffer.from(entry.data) };
  const single = topicEventRequest(entryAsDelivery(delivery, entry));
  return {
    ...common,
    cloud_event: {
      id: single.id,
      source: single.source,
      type: single.type,
      spec_version: single.spec_version,
      data_content_type: single.data_content_type,
      data: single.data,
      extensions: single.extensions,
    },
  };
}

/** The request for a batch, given the entries that could be converted. */
export function topicEventBulkRequest(delivery: BulkDelivery, entries: TopicEventBulkRequestEntryMessage[]): TopicEventBulkRequestMessage {
  return {
    id: delivery.id,
    entries,
    metadata: { ...delivery.metadata },
    topic: delivery.topic,
    pubsub_name: delivery.pubsubName,
    type: BULK_EVENT_TYPE,
    path: pathForApp(delivery.path),
  };
}
