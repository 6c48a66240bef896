import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata, type ComponentDefinition } from '@mecha/core';
import * as Vitest from 'vitest';
import { stateCommonMetadata } from '../common-metadata.ts';
import { StateService, type StateServiceOptions } from '../state-service.ts';
import type { StateFeature, StateStore } from '../store.ts';

/** The kit lives at `@mecha/state/conformance`, so only test files ever load vitest. */
export function vitest(): typeof Vitest {
  return Vitest;
}

export interface StateConformanceOptions {
  /** Shown in the test names, for example `state.sqlite`. */
  name: string;
  definition: ComponentDefinition<StateStore, StateFeature>;
  /** Raw metadata for the component, as a resource file gives it. */
  metadata?: Record<string, string>;
  /** Fresh raw metadata for each store the kit creates (for example a new temporary file); wins over `metadata`. */
  createMetadata?: () => Record<string, string>;
  /** A well-formed ETag that matches no item. Default `987654321`. */
  badEtag?: string;
  /** An ETag this store rejects as malformed (EtagInvalidError); its tests run only when given. */
  invalidEtag?: string;
  /** How long to wait at most for a 1-second TTL to expire. Default 10 000 ms. */
  ttlWaitMs?: number;
}

export const conformanceAppId = 'conformance-app';

/** What every case file receives: the shared store and ways to build services over it. */
export class Harness {
  readonly options: StateConformanceOptions;
  readonly features: readonly StateFeature[];
  readonly badEtag: string;
  #store: StateStore | undefined;

  constructor(options: StateConformanceOptions) {
    this.options = options;
    this.features = options.definition.features;
    this.badEtag = options.badEtag ?? '987654321';
  }

  has(feature: StateFeature): boolean {
    return this.features.includes(feature);
  }

  /** Creates a store from the definition the way the runtime does: validated metadata, then the factory. */
  async createStore(name = 'statestore'): Promise<StateStore> {
    const raw = this.options.createMetadata?.() ?? this.options.metadata ?? {};
    const metadata = validateMetadata(this.options.definition.metadata, raw, { passthrough: stateCommonMetadata });
    return this.options.definition.create(metadata, { name, appId: conformanceAppId, logger: silentLogger(), rawMetadata: raw });
  }

  async open(): Promise<void> {
    this.#store = await this.createStore();
  }

  async close(): Promise<void> {
    await this.#store?.close();
    this.#store = undefined;
  }

  get store(): StateStore {
    if (!this.#store) throw new Error('the conformance store is not open');
    return this.#store;
  }

  /** A service over the shared store; never close it (the store is closed once, at the end). */
  service(options: Partial<StateServiceOptions> = {}): StateService {
    return new StateService({ name: 'statestore', store: this.store, features: this.features, appId: conformanceAppId, ...options });
  }

  /** A key no other test uses, so cases can share one store. */
  key(label: string): string {
    return `${label}-${randomUUID().slice(0, 8)}`;
  }
}

/** The store without its native bulk methods, to exercise the block's fallbacks. */
export function withoutBulk(store: StateStore): StateStore {
  const bare: StateStore = {
    get: (request) => store.get(request),
    set: (request) => store.set(request),
    delete: (request) => store.delete(request),
    close: async () => {},
  };
  if (store.transact) bare.transact = (operations, metadata) => store.transact!(operations, metadata);
  return bare;
}

export const text = new TextEncoder();
export const fromText = new TextDecoder();

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
