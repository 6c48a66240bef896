import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { ConfigurationItems, ConfigurationStore, ConfigurationUpdate } from './configuration-store.ts';
import { configurationGetFailed, configurationSubscribeFailed, configurationUnsubscribeFailed } from './configuration-errors.ts';

export interface ConfigurationServiceOptions {
  /** The component's resource name, used in errors. */
  name: string;
  store: ConfigurationStore;
  /** Where failures of subscribers' listeners are reported. */
  logger?: Logger;
}

export interface ConfigurationSubscribeInput {
  /** The keys to watch; none (or empty) watches every key. */
  keys?: readonly string[];
  metadata?: Readonly<Record<string, string>>;
}

/** Receives each change of a subscription; a rejection is logged and the subscription goes on. */
export type ConfigurationListener = (update: ConfigurationUpdate) => Promise<void> | void;

export interface ConfigurationSubscribeOptions {
  /**
   * Called once when the subscription ends, whoever ends it: an unsubscribe by id (from any
   * API), `unsubscribeAll` or `close`. A gRPC stream ends itself here.
   */
  onEnd?: () => void;
}

interface LiveSubscription {
  keys: readonly string[];
  onEnd: (() => void) | undefined;
}

/**
 * Dapr's configuration semantics over any ConfigurationStore: reads and subscriptions with
 * daprd's errors (`ERR_CONFIGURATION_GET`, `_SUBSCRIBE`, `_UNSUBSCRIBE`), and a registry of the
 * live subscriptions so that an id from one API can be ended from another, and so that all of
 * them end (telling their owners) before the store closes.
 */
export class ConfigurationService {
  readonly name: string;
  readonly #store: ConfigurationStore;
  readonly #logger: Logger;
  readonly #subscriptions = new Map<string, LiveSubscription>();
  #closed = false;

  constructor(options: ConfigurationServiceOptions) {
    this.name = options.name;
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger();
  }

  /** The items found among `keys` (every item when `keys` is empty); keys the store lacks are left out. */
  async get(keys: readonly string[] = [], metadata: Readonly<Record<string, string>> = {}): Promise<ConfigurationItems> {
    try {
      return await this.#store.get({ keys: [...keys], metadata: { ...metadata } });
    } catch (error) {
      throw configurationGetFailed(this.name, keys, error);
    }
  }

  /** Starts watching; resolves with the subscription's id once changes are being watched. */
  async subscribe(input: ConfigurationSubscribeInput, listener: ConfigurationListener, options: ConfigurationSubscribeOptions = {}): Promise<string> {
    const keys = [...(input.keys ?? [])];
    if (this.#closed) throw configurationSubscribeFailed(this.name, keys, new Error('the configuration store is closed'));
    let id: string;
    try {
      id = await this.#store.subscribe({ keys, metadata: { ...input.metadata } }, async (update) => {
        try {
          await listener(update);
        } catch (error) {
          this.#logger.warn({ store: this.name, subscription: update.id, error: errorMessage(error) }, 'a configuration subscriber failed to take an update');
        }
      });
    } catch (error) {
      throw configurationSubscribeFailed(this.name, keys, error);
    }
    this.#subscriptions.set(id, { keys, onEnd: options.onEnd });
    if (this.#closed) {
      // close() ran while the store was subscribing: end this one too.
      await this.#end(id).catch(() => undefined);
      throw configurationSubscribeFailed(this.name, keys, new Error('the configuration store is closed'));
    }
    return id;
  }

  /** Ends a subscription by id; ERR_CONFIGURATION_UNSUBSCRIBE when there is no such subscription. */
  async unsubscribe(id: string): Promise<void> {
    if (!this.#subscriptions.has(id)) {
      throw configurationUnsubscribeFailed(id, new Error(`subscription with id ${id} does not exist`));
    }
    await this.#end(id);
  }

  hasSubscription(id: string): boolean {
    return this.#subscriptions.has(id);
  }

  /** The ids of the live subscriptions. */
  subscriptionIds(): string[] {
    return [...this.#subscriptions.keys()];
  }

  /** Ends every subscription (for example when the sidecar stops); failures are logged, not thrown. */
  async unsubscribeAll(): Promise<void> {
    await Promise.all(
      this.subscriptionIds().map((id) =>
        this.#end(id).catch((error: unknown) => {
          this.#logger.warn({ store: this.name, subscription: id, error: errorMessage(error) }, 'ending a configuration subscription failed');
        }),
      ),
    );
  }

  /** Ends every subscription, then closes the store. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.unsubscribeAll();
    await this.#store.close();
  }

  async #end(id: string): Promise<void> {
    const live = this.#subscriptions.get(id);
    if (!live) return;
    this.#subscriptions.delete(id);
    try {
      await this.#store.unsubscribe(id);
    } catch (error) {
      throw configurationUnsubscribeFailed(id, error);
    } finally {
      live.onEnd?.();
    }
  }
}
