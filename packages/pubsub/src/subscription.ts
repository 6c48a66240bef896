import type { CloudEventObject } from './cloud-event.ts';

/** Where a subscription came from; shown as `type` by the metadata API. */
export type SubscriptionSource = 'programmatic' | 'declarative' | 'streaming';

/** One routing rule: a CEL expression over `event` and the app path it selects. */
export interface RouteRule {
  match: string;
  path: string;
}

export interface SubscriptionRoutes {
  /** Evaluated in order; the first rule whose `match` is true wins. An empty `match` always matches. */
  rules: RouteRule[];
  /** Used when no rule matches. */
  default?: string;
}

/** Dapr's `bulkSubscribe`: deliver events in batches (when the subscriber can take batches). */
export interface BulkSubscribeOptions {
  enabled: boolean;
  /** A batch is delivered once it holds this many events. Default 100, as daprd. */
  maxMessagesCount?: number;
  /** ...or once its first event has waited this long. Default 1000, as daprd. */
  maxAwaitDurationMs?: number;
}

/** A subscription in one shape whatever its source (app, resource file, streaming client). */
export interface SubscriptionSpec {
  /** The resource name for declarative subscriptions; used in messages and logs. */
  name?: string;
  pubsubName: string;
  topic: string;
  routes: SubscriptionRoutes;
  deadLetterTopic?: string;
  /** Passed to the broker; `rawPayload: "true"` means messages are not CloudEvents. */
  metadata: Record<string, string>;
  /** With `enabled`, events go out in batches to a `deliverBulk` given to `subscribe`. */
  bulkSubscribe?: BulkSubscribeOptions;
  source: SubscriptionSource;
}

/** What the app said about one delivered event; a thrown error counts as `RETRY`. */
export type DeliveryStatus = 'SUCCESS' | 'RETRY' | 'DROP';

export interface Delivery {
  /** The app path the routing rules selected. */
  path: string;
  /** The envelope; for a `rawPayload` subscription, daprd's wrapper around the raw bytes. */
  event: CloudEventObject;
  /** The envelope as JSON bytes: what daprd posts to the app. */
  raw: Uint8Array;
  /** Always `application/cloudevents+json`, since the app always receives an envelope. */
  contentType: string;
  topic: string;
  pubsubName: string;
  /** The message metadata from the broker, plus `pubsubName` (daprd sends these as headers). */
  metadata: Record<string, string>;
}

/** Hands one event to the app (over HTTP, gRPC, a stream, or an in-process function). */
export type Deliver = (delivery: Delivery) => Promise<DeliveryStatus>;

/** One event of a bulk delivery. */
export interface BulkDeliveryEntry {
  /** A fresh UUID per broker message; the subscriber answers per entry id. */
  entryId: string;
  /** The envelope; for a `rawPayload` subscription, daprd's wrapper around the raw bytes. */
  event: CloudEventObject;
  /** The message bytes as the broker delivered them: the envelope JSON, or the raw payload. */
  data: Uint8Array;
  /**
   * The message's content type; when the broker gives none, `application/cloudevents+json`
   * (or `application/octet-stream` for a raw payload), as daprd fills it in.
   */
  contentType: string;
  /** The message metadata from the broker. */
  metadata: Record<string, string>;
}

/** A batch of events for one app path (the routing rules pick each event's path; one batch per path). */
export interface BulkDelivery {
  /** A UUID per batch, kept when the batch's failed entries are delivered again. */
  id: string;
  path: string;
  topic: string;
  pubsubName: string;
  /** True when the subscription has `rawPayload: "true"`: entries' `data` is not a CloudEvent. */
  rawPayload: boolean;
  /** In arrival order; a retry carries only the entries that still need one. */
  entries: BulkDeliveryEntry[];
  /** `{ pubsubName }`: what daprd puts in the batch's metadata (and sends as headers). */
  metadata: Record<string, string>;
}

/** The subscriber's answer for one entry. */
export interface BulkDeliveryStatus {
  entryId: string;
  status: DeliveryStatus;
}

/**
 * Hands a batch to the app and reports a status per entry. An entry without a status, or
 * with one the block does not know, is RETRY; a thrown error makes every entry RETRY.
 */
export type DeliverBulk = (delivery: BulkDelivery) => Promise<readonly BulkDeliveryStatus[]>;

/** How `subscribe` delivers besides the single-event `Deliver`. */
export interface SubscribeOptions {
  /**
   * Used for subscriptions with `bulkSubscribe.enabled`; without it those subscriptions get
   * their events one at a time through `deliver`.
   */
  deliverBulk?: DeliverBulk;
}

export interface SubscriptionHandle {
  readonly spec: SubscriptionSpec;
  /** Stops delivery and waits for deliveries in progress; pending retries are abandoned (the message is nacked). */
  close(): Promise<void>;
}

/** One entry of the metadata API's `subscriptions` list, in daprd's field names. */
export interface SubscriptionInfo {
  pubsubname: string;
  topic: string;
  deadLetterTopic?: string;
  metadata: Record<string, string>;
  /** The rules in order, the default route last with an empty `match`. */
  rules: RouteRule[];
  type: 'PROGRAMMATIC' | 'DECLARATIVE' | 'STREAMING';
}

/** How a subscription is named in errors and logs. */
export function subscriptionLabel(
  spec: Pick<SubscriptionSpec, 'name' | 'pubsubName' | 'topic'>,
): string {
  return spec.name
    ? `"${spec.name}" (pubsub ${spec.pubsubName}, topic ${spec.topic})`
    : `${spec.pubsubName}/${spec.topic}`;
}
