import { STATUS_CODES } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { isMechaError, type ErrorKind, type MechaError } from '@mecha/core';
import { daprProtos } from './protos.ts';

/** The gRPC status of each error kind; daprd's exceptions are listed by reason and error code below. */
const codeOfKind: Record<ErrorKind, grpc.status> = {
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  'not-found': grpc.status.NOT_FOUND,
  'already-exists': grpc.status.ALREADY_EXISTS,
  conflict: grpc.status.ABORTED,
  'failed-precondition': grpc.status.FAILED_PRECONDITION,
  'permission-denied': grpc.status.PERMISSION_DENIED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  'too-large': grpc.status.RESOURCE_EXHAUSTED,
  unimplemented: grpc.status.UNIMPLEMENTED,
  unavailable: grpc.status.UNAVAILABLE,
  'deadline-exceeded': grpc.status.DEADLINE_EXCEEDED,
  internal: grpc.status.INTERNAL,
};

/**
 * Where one error code covers errors daprd answers with different gRPC codes, the ErrorInfo
 * reason decides (daprd `pkg/api/errors/state.go`, `pubsub.go`): ERR_STATE_STORE_NOT_SUPPORTED
 * is UNIMPLEMENTED for transactions but INTERNAL for queries.
 */
const codeOfReason: Record<string, grpc.status> = {
  DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED: grpc.status.UNIMPLEMENTED,
  DAPR_STATE_QUERYING_NOT_SUPPORTED: grpc.status.INTERNAL,
  DAPR_PUBSUB_TEST_NOT_FOUND: grpc.status.NOT_FOUND,
};

/**
 * Where daprd's gRPC code differs from the kind's (the kind is chosen for daprd's HTTP status).
 * Sources: daprd `pkg/api/errors/*.go` (kit errors carry both codes), `pkg/api/grpc/grpc.go`
 * (`apierrors.Basic(codes.X, …)` calls) and `pkg/messages/predefined.go`.
 */
const codeOfErrorCode: Record<string, grpc.status> = {
  ERR_STATE_STORE_NOT_CONFIGURED: grpc.status.FAILED_PRECONDITION,
  ERR_STATE_STORE_NOT_FOUND: grpc.status.INVALID_ARGUMENT,
  // Unknown transaction operation: HTTP 400 but gRPC UNIMPLEMENTED.
  ERR_NOT_SUPPORTED_STATE_OPERATION: grpc.status.UNIMPLEMENTED,
  ERR_STATE_TRANSACTION: grpc.status.INTERNAL,
  ERR_STATE_QUERY: grpc.status.INTERNAL,
  // Unknown pub/sub: HTTP 404 but gRPC INVALID_ARGUMENT; likewise an empty name or topic.
  ERR_PUBSUB_NOT_FOUND: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_EMPTY: grpc.status.INVALID_ARGUMENT,
  ERR_TOPIC_NAME_EMPTY: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_NOT_CONFIGURED: grpc.status.FAILED_PRECONDITION,
  // CloudEvent creation: HTTP 500 but gRPC INVALID_ARGUMENT.
  ERR_PUBSUB_CLOUD_EVENTS_SER: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_EVENTS_SER: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_REQUEST_METADATA: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_FORBIDDEN: grpc.status.PERMISSION_DENIED,
  ERR_PUBSUB_PUBLISH_MESSAGE: grpc.status.INTERNAL,
  ERR_MALFORMED_REQUEST: grpc.status.INVALID_ARGUMENT,
  // A failed configuration subscribe: HTTP 500 but gRPC INVALID_ARGUMENT.
  ERR_CONFIGURATION_SUBSCRIBE: grpc.status.INVALID_ARGUMENT,
};

export function grpcCodeOf(error: MechaError): grpc.status {
  const byReason = error.info.reason === undefined ? undefined : codeOfReason[error.info.reason];
  if (byReason !== undefined) return byReason;
  // Invocation errors keep their kind (an access-control deny is PERMISSION_DENIED); the rest are INTERNAL.
  if (error.code === 'ERR_DIRECT_INVOKE') return error.kind === 'permission-denied' || error.kind === 'not-found' ? codeOfKind[error.kind] : grpc.status.INTERNAL;
  return codeOfErrorCode[error.code] ?? codeOfKind[error.kind];
}

