import { MechaError, errorMessage, silentLogger, type ErrorKind, type Logger } from '@mecha/core';
import { EtagInvalidError, EtagMismatchError } from './etag-errors.ts';
import { KeyScheme } from './key-scheme.ts';
import { parseStateQuery, type StateQuery, type StoreQueryResult } from './query.ts';
import { mapWithLimit } from './map-with-limit.ts';
import { StateErrorCodes, StateErrorReasons } from './state-error-codes.ts';
import { decodeStateJson, encodeStateValue } from './state-value.ts';
import type {
  Concurrency,
  Consistency,
  StateDeleteRequest,
  StateFeature,
  StateSetRequest,
  StateStore,
  TransactionOperation,
} from './store.ts';
import { parseTtl } from './ttl.ts';

export interface StateServiceOptions {
  /** The store's name as callers address it (the component's `metadata.name`). */
  name?: string;
  store: StateStore;
  /** What the component declares it can honour; anything else is refused, never faked. */
  features: readonly StateFeature[];
  appId: string;
  namespace?: string;
  /** The component's `keyPrefix` metadata: `appid` (default), `name`, `namespace`, `none` or a literal prefix. */
  keyPrefix?: string;
  logger?: Logger;
  /**
   * daprd passes `ttlInSeconds` to stores without TTL, which ignore it. That is the default
   * here too (with a warning, once); set this to refuse such saves instead.
   */
  refuseTtlWithoutFeature?: boolean;
}

export interface StateServiceFromComponentOptions {
  name: string;
  instance: StateStore;
  features: readonly StateFeature[];
  appId: string;
  namespace?: string;
  /** The component's raw metadata; `keyPrefix` is read from it (name matched case-insensitively). */
  rawMetadata?: Readonly<Record<string, string>>;
  logger?: Logger;
  refuseTtlWithoutFeature?: boolean;
}

/** Accepts the wire's free text too; unknown values are refused as daprd's components refuse them. */
export interface StateRequestOptions {
  concurrency?: Concurrency | (string & {});
  consistency?: Consistency | (string & {});
}

export interface GetStateOptions {
  consistency?: Consistency | (string & {});
  metadata?: Record<string, string>;
}

export interface StateEntry {
  /** The caller's key, without the store prefix. */
  key: string;
  value: Uint8Array;
  etag?: string;
  /** Per-item metadata from the store, for example `ttlExpireTime` (RFC 3339, UTC). */
  metadata: Record<string, string>;
}

export interface GetBulkStateOptions {
  /** Single gets in flight at once when the store has no native bulk get; 0 or absent means all at once (Dapr's default). */
  parallelism?: number;
  metadata?: Record<string, string>;
}

/** One answer of `getBulk`: value absent when the key does not exist, `error` when this key alone failed. */
export interface BulkStateEntry {
  key: string;
  value?: Uint8Array;
  etag?: string;
  metadata?: Record<string, string>;
  error?: string;
}

export interface SaveStateItem {
  key: string;
  /** A Uint8Array is stored raw; anything else as its JSON text. */
  value: unknown;
  etag?: string;
  /** Request metadata for the component; `ttlInSeconds` sets a time to live (-1: never expire). */
  metadata?: Record<string, string>;
  options?: StateRequestOptions;
}

export interface DeleteStateOptions {
  etag?: string;
  metadata?: Record<string, string>;
  options?: StateRequestOptions;
}

export interface DeleteStateItem extends DeleteStateOptions {
  key: string;
}

export interface TransactionRequest {
  key: string;
  value?: unknown;
  etag?: string;
  metadata?: Record<string, string>;
  options?: StateRequestOptions;
}

export interface StateTransactionOperation {
  /** `upsert` or `delete`; anything else is refused before the store is touched. */
  operation: 'upsert' | 'delete' | (string & {});
  request: TransactionRequest;
}

type Failure = (detail: string, kind: ErrorKind, cause?: unknown) => MechaError;

interface Prepared<R> {
  key: string;
  request: R;
  /** Depends on what is stored (an ETag or first-write): never batched with others. */
  conditional: boolean;
}

