/**
 * Dapr's `errorCode` values used across blocks. Blocks may add their own next to their
 * code, but the shared ones live here so the HTTP and gRPC adapters agree on them.
 */
export const ErrorCodes = {
  malformedRequest: 'ERR_MALFORMED_REQUEST',
  malformedRequestData: 'ERR_MALFORMED_REQUEST_DATA',
  bodyTooLarge: 'ERR_BODY_TOO_LARGE',
  notFound: 'ERR_NOT_FOUND',
  apiUnauthorized: 'ERR_API_UNAUTHORIZED',
  healthNotReady: 'ERR_HEALTH_NOT_READY',
  outboundHealthNotReady: 'ERR_OUTBOUND_HEALTH_NOT_READY',
  metadataGet: 'ERR_METADATA_GET',
  internal: 'ERR_INTERNAL',
  notImplemented: 'ERR_NOT_IMPLEMENTED',
} as const;
