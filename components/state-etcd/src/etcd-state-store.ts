import {
  EtagInvalidError,
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type TransactionOperation,
} from '@mecha/state';
import { b64, EtcdGateway, type EtcdGatewayOptions } from './etcd-gateway.ts';

export interface EtcdStateStoreOptions extends EtcdGatewayOptions {
  /** Prepended, with `/`, to every key (Dapr's `keyPrefixPath`). */
  keyPrefixPath: string;
  /** Most operations one transaction may hold (the server's `--max-txn-ops`, default 128). */
  maxTxnOps: number;
}

interface KeyValue {
  key: string;
  value?: string;
  mod_revision: string;
  lease?: string;
}
interface RangeResponse {
  kvs?: KeyValue[];
}
interface TxnResponse {
  succeeded?: boolean;
  responses?: Array<{ response_range?: RangeResponse }>;
}
type Compare = { key: string; target: 'MOD' | 'CREATE'; result: 'EQUAL'; mod_revision?: string; create_revision?: string };
type RequestOp = { request_put: { key: string; value: string; lease?: string } } | { request_delete_range: { key: string } } | { request_range: { key: string } };

/**
 * State in etcd v3, through its JSON gateway. ETags are an item's `mod_revision`; every ETag
 * check is a compare inside a server-side transaction, so it is atomic. TTL attaches a lease
 * granted for the write. Transactions are one etcd transaction (all compares, then all writes).
 */
export class EtcdStateStore implements StateStore {
  readonly #gateway: EtcdGateway;
  readonly #prefix: string;
  readonly #maxTxnOps: number;

  constructor(options: EtcdStateStoreOptions) {
    this.#gateway = new EtcdGateway(options);
    this.#prefix = options.keyPrefixPath;
    this.#maxTxnOps = options.maxTxnOps;
  }

