import type { Secret, SecretStore } from './secret-store.ts';
import { SecretScope } from './secret-scope.ts';
import { bulkSecretGetError, secretGetError, secretPermissionDenied } from './secrets-errors.ts';

export interface SecretsServiceOptions {
  /** The component's resource name, used in errors. */
  name: string;
  store: SecretStore;
  /** The app's scope for this store (Configuration `spec.secrets.scopes`); absent allows all. */
  scope?: SecretScope;
}

/**
 * Dapr's secrets semantics over any SecretStore: the scope is checked before the store is
 * asked (a denied secret is never read, so it cannot leak through an error), a missing secret
 * is `ERR_SECRET_GET` as daprd answers it, and bulk reads leave out what the scope denies.
 * The same object serves the sidecar's APIs, component `secretKeyRef`s and embedded use.
 */
export class SecretsService {
  readonly name: string;
  readonly #store: SecretStore;
  readonly #scope: SecretScope;

  constructor(options: SecretsServiceOptions) {
    this.name = options.name;
    this.#store = options.store;
    this.#scope = options.scope ?? SecretScope.allowAll;
  }

  /** The secret's key/values; throws ERR_PERMISSION_DENIED when the scope denies it. */
  async get(secretName: string, metadata: Record<string, string> = {}): Promise<Secret> {
    if (!this.#scope.allows(secretName)) throw secretPermissionDenied(this.name, secretName);
    return this.read(secretName, metadata);
  }

  /**
   * The secret without the app's scope: for `secretKeyRef` in component files, which daprd
   * resolves whatever the app's scopes say (they govern the app's API calls).
   */
  async read(secretName: string, metadata: Record<string, string> = {}): Promise<Secret> {
    let secret: Secret | undefined;
    try {
      secret = await this.#store.get(secretName, metadata);
    } catch (error) {
      throw secretGetError(this.name, secretName, error);
    }
    if (secret === undefined) throw secretGetError(this.name, secretName, new Error(`secret ${secretName} not found`));
    return secret;
  }

  /** Every secret the scope allows, by name. */
  async bulkGet(metadata: Record<string, string> = {}): Promise<Record<string, Secret>> {
    let all: Record<string, Secret>;
    try {
      all = await this.#store.bulkGet(metadata);
    } catch (error) {
      throw bulkSecretGetError(this.name, error);
    }
    return Object.fromEntries(Object.entries(all).filter(([name]) => this.#scope.allows(name)));
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
