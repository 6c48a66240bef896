import { randomUUID } from 'node:crypto';
import { Firestore, Timestamp, type DocumentData, type DocumentReference, type DocumentSnapshot, type Settings, type UpdateData } from '@google-cloud/firestore';
import { errorMessage } from '@mecha/core';
import {
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type TransactionOperation,
} from '@mecha/state';
import { documentId } from './document-id.ts';
import { planTransaction, type Precondition } from '@mecha/state';

export interface FirestoreStateStoreOptions {
  projectId: string;
  /** Collection name; default `DaprState`. */
  collection?: string;
  /** Service-account credentials; without them, application default credentials. */
  credentials?: { client_email: string; private_key: string };
  /** A custom endpoint, `host` or `host:port`, over TLS. */
  endpoint?: string;
  /** `host:port` of an emulator: plaintext, no credentials. */
  emulatorHost?: string;
  /** How long one call may take in all, default 10 000 ms. */
  requestTimeoutMs?: number;
  /** A ready client; the connection fields are then ignored and the store does not terminate it. */
  firestore?: Firestore;
}

/** Firestore's limit on the writes of one commit. */
export const maxTransactionWrites = 500;

const grpc = { NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9, ABORTED: 10 } as const;

interface StateDocument {
  key: string;
  value: Uint8Array;
  etag: string;
  /**
   * Null when the item never expires. Every write gives every field, so a write replaces the
   * whole document even where a `set` merges (the emulator does) and needs no field deletion
   * (which the emulator ignores); a Firestore TTL policy skips documents whose field is null.
   */
  expireAt: Timestamp | null;
}

/**
 * State in one Firestore collection, a document per key: `key`, `value` (bytes), `etag` (a UUID,
 * new on every write) and `expireAt` for items saved with a TTL (point a Firestore TTL policy
 * at it). A conditional write reads the document, checks the ETag (or absence) itself, and
 * writes with Firestore's precondition on the update time it read (or on non-existence), so a
 * concurrent change in between fails the write instead of being lost. A transaction reads all
 * its documents at once and commits all its writes in one atomic commit, each under the same
 * kind of precondition. Expired documents count as absent before Firestore deletes them.
 */
export class FirestoreStateStore implements StateStore {
  readonly #db: Firestore;
  readonly #collection: string;
  readonly #timeoutMs: number;
  readonly #where: string;
  readonly #ownsClient: boolean;

  constructor(options: FirestoreStateStoreOptions) {
    if (!options.projectId) throw new Error('missing GCP project ID (metadata field "project_id")');
    this.#collection = options.collection || 'DaprState';
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    const host = options.emulatorHost || options.endpoint;
    this.#where = `collection ${this.#collection} of project ${options.projectId}${host ? ` at ${host}` : ''}`;
    this.#ownsClient = options.firestore === undefined;
    this.#db = options.firestore ?? new Firestore(settingsOf(options));
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const snapshot = await this.#call('read', () => this.#ref(request.key).get());
    return this.#live(snapshot) ? toItem(snapshot) : undefined;
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    if (requests.length === 0) return [];
    const keys = [...new Set(requests.map((request) => request.key))];
    const snapshots = await this.#call('read', () => this.#db.getAll(...keys.map((key) => this.#ref(key))));
    const byKey = new Map(keys.map((key, index) => [key, snapshots[index]!]));
    return requests.map((request) => {
      const snapshot = byKey.get(request.key)!;
      return this.#live(snapshot) ? { key: request.key, item: toItem(snapshot) } : { key: request.key };
    });
  }