  /** Reads the cluster status, so a wrong address fails at start-up. */
  async ping(): Promise<void> {
    await this.#gateway.call('/v3/maintenance/status', {});
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const response = await this.#gateway.call<RangeResponse>('/v3/kv/range', { key: this.#key(request.key) });
    const kv = response.kvs?.[0];
    return kv && this.#toStored(kv);
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    const results: BulkGetResult[] = [];
    for (let start = 0; start < requests.length; start += this.#maxTxnOps) {
      const batch = requests.slice(start, start + this.#maxTxnOps);
      const response = await this.#gateway.call<TxnResponse>('/v3/kv/txn', {
        success: batch.map((request) => ({ request_range: { key: this.#key(request.key) } })),
      });
      const items = await Promise.all((response.responses ?? []).map((entry) => entry.response_range?.kvs?.[0]).map((kv) => kv && this.#toStored(kv)));
      batch.forEach((request, i) => {
        const item = items[i];
        results.push(item ? { key: request.key, item } : { key: request.key });
      });
    }
    return results;
  }

  async set(request: StateSetRequest): Promise<void> {
    const compare = this.#condition(request);
    const lease = await this.#lease(request.ttlInSeconds);
    const put: RequestOp = { request_put: { key: this.#key(request.key), value: b64(request.value), ...(lease && { lease }) } };
    if (!compare) {
      await this.#gateway.call('/v3/kv/put', put.request_put);
      return;
    }
    const response = await this.#gateway.call<TxnResponse>('/v3/kv/txn', { compare: [compare], success: [put] });
    if (!response.succeeded) {
      if (lease) void this.#revoke(lease);
      throw request.etag !== undefined
        ? new EtagMismatchError(`key ${request.key} is missing or has another etag`)
        : new EtagMismatchError(`item already exists and no etag was passed for key ${request.key}`);
    }
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    const key = this.#key(request.key);
    if (request.etag === undefined) {
      await this.#gateway.call('/v3/kv/deleterange', { key });
      return;
    }
    const response = await this.#gateway.call<TxnResponse>('/v3/kv/txn', {
      compare: [modRevisionIs(key, parseRevision(request.etag))],
      success: [{ request_delete_range: { key } }],
    });
    if (!response.succeeded) throw new EtagMismatchError(`failed to delete ${request.key}`);
  }

  /**
   * etcd refuses two writes to one key in a transaction, so only the last write per key is sent.
   * The compares see the state before the transaction; a condition on a key an earlier operation
   * of the same transaction wrote is decided here as applying them in order would decide it.
   */
  async transact(operations: TransactionOperation[]): Promise<void> {
    if (operations.length > this.#maxTxnOps) {
      throw new Error(`the transaction has ${operations.length} operations; etcd accepts at most ${this.#maxTxnOps} (maxTxnOps)`);
    }
    const compares: Compare[] = [];
    const lastWrite = new Map<string, TransactionOperation>();
    for (const operation of operations) {
      const { request } = operation;
      const key = this.#key(request.key);
      const earlier = lastWrite.get(key);
      if (earlier) {
        if (request.etag !== undefined) {
          parseRevision(request.etag);
          throw new EtagMismatchError(`key ${request.key} was written earlier in the transaction, so its etag cannot match`);
        }
        if (operation.operation === 'upsert' && request.concurrency === 'first-write' && earlier.operation === 'upsert') {
          throw new EtagMismatchError(`item already exists and no etag was passed for key ${request.key}`);
        }
      } else {
        const compare = operation.operation === 'upsert' ? this.#condition(operation.request) : request.etag !== undefined ? modRevisionIs(key, parseRevision(request.etag)) : undefined;
        if (compare) compares.push(compare);
      }
      lastWrite.delete(key);
      lastWrite.set(key, operation);
    }
    const leases: string[] = [];
    const success: RequestOp[] = [];
    for (const [key, operation] of lastWrite) {
      if (operation.operation === 'delete') {
        success.push({ request_delete_range: { key } });
        continue;
      }
      const lease = await this.#lease(operation.request.ttlInSeconds);
      if (lease) leases.push(lease);
      success.push({ request_put: { key, value: b64(operation.request.value), ...(lease && { lease }) } });
    }
    const response = await this.#gateway.call<TxnResponse>('/v3/kv/txn', { compare: compares, success });
    if (!response.succeeded) {
      for (const lease of leases) void this.#revoke(lease);
      throw new EtagMismatchError('an etag or first-write condition of the transaction failed; nothing was applied');
    }
  }

  async close(): Promise<void> {
    this.#gateway.close();
  }

  #key(key: string): string {
    return b64(`${this.#prefix}/${key}`);
  }

  /** The compare a write needs: its ETag, or absence for a first-write without one. */
  #condition(request: StateSetRequest): Compare | undefined {
    const key = this.#key(request.key);
    if (request.etag !== undefined) return modRevisionIs(key, parseRevision(request.etag));
    if (request.concurrency === 'first-write') return { key, target: 'CREATE', result: 'EQUAL', create_revision: '0' };
    return undefined;
  }

  async #lease(ttlInSeconds: number | undefined): Promise<string | undefined> {
    if (ttlInSeconds === undefined || ttlInSeconds <= 0) return undefined;
    const granted = await this.#gateway.call<{ ID: string }>('/v3/lease/grant', { TTL: String(ttlInSeconds) });
    return granted.ID;
  }

  async #revoke(lease: string): Promise<void> {
    // Best effort: an unused lease expires by itself anyway.
    await this.#gateway.call('/v3/lease/revoke', { ID: lease }).catch(() => undefined);
  }

  async #toStored(kv: KeyValue): Promise<StoredItem> {
    const value = kv.value === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(kv.value, 'base64'));
    const item: StoredItem = { value, etag: kv.mod_revision };
    if (kv.lease && kv.lease !== '0') {
      const lease = await this.#gateway.call<{ TTL?: string }>('/v3/lease/timetolive', { ID: kv.lease });
      const ttl = Number(lease.TTL ?? -1);
      if (ttl >= 0) item.metadata = { ttlExpireTime: new Date(Date.now() + ttl * 1000).toISOString() };
    }
    return item;
  }
}

function modRevisionIs(key: string, revision: string): Compare {
  return { key, target: 'MOD', result: 'EQUAL', mod_revision: revision };
}

/**
 * An ETag is a positive revision number. `0` is what etcd compares a missing key's revision
 * as, so it is refused as a match for anything: it would turn a guarded write into a create.
 */
function parseRevision(etag: string): string {
  if (!/^\d{1,19}$/.test(etag) || BigInt(etag) > 0x7fff_ffff_ffff_ffffn) throw new EtagInvalidError(`'${etag}' is not an etcd revision`);
  if (BigInt(etag) === 0n) throw new EtagMismatchError('revision 0 matches no item');
  return etag;
}
