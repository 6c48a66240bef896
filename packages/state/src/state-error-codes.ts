/** Dapr's `errorCode` values for the state API (daprd `pkg/messages/errorcodes`). */
export const StateErrorCodes = {
  get: 'ERR_STATE_GET',
  bulkGet: 'ERR_STATE_BULK_GET',
  save: 'ERR_STATE_SAVE',
  delete: 'ERR_STATE_DELETE',
  transaction: 'ERR_STATE_TRANSACTION',
  notSupported: 'ERR_STATE_STORE_NOT_SUPPORTED',
  unsupportedOperation: 'ERR_NOT_SUPPORTED_STATE_OPERATION',
  malformedRequest: 'ERR_MALFORMED_REQUEST',
  query: 'ERR_STATE_QUERY',
} as const;

/** Dapr's ErrorInfo reasons, for the rich error details the runtime renders. */
export const StateErrorReasons = {
  illegalKey: 'DAPR_STATE_ILLEGAL_KEY',
  transactionsNotSupported: 'DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED',
  queryingNotSupported: 'DAPR_STATE_QUERYING_NOT_SUPPORTED',
  queryFailed: 'DAPR_STATE_QUERY_FAILED',
  etagNotSupported: 'DAPR_STATE_ETAG_NOT_SUPPORTED',
  ttlNotSupported: 'DAPR_STATE_TTL_NOT_SUPPORTED',
} as const;
