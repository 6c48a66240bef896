export type {
  StateStore,
  StateFeature,
  Concurrency,
  Consistency,
  StateGetRequest,
  StoredItem,
  StateSetRequest,
  StateDeleteRequest,
  TransactionOperation,
  BulkGetResult,
} from './store.ts';
export { EtagMismatchError, EtagInvalidError } from './etag-errors.ts';
export { planTransaction, type PlannedWrite, type Precondition } from './transaction-plan.ts';
export { StateErrorCodes, StateErrorReasons } from './state-error-codes.ts';
export { parseStateQuery, type StateQuery, type QueryFilter, type QuerySort, type StoreQueryRequest, type StoreQueryResult } from './query.ts';
export { stateCommonMetadata } from './common-metadata.ts';
export { KeyScheme, keySeparator, type KeySchemeOptions } from './key-scheme.ts';
export { parseTtl, ttlMetadataKey } from './ttl.ts';
export { encodeStateValue, decodeStateJson, decodeStateText } from './state-value.ts';
export { toJsonColumn, fromJsonColumn, type JsonColumnValue } from './json-column-value.ts';
export {
  StateService,
  type StateServiceOptions,
  type StateServiceFromComponentOptions,
  type StateRequestOptions,
  type GetStateOptions,
  type StateEntry,
  type GetBulkStateOptions,
  type BulkStateEntry,
  type SaveStateItem,
  type DeleteStateOptions,
  type DeleteStateItem,
  type TransactionRequest,
  type StateTransactionOperation,
  type StateQueryResponse,
} from './state-service.ts';