  async set(request: StateSetRequest): Promise<void> {
    const ref = this.#ref(request.key);
    const data = documentOf(request);
    const precondition = preconditionOf(request.etag, request.concurrency === 'first-write');
    if (precondition.kind === 'none') {
      await this.#call('write', () => ref.set(data));
      return;
    }
    const current = await this.#call('read', () => ref.get());
    this.#check(request.key, precondition, current);
    await this.#call('write', () => {
      const batch = this.#db.batch();
      if (current.exists) batch.update(ref, { ...data } as UpdateData<DocumentData>, { lastUpdateTime: current.updateTime! });
      else batch.create(ref, data);
      return batch.commit();
    });
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    const ref = this.#ref(request.key);
    const precondition = preconditionOf(request.etag, false);
    if (precondition.kind === 'none') {
      await this.#call('write', () => ref.delete());
      return;
    }
    const current = await this.#call('read', () => ref.get());
    this.#check(request.key, precondition, current);
    await this.#call('write', () => ref.delete({ lastUpdateTime: current.updateTime! }));
  }

  async transact(operations: TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    const writes = planTransaction(operations);
    if (writes.length > maxTransactionWrites) {
      throw new Error(`a Firestore commit can write at most ${maxTransactionWrites} documents; this transaction changes ${writes.length} keys`);
    }
    const refs = writes.map((write) => this.#ref(write.key));
    const conditional = writes.some((write) => write.precondition.kind !== 'none');
    const current = conditional ? await this.#call('read', () => this.#db.getAll(...refs)) : [];
    await this.#call('write', () => {
      const batch = this.#db.batch();
      writes.forEach((write, index) => {
        const ref = refs[index]!;
        const snapshot = current[index];
        if (write.precondition.kind !== 'none') this.#check(write.key, write.precondition, snapshot!);
        // Guard every conditional write by what was read, so the commit fails if it changed since.
        const guard = write.precondition.kind === 'none' ? undefined : snapshot!.exists ? { lastUpdateTime: snapshot!.updateTime! } : 'absent';
        if (!write.upsert) {
          if (guard === 'absent') return; // nothing there, and it must stay so only until the commit: a create-then-delete is a no-op
          if (guard) batch.delete(ref, guard);
          else batch.delete(ref);
          return;
        }
        const data = documentOf(write.upsert);
        if (guard === 'absent') batch.create(ref, data);
        else if (guard) batch.update(ref, { ...data } as UpdateData<DocumentData>, guard);
        else batch.set(ref, data);
      });
      return batch.commit();
    });
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#db.terminate();
  }

  #ref(key: string): DocumentReference {
    return this.#db.collection(this.#collection).doc(documentId(key));
  }

  #live(snapshot: DocumentSnapshot): boolean {
    if (!snapshot.exists) return false;
    const expireAt = snapshot.get('expireAt') as Timestamp | undefined;
    return !(expireAt instanceof Timestamp) || expireAt.toMillis() > Date.now();
  }

  #check(key: string, precondition: Precondition, snapshot: DocumentSnapshot): void {
    const live = this.#live(snapshot);
    if (precondition.kind === 'absent' && live) throw new EtagMismatchError(`document for key ${key} already exists and no etag was given`);
    if (precondition.kind === 'etag' && (!live || snapshot.get('etag') !== precondition.etag)) {
      throw new EtagMismatchError(`no current document for key ${key} with etag ${precondition.etag}`);
    }
  }

  /** Bounds a call by the request timeout and turns failures into errors that say where and what. */
  async #call<T>(kind: 'read' | 'write', run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `Firestore did not answer within ${this.#timeoutMs} ms for ${this.#where}${kind === 'write' ? ' (the write may or may not be applied)' : ''}; is it reachable?`,
            ),
          ),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (error instanceof EtagMismatchError) throw error;
      const code = (error as { code?: unknown }).code;
      if (kind === 'write' && (code === grpc.FAILED_PRECONDITION || code === grpc.ALREADY_EXISTS || code === grpc.NOT_FOUND || code === grpc.ABORTED)) {
        throw new EtagMismatchError(`the document changed before the write could apply (${errorMessage(error)})`, { cause: error });
      }
      if (error instanceof Error && error.message.startsWith('Firestore did not answer')) throw error;
      throw new Error(`Firestore request failed for ${this.#where}: ${errorMessage(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

function preconditionOf(etag: string | undefined, firstWrite: boolean): Precondition {
  if (etag !== undefined && etag !== '') return { kind: 'etag', etag };
  return firstWrite ? { kind: 'absent' } : { kind: 'none' };
}

function documentOf(request: StateSetRequest): StateDocument {
  const ttl = request.ttlInSeconds;
  return {
    key: request.key,
    value: Buffer.from(request.value.buffer, request.value.byteOffset, request.value.byteLength),
    etag: randomUUID(),
    expireAt: ttl !== undefined && ttl > 0 ? Timestamp.fromMillis(Date.now() + ttl * 1000) : null,
  };
}

function toItem(snapshot: DocumentSnapshot): StoredItem {
  const value = snapshot.get('value') as Uint8Array | string | undefined;
  const bytes = value === undefined ? new Uint8Array(0) : typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
  const item: StoredItem = { value: bytes, metadata: {} };
  const etag = snapshot.get('etag') as unknown;
  if (typeof etag === 'string') item.etag = etag;
  const expireAt = snapshot.get('expireAt') as unknown;
  if (expireAt instanceof Timestamp) item.metadata!.ttlExpireTime = expireAt.toDate().toISOString();
  return item;
}

function settingsOf(options: FirestoreStateStoreOptions): Settings {
  const settings: Settings = { projectId: options.projectId, ignoreUndefinedProperties: true };
  if (options.emulatorHost) {
    // What the client library does for FIRESTORE_EMULATOR_HOST, for this store only.
    settings.host = options.emulatorHost;
    settings.ssl = false;
    settings.customHeaders = { Authorization: 'Bearer owner' };
    return settings;
  }
  if (options.endpoint) settings.host = options.endpoint.replace(/^https?:\/\//, '');
  if (options.credentials) settings.credentials = options.credentials;
  return settings;
}
