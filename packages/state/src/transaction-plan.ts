import { EtagMismatchError } from './etag-errors.ts';
import type { StateSetRequest, TransactionOperation } from './store.ts';

/** What must hold of the stored item before a transaction may change it. */
export type Precondition = { kind: 'etag'; etag: string } | { kind: 'absent' } | { kind: 'none' };

/** The one write a transaction makes to a key, with the precondition of its first operation. */
export interface PlannedWrite {
  key: string;
  precondition: Precondition;
  /** The final upsert, or undefined when the key ends deleted. */
  upsert?: StateSetRequest;
}

/**
 * For stores whose transactions write each item once (DynamoDB refuses two operations on one
 * item; a Firestore commit writes each document once): the operations on each key are folded
 * into one write that leaves what applying them in order would leave. A later
 * operation can only carry an ETag the transaction itself made (unknowable to the caller), so an
 * ETag or a first-write on a key the transaction already touched can only be a mismatch.
 */
export function planTransaction(operations: readonly TransactionOperation[]): PlannedWrite[] {
  const byKey = new Map<string, PlannedWrite>();
  for (const { operation, request } of operations) {
    const etag = request.etag === undefined || request.etag === '' ? undefined : request.etag;
    const firstWrite = operation === 'upsert' && request.concurrency === 'first-write';
    const planned = byKey.get(request.key);
    if (!planned) {
      const precondition: Precondition =
        etag !== undefined ? { kind: 'etag', etag } : firstWrite ? { kind: 'absent' } : { kind: 'none' };
      byKey.set(request.key, { key: request.key, precondition, ...(operation === 'upsert' ? { upsert: request } : {}) });
      continue;
    }
    if (etag !== undefined) {
      throw new EtagMismatchError(`key ${request.key} was already changed earlier in this transaction, so etag ${etag} cannot match`);
    }
    if (firstWrite && planned.upsert) {
      throw new EtagMismatchError(`first-write on key ${request.key}, which this transaction already wrote`);
    }
    if (operation === 'upsert') planned.upsert = request;
    else delete planned.upsert;
  }
  return [...byKey.values()];
}
