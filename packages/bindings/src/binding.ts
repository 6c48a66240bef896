import type { Closeable } from '@mecha/core';

/*
 * Changes since the first version (additive; components written against it still compile):
 * - `BindingOperationError` (binding-operation-error.ts): an output binding that fails but has
 *   response metadata to report (bindings.http's `statusCode` on a non-2xx answer) rejects with
 *   it; the runtime still returns that metadata to the app, as daprd does.
 * - `bindingsCommonFields`: `direction` and `route` are accepted on every binding component
 *   (the runtime passes them through validation); a component need not declare them.
 * - The block, not the component, honours `direction`: an INPUT+OUTPUT component limited to
 *   one direction is never asked for the other.
 */

/**
 * The contract a binding component implements. One component type may be an input binding
 * (events from a source, delivered to the app), an output binding (the app invokes
 * operations on a target), or both; its definition declares which with the features `INPUT`
 * and `OUTPUT`, and the block refuses the direction a component does not declare.
 */
export type BindingFeature = 'INPUT' | 'OUTPUT';

/** One output invocation, as Dapr's API carries it: `{operation, data, metadata}`. */
export interface BindingRequest {
  operation: string;
  /** The request's `data`: the bytes of the JSON value the app sent (a JSON string's bytes are its text). */
  data: Uint8Array;
  metadata: Record<string, string>;
}

export interface BindingResponse {
  /** Returned to the app as the response body (empty for none). */
  data: Uint8Array;
  /** Returned to the app as response metadata (HTTP: `metadata.<key>` headers). */
  metadata: Record<string, string>;
  contentType?: string;
}

export interface OutputBinding {
  /** The operations `invoke` accepts (Dapr's `create`, `get`, `delete`, `list`, `exec`, `query`, …). */
  readonly operations: readonly string[];
  invoke(request: BindingRequest): Promise<BindingResponse>;
}

/** One event from an input binding's source. */
export interface InputBindingEvent {
  data: Uint8Array;
  metadata: Record<string, string>;
}

/**
 * Resolving means the app handled the event: the component acknowledges it to its source
 * (commit, ack, delete) only then. Rejecting means it was not handled after the block's own
 * retries: the component leaves it unacknowledged so the source delivers it again, by its
 * own semantics (or, for a source with no redelivery such as cron, drops it with a log).
 */
export type InputBindingHandler = (event: InputBindingEvent) => Promise<void>;

export interface InputBinding {
  /**
   * Starts reading; resolves once events will flow to `handler`. Reading stops at `close()`.
   * Like a pub/sub subscription, it must survive the source going away and coming back.
   */
  read(handler: InputBindingHandler): Promise<void>;
}

/** A live binding component: output, input, or both, as its definition's features say. */
export interface Binding extends Closeable, Partial<OutputBinding>, Partial<InputBinding> {}
