import type { AppChannel } from '@mecha/invocation';
import type { Deliver, DeliverBulk, SubscriptionSpec } from '@mecha/pubsub';
import type { AppBindingChannel } from './app-binding-channel.ts';

/**
 * Everything the sidecar does with its own app, whatever `--app-protocol` says: calls for
 * service invocation, the app's own subscription list, and event delivery. The HTTP and
 * gRPC kinds implement it, so the sidecar's start-up logic is written once.
 */
export interface AppConnection {
  /** `--app-protocol` as this connection serves it. */
  readonly protocol: string;
  /** What service invocation calls for this app. */
  readonly channel: AppChannel;
  /** Hands one pub/sub event to the app and reports its answer. */
  readonly deliver: Deliver;
  /** Hands a batch of events to the app (subscriptions with `bulkSubscribe.enabled`) and reports a status per entry. */
  readonly deliverBulk: DeliverBulk;
  /** Input binding events: whether the app serves a binding, and delivery of one event. */
  readonly bindings: AppBindingChannel;
  /** Resolves once the app port accepts TCP connections; daprd waits for this before it subscribes. */
  waitUntilReachable(signal: AbortSignal): Promise<void>;
  /** The app's programmatic subscriptions; empty when it has none or cannot say (the reason is logged). */
  subscriptions(signal: AbortSignal): Promise<SubscriptionSpec[]>;
  /** Input bindings the app says it serves (gRPC apps list theirs; HTTP apps are probed per binding, so none here). */
  inputBindings(signal: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}
