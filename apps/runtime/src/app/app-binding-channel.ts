import type { InputBindingEvent } from '@mecha/bindings';

/** An input binding as the app sees it: its component name, and the path an HTTP app serves it on. */
export interface AppBindingTarget {
  name: string;
  route: string;
}

/**
 * Input binding events to the app, whatever `--app-protocol` says. The sidecar asks first
 * whether the app takes a binding's events (daprd does, and reads from no binding the app does
 * not serve), then hands each event over.
 */
export interface AppBindingChannel {
  /** HTTP: `OPTIONS /<route>` answered 2xx or 405. gRPC: the binding is in the app's ListInputBindings. Rejects when the app cannot be asked. */
  subscribed(binding: AppBindingTarget, signal: AbortSignal): Promise<boolean>;
  /** Resolves when the app took the event (HTTP 2xx, gRPC OK); rejects with why not. */
  deliver(binding: AppBindingTarget, event: InputBindingEvent): Promise<void>;
}
