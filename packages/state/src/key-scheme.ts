import { MechaError } from '@mecha/core';
import { StateErrorCodes, StateErrorReasons } from './state-error-codes.ts';

/** Dapr's separator between the key prefix and the caller's key. */
export const keySeparator = '||';

export interface KeySchemeOptions {
  storeName: string;
  appId: string;
  namespace?: string;
  /**
   * The component's `keyPrefix` metadata: `appid` (default), `name`, `namespace`, `none`,
   * or any other text used as a literal prefix. Matched case-insensitively and, as daprd
   * does, a literal prefix is lower-cased so keys written by daprd are found again.
   */
  keyPrefix?: string;
}

/**
 * Turns a caller's key into the key a component stores (`<appId>||<key>` and friends) and
 * back. Keys containing `||` are refused in every mode, as daprd refuses them, so a key
 * can never reach into another app's prefix.
 */
export class KeyScheme {
  readonly #storeName: string;
  /** Text put before the caller's key, separator included; empty for no prefix. */
  readonly prefix: string;

  constructor(options: KeySchemeOptions) {
    this.#storeName = options.storeName;
    const strategy = (options.keyPrefix ?? '').trim().toLowerCase() || 'appid';
    this.#refuseSeparator(strategy);
    this.prefix = KeyScheme.#prefixFor(strategy, options);
  }

  static #prefixFor(strategy: string, options: KeySchemeOptions): string {
    switch (strategy) {
      case 'none':
        return '';
      case 'name':
        return options.storeName + keySeparator;
      case 'appid':
        return options.appId ? options.appId + keySeparator : '';
      case 'namespace':
        if (!options.appId) return '';
        return (options.namespace ? `${options.namespace}.${options.appId}` : options.appId) + keySeparator;
      default:
        return strategy + keySeparator;
    }
  }

  /** The stored key for a caller's key; throws ERR_MALFORMED_REQUEST for an empty or illegal key. */
  toStoreKey(key: string): string {
    if (typeof key !== 'string' || key === '') {
      throw new MechaError(StateErrorCodes.malformedRequest, 'invalid-argument', '"key" is a required field', {
        resource: { type: 'state', name: this.#storeName },
      });
    }
    this.#refuseSeparator(key);
    return this.prefix + key;
  }

  /** The caller's key for a stored key (the prefix removed when present). */
  fromStoreKey(storeKey: string): string {
    return this.prefix && storeKey.startsWith(this.prefix) ? storeKey.slice(this.prefix.length) : storeKey;
  }

  #refuseSeparator(text: string): void {
    if (!text.includes(keySeparator)) return;
    throw new MechaError(
      StateErrorCodes.malformedRequest,
      'invalid-argument',
      `input key/keyPrefix '${text}' can't contain '${keySeparator}'`,
      { reason: StateErrorReasons.illegalKey, resource: { type: 'state', name: this.#storeName } },
    );
  }
}
