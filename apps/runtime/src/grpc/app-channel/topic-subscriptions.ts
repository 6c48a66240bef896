import type { RouteRule, SubscriptionSpec } from '@mecha/pubsub';

/** `dapr.proto.runtime.v1.TopicSubscription` as the proto loader gives it (snake_case, defaults present). */
export interface TopicSubscriptionMessage {
  pubsub_name: string;
  topic: string;
  metadata: Record<string, string>;
  routes: { rules: { match: string; path: string }[]; default: string } | null;
  dead_letter_topic: string;
  bulk_subscribe: { enabled: boolean; max_messages_count: number; max_await_duration_ms: number } | null;
}

/**
 * The path of a gRPC subscription that names no route at all. daprd then delivers with an
 * empty `path` (a gRPC app routes by pubsub and topic), but the pub/sub block wants a
 * non-empty default route, so this stand-in is used inside and turned back into `''` on
 * the way out (see `pathForApp`). The metadata API shows it as this string.
 */
export const UNROUTED_PATH = '\u0000';

/** The `path` a TopicEventRequest carries for the route the block selected. */
export function pathForApp(path: string): string {
  return path === UNROUTED_PATH ? '' : path;
}

/**
 * The app's ListTopicSubscriptions answer as subscription specs, read as daprd reads it:
 * the rules in order, then `routes.default`; no routes at all is one route with an empty path.
 */
export function subscriptionsFromGrpc(list: readonly TopicSubscriptionMessage[]): SubscriptionSpec[] {
  return list.map((entry) => {
    const rules: RouteRule[] = (entry.routes?.rules ?? []).map((rule) => ({ match: rule.match ?? '', path: rule.path ?? '' }));
    const fallback = entry.routes?.default || (rules.length === 0 ? UNROUTED_PATH : undefined);
    const spec: SubscriptionSpec = {
      pubsubName: entry.pubsub_name,
      topic: entry.topic,
      routes: fallback === undefined ? { rules } : { rules, default: fallback },
      metadata: { ...(entry.metadata ?? {}) },
      source: 'programmatic',
    };
    if (entry.dead_letter_topic) spec.deadLetterTopic = entry.dead_letter_topic;
    if (entry.bulk_subscribe) {
      spec.bulkSubscribe = { enabled: entry.bulk_subscribe.enabled };
      if (entry.bulk_subscribe.max_messages_count > 0) spec.bulkSubscribe.maxMessagesCount = entry.bulk_subscribe.max_messages_count;
      if (entry.bulk_subscribe.max_await_duration_ms > 0) spec.bulkSubscribe.maxAwaitDurationMs = entry.bulk_subscribe.max_await_duration_ms;
    }
    return spec;
  });
}
