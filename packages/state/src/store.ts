import type { Closeable } from '@mecha/core';
import type { StoreQueryRequest, StoreQueryResult } from './query.ts';

/**
 * The contract a state component implements. Keys arrive already prefixed by the block
 * (`<appId>||<key>` and friends); values are opaque bytes. Optional abilities are optional
 * methods, declared as features in the component's definition.
 */
export type StateFeature = 'ETAG' | 'TRANSACTIONAL' | 'TTL' | 'QUERY_API' | 'ACTOR';

export type Concurrency = 'first-write' | 'last-write';
export type Consistency = 'strong' | 'eventual';

export interface StateGetRequest {
  key: string;
  consistency: Consistency;
  metadata: Record<string, string>;
}

export interface StoredItem {
  value: Uint8Array;
  etag?: string;
  /** Per-item metadata a store returns, for example `ttlExpireTime` (ISO 8601). */
  metadata?: Record<string, string>;
}

export interface StateSetRequest {
  key: string;
  value: Uint8Array;
  /** When set, the write succeeds only if the stored ETag equals it. */
  etag?: string;
  concurrency: Concurrency;
  consistency: Consistency;
  /** Present only when the store declares TTL; -1 means never expire. */
  ttlInSeconds?: number;
  metadata: Record<string, string>;
}

export interface StateDeleteRequest {
  key: string;
  etag?: string;
  concurrency: Concurrency;
  consistency: Consistency;
  metadata: Record<string, string>;
}

export type TransactionOperation =
  | { operation: 'upsert'; request: StateSetRequest }
  | { operation: 'delete'; request: StateDeleteRequest };

export interface BulkGetResult {
  key: string;
  item?: StoredItem;
  /** Set when this key alone failed; the others still answer. */
  error?: string;
}

export interface StateStore extends Closeable {
  /** Undefined when the key does not exist (or has expired). */
  get(request: StateGetRequest): Promise<StoredItem | undefined>;
  /**
   * Throws EtagMismatchError / EtagInvalidError from this package on an ETag failure. An ETag
   * is checked whatever the concurrency mode; first-write without an ETag fails when the key
   * exists (and has not expired).
   */
  set(request: StateSetRequest): Promise<void>;
  /**
   * Deleting a missing key succeeds unless an ETag is given (then it is a mismatch). Without
   * an ETag a delete is unconditional whatever the concurrency mode.
   */
  delete(request: StateDeleteRequest): Promise<void>;
  /**
   * Native bulk operations; the block loops over single calls where these are absent.
   * The block sends `bulkSet`/`bulkDelete` only unconditional requests (no ETag, last-write)
   * for distinct keys, so a store may apply them in any order or in one transaction.
   */
  bulkGet?(requests: StateGetRequest[]): Promise<BulkGetResult[]>;
  bulkSet?(requests: StateSetRequest[]): Promise<void>;
  bulkDelete?(requests: StateDeleteRequest[]): Promise<void>;
  /** All operations or none. Present exactly when the component declares TRANSACTIONAL. */
  transact?(operations: TransactionOperation[], metadata: Record<string, string>): Promise<void>;
  /** Dapr's query API over JSON values. Present exactly when the component declares QUERY_API. */
  query?(request: StoreQueryRequest): Promise<StoreQueryResult>;
}
