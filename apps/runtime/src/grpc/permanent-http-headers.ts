/**
 * HTTP headers that mean something to HTTP/2 itself (or to gRPC's framing). daprd renames them
 * `dapr-<name>` when it turns HTTP headers into gRPC metadata, in either direction, so the
 * other side still sees them (daprd `pkg/messaging/v1/util.go`).
 */
export const permanentHttpHeaders: ReadonlySet<string> = new Set([
  'accept',
  'accept-charset',
  'accept-language',
  'accept-ranges',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'cache-control',
  'content-type',
  'content-length',
  'cookie',
  'date',
  'expect',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-schedule-tag-match',
  'if-unmodified-since',
  'max-forwards',
  'origin',
  'pragma',
  'referer',
  'via',
  'warning',
]);
