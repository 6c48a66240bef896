import type { Closeable } from '@mecha/core';

/** The configuration block has no optional features yet; the type keeps the component model uniform. */
export type ConfigurationFeature = never;

/** One configuration value as Dapr carries it. */
export interface ConfigurationItem {
  value: string;
  /** The store's version of the value; empty when the store keeps none. */
  version: string;
  metadata: Record<string, string>;
}

/** Items by key. */
export type ConfigurationItems = Record<string, ConfigurationItem>;

export interface ConfigurationGetRequest {
  /** The keys to read; empty reads every item the store holds. */
  keys: readonly string[];
  /** Request metadata, passed through from the API call. */
  metadata: Readonly<Record<string, string>>;
}

export interface ConfigurationSubscribeRequest {
  /** The keys to watch; empty watches every key. */
  keys: readonly string[];
  metadata: Readonly<Record<string, string>>;
}

/** What a subscription hands its handler: the subscription's id and the items that changed. */
export interface ConfigurationUpdate {
  id: string;
  /** A deleted key arrives with an empty value and version. */
  items: ConfigurationItems;
}

export type ConfigurationUpdateHandler = (update: ConfigurationUpdate) => Promise<void>;

/**
 * The contract a configuration store component implements.
 *
 * - `get` answers the items found among the keys asked for (all items when none are asked
 *   for); a key the store does not hold is left out, never an error.
 * - `subscribe` resolves with a new subscription id once the store is listening, so a change
 *   made after it resolves is seen. The handler's calls for one subscription never overlap
 *   and come in the order the store saw the changes; a handler that rejects does not end
 *   the subscription.
 * - `unsubscribe` rejects an id it does not know (or already ended). Once it resolves, no new
 *   handler call starts for that id.
 * - `close` ends every subscription, then releases connections.
 */
export interface ConfigurationStore extends Closeable {
  get(request: ConfigurationGetRequest): Promise<ConfigurationItems>;
  subscribe(request: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string>;
  unsubscribe(id: string): Promise<void>;
}
