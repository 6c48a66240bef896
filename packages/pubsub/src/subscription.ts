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

export interface BulkSubscribeOptions {
  enabled: boolean;
  maxMessagesCount?: number;
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
  /** Kept for the runtime; this block delivers messages one at a time. */
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
