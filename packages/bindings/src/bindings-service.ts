import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { Binding, BindingFeature, BindingResponse, InputBindingEvent } from './binding.ts';
import { bindingDirections, isExplicitlyInput } from './binding-direction.ts';
import {
  inputBindingStopped,
  inputDeliveryFailed,
  notAnInputBinding,
  operationMissing,
  operationNotSupported,
  outputBindingFailed,
  outputBindingNotFound,
} from './bindings-errors.ts';
import { resolveRetryOptions, retryDelay, type RetryOptions } from './retry-options.ts';

export interface BindingsServiceOptions {
  /** The component's resource name (`metadata.name`). */
  name: string;
  binding: Binding;
  /** What the component's definition declares. */
  features: readonly BindingFeature[];
  /** The component's `direction` metadata, if it has one: narrows the declared directions. */
  direction?: string;
  /** The component's `route` metadata: where an HTTP app takes the events (default: the binding's name). */
  route?: string;
  /** Retries of an input event the app failed to take; see `defaultRetryOptions`. */
  retry?: RetryOptions;
  logger?: Logger;
}

/** One output call as an app makes it. The operation is checked here, so it may be anything the caller sent. */
export interface InvokeInput {
  operation: string | undefined;
  data?: Uint8Array;
  metadata?: Record<string, string>;
}

/**
 * Hands one input event to the app. Resolves when the app took it (HTTP 2xx, gRPC OK); rejects
 * when it did not, and the block then retries.
 */
export type DeliverBindingEvent = (event: InputBindingEvent) => Promise<void>;

interface Reading {
  deliver: DeliverBindingEvent;
  /** Aborted by `stop()`: pending retry waits end and their events go back to the component. */
  abort: AbortController;
}

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Dapr's binding semantics over one binding component, for the sidecar and for in-process use:
 *
 * - output: `invoke` refuses a missing or unlisted operation and a binding that is not an output
 *   binding with daprd's ERR_INVOKE_OUTPUT_BINDING messages, and wraps component failures the same way;
 * - input: `start(deliver)` reads events from the component and hands each to `deliver`,
 *   retrying with backoff while the app fails; only an event the app took is acknowledged to the
 *   source, and after the last retry (or on `stop()`) the event goes back to the component
 *   unacknowledged, for the source to redeliver by its own rules.
 */
export class BindingsService {
  readonly name: string;
  readonly isInput: boolean;
  readonly isOutput: boolean;
  /** The operations `invoke` accepts (empty for an input-only binding). */
  readonly operations: readonly string[];
  /** Path an HTTP app serves this binding's events on, without a leading slash. */
  readonly route: string;
  /** True when `direction` metadata names input: the app is not asked whether it takes the events (daprd skips its probe). */
  readonly inputDeclared: boolean;
  readonly #binding: Binding;
  readonly #retry: Required<RetryOptions>;
  readonly #logger: Logger;
  #readStarted?: Promise<void>;
  #reading?: Reading;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed?: Promise<void>;

  constructor(options: BindingsServiceOptions) {
    this.name = options.name;
    this.#binding = options.binding;
    this.#retry = resolveRetryOptions(options.retry);
    this.#logger = options.logger ?? silentLogger();
    const directions = bindingDirections(options.features, options.direction);
    this.isInput = directions.input && typeof options.binding.read === 'function';
    this.isOutput = directions.output && typeof options.binding.invoke === 'function';
    this.operations = this.isOutput ? [...(options.binding.operations ?? [])] : [];
    this.route = (options.route || options.name).replace(/^\/+/, '');
    this.inputDeclared = isExplicitlyInput(options.direction);
  }

  /** Invokes an operation of the output binding; rejects with ERR_INVOKE_OUTPUT_BINDING as daprd does. */
  async invoke(input: InvokeInput): Promise<BindingResponse> {
    const { operation } = input;
    if (typeof operation !== 'string' || operation === '') throw operationMissing(this.name);
    if (!this.isOutput || this.#closed) throw outputBindingNotFound(this.name);
    if (!this.operations.includes(operation)) throw operationNotSupported(this.name, operation, this.operations);
    let response: BindingResponse;
    try {
      response = await this.#binding.invoke!({ operation, data: input.data ?? new Uint8Array(0), metadata: { ...input.metadata } });
    } catch (error) {
      throw outputBindingFailed(this.name, error);
    }
    return { data: response?.data ?? new Uint8Array(0), metadata: { ...response?.metadata }, ...(response?.contentType ? { contentType: response.contentType } : {}) };
  }

  /**
   * Starts (or resumes after `stop()`) handing input events to `deliver`. Resolves once the
   * component reads. Rejects for a binding that is not an input binding.
   */
  async start(deliver: DeliverBindingEvent): Promise<void> {
    if (!this.isInput) throw notAnInputBinding(this.name);
    if (this.#closed) throw inputBindingStopped(this.name);
    this.#reading?.abort.abort();
    this.#reading = { deliver, abort: new AbortController() };
    // The component reads once; a later start() only swaps where its events go.
    this.#readStarted ??= this.#binding.read!((event) => this.#handle(event));
    try {
      await this.#readStarted;
    } catch (error) {
      this.#readStarted = undefined;
      this.#reading = undefined;
      throw error;
    }
  }

  /**
   * Stops handing events to the app: events arriving now go back to the component, pending
   * retries end, and deliveries already at the app are waited for. The component keeps running
   * (output calls still work) until `close()`.
   */
  async stop(): Promise<void> {
    const reading = this.#reading;
    this.#reading = undefined;
    reading?.abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops reading, then closes the component. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stop();
      await this.#binding.close();
    })();
    return this.#closed;
  }

  #handle(event: InputBindingEvent): Promise<void> {
    const done = this.#deliverWithRetries(event);
    this.#inFlight.add(done);
    void done.then(
      () => this.#inFlight.delete(done),
      () => this.#inFlight.delete(done),
    );
    return done;
  }

  async #deliverWithRetries(event: InputBindingEvent): Promise<void> {
    const reading = this.#reading;
    if (!reading) throw inputBindingStopped(this.name);
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        await reading.deliver({ data: event.data, metadata: { ...event.metadata } });
        return;
      } catch (error) {
        lastError = error;
        this.#logger.warn({ binding: this.name, attempt, error: errorMessage(error) }, 'the app did not take an input binding event');
      }
      if (attempt >= this.#retry.maxAttempts) {
        this.#logger.error({ binding: this.name, attempts: attempt }, 'giving the input binding event back to the component unacknowledged');
        throw inputDeliveryFailed(this.name, attempt, lastError);
      }
      if (!(await pause(retryDelay(this.#retry, attempt), reading.abort.signal))) {
        throw inputBindingStopped(this.name);
      }
    }
  }
}
