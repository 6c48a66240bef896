/** One entry of a Configuration's `spec.secrets.scopes`, as Dapr writes it. */
export interface SecretScopeSpec {
  storeName: string;
  defaultAccess?: 'allow' | 'deny';
  allowedSecrets?: readonly string[];
  deniedSecrets?: readonly string[];
}

/**
 * Which secrets of one store the app may read, by Dapr's rules: a non-empty `allowedSecrets`
 * is the whole answer (only those); otherwise a secret in `deniedSecrets` is refused, and the
 * rest follow `defaultAccess` (allow when absent). A store with no scope allows everything.
 */
export class SecretScope {
  static readonly allowAll = new SecretScope({ storeName: '*' });

  readonly #allowed: ReadonlySet<string>;
  readonly #denied: ReadonlySet<string>;
  readonly #defaultAllows: boolean;

  constructor(spec: SecretScopeSpec) {
    this.#allowed = new Set(spec.allowedSecrets ?? []);
    this.#denied = new Set(spec.deniedSecrets ?? []);
    this.#defaultAllows = (spec.defaultAccess ?? 'allow') === 'allow';
  }

  allows(secretName: string): boolean {
    if (this.#allowed.size > 0) return this.#allowed.has(secretName);
    if (this.#denied.has(secretName)) return false;
    return this.#defaultAllows;
  }
}