/**
 * The state building block: every Dapr state API promise (key prefixes, ETag concurrency,
 * bulk with fallbacks, TTL, transactions) kept here, on top of a component that only stores
 * bytes, so embedded users and sidecar users get the same behaviour.
 */
export class StateService {
  readonly name: string;
  readonly features: readonly StateFeature[];
  readonly #store: StateStore;
  readonly #keys: KeyScheme;
  readonly #logger: Logger;
  readonly #refuseTtl: boolean;
  #warnedTtl = false;
  #closed?: Promise<void>;

  constructor(options: StateServiceOptions) {
    this.name = options.name ?? 'statestore';
    this.features = Object.freeze([...options.features]);
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger();
    this.#refuseTtl = options.refuseTtlWithoutFeature ?? false;
    this.#keys = new KeyScheme({
      storeName: this.name,
      appId: options.appId,
      namespace: options.namespace,
      keyPrefix: options.keyPrefix,
    });
  }

  /** Builds the service for a live component, reading `keyPrefix` from its metadata. */
  static fromComponent(options: StateServiceFromComponentOptions): StateService {
    const keyPrefix = Object.entries(options.rawMetadata ?? {}).find(([name]) => name.toLowerCase() === 'keyprefix')?.[1];
    return new StateService({
      name: options.name,
      store: options.instance,
      features: options.features,
      appId: options.appId,
      namespace: options.namespace,
      keyPrefix,
      logger: options.logger,
      refuseTtlWithoutFeature: options.refuseTtlWithoutFeature,
    });
  }

  supports(feature: StateFeature): boolean {
    return this.features.includes(feature);
  }

  /** The stored key for a caller's key (for example `myapp||order-1`); throws on an illegal key. */
  storeKey(key: string): string {
    return this.#keys.toStoreKey(key);
  }

  async get(key: string, options: GetStateOptions = {}): Promise<StateEntry | undefined> {
    const storeKey = this.#keys.toStoreKey(key);
    const fail: Failure = (detail, kind, cause) =>
      this.#error(StateErrorCodes.get, kind, `fail to get ${key} from state store ${this.name}: ${detail}`, cause);
    const consistency = parseConsistency(options.consistency, fail);
    let item;
    try {
      item = await this.#store.get({ key: storeKey, consistency, metadata: { ...options.metadata } });
    } catch (error) {
      throw fail(errorMessage(error), 'internal', error);
    }
    if (!item) return undefined;
    const entry: StateEntry = { key, value: item.value, metadata: { ...item.metadata } };
    if (item.etag !== undefined) entry.etag = item.etag;
    return entry;
  }

  /** The value parsed as JSON, or undefined when the key does not exist. */
  async getJson<T = unknown>(key: string, options: GetStateOptions = {}): Promise<T | undefined> {
    const entry = await this.get(key, options);
    return entry === undefined ? undefined : decodeStateJson<T>(entry.value);
  }

  async getBulk(keys: readonly string[], options: GetBulkStateOptions = {}): Promise<BulkStateEntry[]> {
    if (!Array.isArray(keys)) {
      throw this.#error(StateErrorCodes.malformedRequest, 'invalid-argument', 'keys must be an array of strings');
    }
    const storeKeys = keys.map((key) => this.#keys.toStoreKey(key));
    if (keys.length === 0) return [];
    const metadata = { ...options.metadata };
    const requests = storeKeys.map((key) => ({ key, consistency: 'eventual' as const, metadata: { ...metadata } }));

    if (this.#store.bulkGet) {
      let results;
      try {
        results = await this.#store.bulkGet(requests);
      } catch (error) {
        throw this.#error(StateErrorCodes.bulkGet, 'internal', errorMessage(error), error);
      }
      const byKey = new Map(results.map((result) => [result.key, result]));
      return keys.map((key, index) => {
        const result = byKey.get(storeKeys[index]!);
        if (result?.error !== undefined) return { key, error: result.error };
        return toBulkEntry(key, result?.item);
      });
    }

    return mapWithLimit(requests, Math.floor(Number(options.parallelism ?? 0)) || 0, async (request, index) => {
      const key = keys[index]!;
      try {
        return toBulkEntry(key, await this.#store.get(request));
      } catch (error) {
        return { key, error: errorMessage(error) };
      }
    });
  }

  async save(items: readonly SaveStateItem[]): Promise<void> {
    if (!Array.isArray(items)) {
      throw this.#error(StateErrorCodes.malformedRequest, 'invalid-argument', 'state items must be an array');
    }
    const fail: Failure = (detail, kind, cause) =>
      this.#error(StateErrorCodes.save, kind, `failed saving state in state store ${this.name}: ${detail}`, cause);
    const prepared = items.map((item) => this.#prepareSet(item, fail));
    if (prepared.length === 0) return;
    const store = this.#store;
    await this.#runWrites(
      prepared,
      store.bulkSet ? (requests) => store.bulkSet!(requests) : undefined,
      (request) => store.set(request),
      fail,
    );
  }

  async delete(key: string, options: DeleteStateOptions = {}): Promise<void> {
    const fail: Failure = (detail, kind, cause) =>
      this.#error(StateErrorCodes.delete, kind, `failed deleting state with key ${key}: ${detail}`, cause);
    const prepared = this.#prepareDelete({ ...options, key }, fail);
    try {
      await this.#store.delete(prepared.request);
    } catch (error) {
      throw fail(errorMessage(error), etagKind(error), error);
    }
  }

  async deleteBulk(items: readonly DeleteStateItem[]): Promise<void> {
    if (!Array.isArray(items)) {
      throw this.#error(StateErrorCodes.malformedRequest, 'invalid-argument', 'state items must be an array');
    }
    const fail: Failure = (detail, kind, cause) =>
      this.#error(StateErrorCodes.delete, kind, `failed deleting state in state store ${this.name}: ${detail}`, cause);
    const prepared = items.map((item) => this.#prepareDelete(item, fail));
    if (prepared.length === 0) return;
    const store = this.#store;
    await this.#runWrites(
      prepared,
      store.bulkDelete ? (requests) => store.bulkDelete!(requests) : undefined,
      (request) => store.delete(request),
      fail,
    );
  }

  /**
   * Throws daprd's "doesn't support transactions" error unless the store declares
   * TRANSACTIONAL; the HTTP API calls it before reading the body, as daprd does.
   */
  assertTransactional(): void {
    if (this.supports('TRANSACTIONAL') && this.#store.transact) return;
    throw this.#error(StateErrorCodes.notSupported, 'internal', `state store ${this.name} doesn't support transactions`, undefined, {
      reason: StateErrorReasons.transactionsNotSupported,
    });
  }

  /** Throws daprd's "does not support querying" error unless the store declares QUERY_API. */
  assertQueryable(): void {
    if (this.supports('QUERY_API')) return;
    throw this.#error(StateErrorCodes.notSupported, 'internal', 'state store does not support querying', undefined, {
      reason: StateErrorReasons.queryingNotSupported,
    });
  }

  /**
   * Dapr's query API: validates the query (daprd answers a bad one with ERR_STATE_QUERY), asks
   * the store for this app's keys only, and returns the caller's keys with their JSON values.
   */
  async query(input: unknown, metadata: Record<string, string> = {}): Promise<StateQueryResponse> {
    this.assertQueryable();
    let query: StateQuery;
    try {
      query = parseStateQuery(input);
    } catch (error) {
      throw this.#error(StateErrorCodes.query, 'internal', `state store ${this.name} query failed: failed to parse JSON query body: ${errorMessage(error)}`, error, {
        reason: StateErrorReasons.queryFailed,
      });
    }
    let result: StoreQueryResult;
    try {
      result = await this.#store.query!({ query, keyPrefix: this.#keys.prefix, metadata: { ...metadata } });
    } catch (error) {
      throw this.#error(StateErrorCodes.query, 'internal', `state store ${this.name} query failed: ${errorMessage(error)}`, error, {
        reason: StateErrorReasons.queryFailed,
      });
    }
    return {
      results: result.items.map((item) => ({ key: this.#keys.fromStoreKey(item.key), value: item.value, etag: item.etag })),
      ...(result.token ? { token: result.token } : {}),
    };
  }

  /** All operations or none; refused unless the store declares TRANSACTIONAL. */
  async transaction(operations: readonly StateTransactionOperation[], metadata: Record<string, string> = {}): Promise<void> {
    this.assertTransactional();
    if (!Array.isArray(operations)) {
      throw this.#error(StateErrorCodes.malformedRequest, 'invalid-argument', 'operations must be an array');
    }
    const fail: Failure = (detail, kind, cause) =>
      this.#error(StateErrorCodes.transaction, kind, `error while executing state transaction: ${detail}`, cause);
    const prepared: TransactionOperation[] = operations.map((operation) => {
      const request = operation?.request ?? ({} as TransactionRequest);
      switch (operation?.operation) {
        case 'upsert':
          return { operation: 'upsert', request: this.#prepareSet(request, fail).request };
        case 'delete':
          return { operation: 'delete', request: this.#prepareDelete(request, fail).request };
        default:
          throw this.#error(
            StateErrorCodes.unsupportedOperation,
            'invalid-argument',
            `operation type ${String(operation?.operation)} not supported`,
          );
      }
    });
    if (prepared.length === 0) return;
    try {
      // Present: assertTransactional checked it.
      await this.#store.transact!(prepared, { ...metadata });
    } catch (error) {
      // daprd reports every failed transaction, ETag mismatches included, as an internal error.
      throw fail(errorMessage(error), 'internal', error);
    }
  }

  /** Closes the component; later calls return the same promise. */
  close(): Promise<void> {
    this.#closed ??= this.#store.close();
    return this.#closed;
  }

  #prepareSet(item: SaveStateItem | TransactionRequest, fail: Failure): Prepared<StateSetRequest> {
    this.#requireObject(item);
    const storeKey = this.#keys.toStoreKey(item.key);
    const key = item.key;
    const concurrency = parseConcurrency(item.options?.concurrency, fail);
    const consistency = parseConsistency(item.options?.consistency, fail);
    const etag = item.etag === undefined || item.etag === null || item.etag === '' ? undefined : String(item.etag);
    this.#requireEtagFeature(key, etag, concurrency);
    const metadata = { ...item.metadata };
    let ttlInSeconds: number | undefined;
    try {
      ttlInSeconds = parseTtl(metadata);
    } catch (error) {
      throw fail(errorMessage(error), 'internal', error);
    }
    if (ttlInSeconds !== undefined && !this.supports('TTL')) {
      if (this.#refuseTtl) {
        throw this.#error(
          StateErrorCodes.notSupported,
          'invalid-argument',
          `state store ${this.name} doesn't support TTL (feature TTL); cannot honour ttlInSeconds for key ${key}`,
          undefined,
          { reason: StateErrorReasons.ttlNotSupported },
        );
      }
      if (!this.#warnedTtl) {
        this.#warnedTtl = true;
        this.#logger.warn({ store: this.name }, `state store ${this.name} doesn't support TTL; ttlInSeconds is ignored, as daprd does`);
      }
      ttlInSeconds = undefined;
    }
    const request: StateSetRequest = { key: storeKey, value: encodeStateValue(item.value), concurrency, consistency, metadata };
    if (etag !== undefined) request.etag = etag;
    if (ttlInSeconds !== undefined) request.ttlInSeconds = ttlInSeconds;
    return { key, request, conditional: etag !== undefined || concurrency === 'first-write' };
  }

  #prepareDelete(item: DeleteStateItem | TransactionRequest, fail: Failure): Prepared<StateDeleteRequest> {
    this.#requireObject(item);
    const storeKey = this.#keys.toStoreKey(item.key);
    const concurrency = parseConcurrency(item.options?.concurrency, fail);
    const consistency = parseConsistency(item.options?.consistency, fail);
    const etag = item.etag === undefined || item.etag === null || item.etag === '' ? undefined : String(item.etag);
    // A delete without an ETag is unconditional under either concurrency mode (see README).
    this.#requireEtagFeature(item.key, etag, 'last-write');
    const request: StateDeleteRequest = { key: storeKey, concurrency, consistency, metadata: { ...item.metadata } };
    if (etag !== undefined) request.etag = etag;
    return { key: item.key, request, conditional: etag !== undefined };
  }

  #requireObject(item: unknown): void {
    if (item === null || typeof item !== 'object') {
      throw this.#error(StateErrorCodes.malformedRequest, 'invalid-argument', 'each state item must be an object with a key');
    }
  }

  #requireEtagFeature(key: string, etag: string | undefined, concurrency: Concurrency): void {
    if (this.supports('ETAG')) return;
    const what = etag !== undefined ? 'the etag given' : concurrency === 'first-write' ? 'first-write concurrency' : undefined;
    if (!what) return;
    throw this.#error(
      StateErrorCodes.notSupported,
      'invalid-argument',
      `state store ${this.name} doesn't support ETags (feature ETAG); cannot honour ${what} for key ${key}`,
      undefined,
      { reason: StateErrorReasons.etagNotSupported },
    );
  }

  /**
   * Unconditional writes of distinct keys go to the store's native bulk call in one go;
   * conditional ones (and every write when a key repeats, to keep request order) one by
   * one. Every item is attempted, as Dapr's bulk does; the failures are reported together.
   */
  async #runWrites<R>(
    prepared: Prepared<R>[],
    bulk: ((requests: R[]) => Promise<void>) | undefined,
    single: (request: R) => Promise<void>,
    fail: Failure,
  ): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (run: () => Promise<void>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        failures.push(error);
      }
    };
    const unconditional = prepared.filter((item) => !item.conditional);
    const distinct = new Set(prepared.map((item) => item.key)).size === prepared.length;
    if (bulk && distinct && unconditional.length > 1) {
      await attempt(() => bulk(unconditional.map((item) => item.request)));
      for (const item of prepared) if (item.conditional) await attempt(() => single(item.request));
    } else {
      for (const item of prepared) await attempt(() => single(item.request));
    }
    if (failures.length === 0) return;
    const first = failures.find((error) => error instanceof EtagMismatchError || error instanceof EtagInvalidError) ?? failures[0];
    throw fail(failures.map(errorMessage).join('\n'), etagKind(first), first);
  }

  #error(code: string, kind: ErrorKind, message: string, cause?: unknown, extra: { reason?: string } = {}): MechaError {
    return new MechaError(code, kind, message, { ...extra, cause, resource: { type: 'state', name: this.name } });
  }
}

