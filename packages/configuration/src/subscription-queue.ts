import type { ConfigurationItems, ConfigurationUpdateHandler } from './configuration-store.ts';

/** Produces the items of one update when its turn comes; undefined skips it. */
export type UpdateSource = ConfigurationItems | (() => Promise<ConfigurationItems | undefined> | ConfigurationItems | undefined);

/**
 * One subscription's deliveries, for store components: updates are handed to the handler one
 * at a time in the order they were pushed, a failing handler or source is reported and the
 * queue goes on, and once `end()` is called no new delivery starts. A source given as a
 * function runs in its turn, so a store that reads the current value on each change reads it
 * in order too.
 */
export class SubscriptionQueue {
  readonly id: string;
  readonly #handler: ConfigurationUpdateHandler;
  readonly #onError: (error: unknown) => void;
  #tail: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(id: string, handler: ConfigurationUpdateHandler, onError: (error: unknown) => void = () => {}) {
    this.id = id;
    this.#handler = handler;
    this.#onError = onError;
  }

  get ended(): boolean {
    return this.#ended;
  }

  push(source: UpdateSource): void {
    if (this.#ended) return;
    this.#tail = this.#tail.then(async () => {
      if (this.#ended) return;
      try {
        const items = typeof source === 'function' ? await source() : source;
        if (this.#ended || items === undefined || Object.keys(items).length === 0) return;
        await this.#handler({ id: this.id, items });
      } catch (error) {
        this.#onError(error);
      }
    });
  }

  end(): void {
    this.#ended = true;
  }

  /** Resolves when the delivery under way (if any) has finished. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