/**
 * The gRPC code daprd gives a gRPC caller when the HTTP app it invoked answered `status`
 * (daprd `pkg/messaging/v1/util.go` CodeFromHTTPStatus): OK for 2xx, UNKNOWN for anything unlisted.
 */
export function grpcCodeOfHttpStatus(status: number): grpc.status {
  if (status >= 200 && status < 300) return grpc.status.OK;
  const listed: Record<number, grpc.status> = {
    400: grpc.status.INTERNAL,
    401: grpc.status.UNAUTHENTICATED,
    403: grpc.status.PERMISSION_DENIED,
    404: grpc.status.NOT_FOUND,
    408: grpc.status.CANCELLED,
    409: grpc.status.ALREADY_EXISTS,
    429: grpc.status.RESOURCE_EXHAUSTED,
    500: grpc.status.UNKNOWN,
    501: grpc.status.UNIMPLEMENTED,
    503: grpc.status.UNAVAILABLE,
    504: grpc.status.DEADLINE_EXCEEDED,
  };
  return listed[status] ?? grpc.status.UNKNOWN;
}

type AnyMessage = { type_url: string; value: Uint8Array };

function any(typeName: string, value: Record<string, unknown>): AnyMessage {
  const type = daprProtos().root.lookupType(typeName);
  return { type_url: `type.googleapis.com/${typeName}`, value: type.encode(type.fromObject(value)).finish() };
}

/** `grpc-status-details-bin`: the `google.rpc.Status` rich clients decode. */
function statusDetails(code: grpc.status, message: string, details: AnyMessage[]): grpc.Metadata {
  const status = daprProtos().root.lookupType('google.rpc.Status');
  const encoded = status.encode(status.fromObject({ code, message, details })).finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(encoded));
  return metadata;
}

/** A status a handler decided itself (not from a MechaError), passed through unchanged by `toGrpcError`. */
export class GrpcStatusError extends Error {
  readonly status: Partial<grpc.StatusObject>;

  constructor(status: Partial<grpc.StatusObject>) {
    super(status.details ?? 'gRPC error');
    this.status = status;
  }
}

/** daprd keeps at most 63 characters of an app's error body in ErrorInfo metadata. */
const maxErrorInfoValue = 63;

/**
 * The error daprd gives a gRPC caller whose invocation reached an HTTP app that answered
 * non-2xx: the mapped code, the status text as message, and an ErrorInfo carrying the HTTP
 * status and the start of the body (daprd `pkg/messaging/v1/util.go` ErrorFromHTTPResponseCode).
 */
export function httpAppError(status: number, body: Uint8Array): GrpcStatusError {
  const code = grpcCodeOfHttpStatus(status);
  const text = STATUS_CODES[status] ?? '';
  let detail = Buffer.from(body);
  if (detail.length >= maxErrorInfoValue) detail = detail.subarray(0, maxErrorInfoValue);
  const info = any('google.rpc.ErrorInfo', {
    reason: text,
    domain: 'dapr.io',
    metadata: { 'http.code': String(status), 'http.error_message': detail.toString('utf8') },
  });
  return new GrpcStatusError({ code, details: text, metadata: statusDetails(code, text, [info]) });
}

/**
 * A gRPC error as daprd sends it: the status code, the message, and a `google.rpc.Status`
 * in the `grpc-status-details-bin` trailer with ResourceInfo (where the error names a
 * resource) then ErrorInfo (reason, domain `dapr.io`), in daprd's order.
 */
export function toGrpcError(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof GrpcStatusError) return error.status;
  if (!isMechaError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: grpc.status.INTERNAL, details: message, metadata: new grpc.Metadata() };
  }
  const code = grpcCodeOf(error);
  const details: AnyMessage[] = [];
  if (error.info.resource) {
    details.push(
      any('google.rpc.ResourceInfo', {
        resource_type: error.info.resource.type,
        resource_name: error.info.resource.name,
        owner: '',
        description: error.message,
      }),
    );
  }
  details.push(
    any('google.rpc.ErrorInfo', {
      reason: error.info.reason ?? error.code,
      domain: 'dapr.io',
      metadata: { ...(error.info.metadata ?? {}), errorCode: error.code },
    }),
  );
  return { code, details: error.message, metadata: statusDetails(code, error.message, details) };
}
