/**
 * The messages of `dapr.proto.internals.v1.ServiceInvocation` as grpc-js hands them to us
 * and takes them back (see protos.ts: snake_case fields, enums as names, bytes as Buffers,
 * absent sub-messages as null). Types only; the protocol itself comes from @dapr/dapr's protos.
 */

/** `map<string, ListStringValue>`: HTTP headers or gRPC metadata, each with its values. */
export type InternalMetadata = Record<string, { values: string[] }>;

export interface WireAny {
  type_url: string;
  value: Uint8Array;
}

/** `common.v1.HTTPExtension.Verb` by name: NONE, GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH. */
export type WireVerb = string;

export interface WireInvokeRequest {
  method: string;
  data: WireAny | null;
  content_type: string;
  http_extension: { verb: WireVerb; querystring: string } | null;
}

export interface InternalInvokeRequest {
  ver: string;
  metadata: InternalMetadata;
  message: WireInvokeRequest | null;
  actor?: { actor_type: string; actor_id: string } | null;
}

export interface InternalInvokeResponse {
  /** `code` is the app's HTTP status for an HTTP app, a gRPC status code (< 100) for a gRPC app. */
  status: { code: number; message: string; details?: WireAny[] } | null;
  headers: InternalMetadata;
  trailers?: InternalMetadata;
  message: { data: WireAny | null; content_type: string } | null;
}

export interface StreamPayload {
  data: Uint8Array;
  /** uint64, a string when received (longs as strings), a number when sent. */
  seq: string | number;
}

export interface InternalInvokeRequestStream {
  request: InternalInvokeRequest | null;
  payload: StreamPayload | null;
}

export interface InternalInvokeResponseStream {
  response: InternalInvokeResponse | null;
  payload: StreamPayload | null;
}
