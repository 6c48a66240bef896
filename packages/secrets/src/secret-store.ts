import type { Closeable } from '@mecha/core';

/**
 * The contract a secret store component implements: read secrets by name. Scopes, error
 * codes and the API shape are the block's job.
 *
 * `MULTIPLE_KEY_VALUES_PER_SECRET`: a secret holds several key/values (a Kubernetes secret,
 * a multi-valued local file). Without it every secret is one value, returned as
 * `{ <name>: <value> }`.
 */
export type SecretStoreFeature = 'MULTIPLE_KEY_VALUES_PER_SECRET';

/** A secret's key/values. */
export type Secret = Record<string, string>;

export interface SecretStore extends Closeable {
  /** The secret called `name`, or undefined when the store has none by that name. */
  get(name: string, metadata: Record<string, string>): Promise<Secret | undefined>;
  /** Every secret the store holds, by name. */
  bulkGet(metadata: Record<string, string>): Promise<Record<string, Secret>>;
}