function etagKind(error: unknown): ErrorKind {
  if (error instanceof EtagMismatchError) return 'conflict';
  if (error instanceof EtagInvalidError) return 'invalid-argument';
  return 'internal';
}

function parseConcurrency(value: string | undefined, fail: Failure): Concurrency {
  if (value === undefined || value === null || value === '') return 'last-write';
  if (value === 'first-write' || value === 'last-write') return value;
  throw fail(`unrecognized concurrency model '${value}'`, 'internal');
}

function parseConsistency(value: string | undefined, fail: Failure): Consistency {
  if (value === undefined || value === null || value === '') return 'eventual';
  if (value === 'strong' || value === 'eventual') return value;
  throw fail(`unrecognized consistency model '${value}'`, 'internal');
}

function toBulkEntry(key: string, item: { value: Uint8Array; etag?: string; metadata?: Record<string, string> } | undefined): BulkStateEntry {
  if (!item) return { key };
  const entry: BulkStateEntry = { key, value: item.value };
  if (item.etag !== undefined) entry.etag = item.etag;
  if (item.metadata && Object.keys(item.metadata).length > 0) entry.metadata = { ...item.metadata };
  return entry;
}

export interface StateQueryResponse {
  results: { key: string; value: Uint8Array; etag?: string }[];
  token?: string;
}
