import * as grpc from '@grpc/grpc-js';
import { isMechaError, type ErrorKind, type MechaError } from '@mecha/core';
import { daprProtos } from './protos.ts';

/** The gRPC status of each error kind; daprd's exceptions are listed by error code below. */
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

/** Where daprd's gRPC code differs from the kind's usual one (its HTTP mapping is elsewhere). */
const codeOfErrorCode: Record<string, grpc.status> = {
  ERR_STATE_STORE_NOT_SUPPORTED: grpc.status.UNIMPLEMENTED,
  ERR_STATE_STORE_NOT_CONFIGURED: grpc.status.FAILED_PRECONDITION,
  ERR_PUBSUB_NOT_FOUND: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_EMPTY: grpc.status.INVALID_ARGUMENT,
  ERR_TOPIC_NAME_EMPTY: grpc.status.INVALID_ARGUMENT,
  ERR_PUBSUB_NOT_CONFIGURED: grpc.status.FAILED_PRECONDITION,
};

export function grpcCodeOf(error: MechaError): grpc.status {
  return codeOfErrorCode[error.code] ?? codeOfKind[error.kind];
}

function any(typeName: string, value: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  const type = daprProtos().root.lookupType(typeName);
  return { type_url: `type.googleapis.com/${typeName}`, value: type.encode(type.fromObject(value)).finish() };
}

/**
 * A gRPC error as daprd sends it: the status code, the message, and a `google.rpc.Status`
 * in the `grpc-status-details-bin` trailer with ErrorInfo (reason, domain `dapr.io`) and
 * ResourceInfo details where the error carries them.
 */
export function toGrpcError(error: unknown): Partial<grpc.StatusObject> {
  if (!isMechaError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: grpc.status.INTERNAL, details: message, metadata: new grpc.Metadata() };
  }
  const code = grpcCodeOf(error);
  const details: { type_url: string; value: Uint8Array }[] = [];
  details.push(
    any('google.rpc.ErrorInfo', {
      reason: error.info.reason ?? error.code,
      domain: 'dapr.io',
      metadata: { ...(error.info.metadata ?? {}), errorCode: error.code },
    }),
  );
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
  const status = daprProtos().root.lookupType('google.rpc.Status');
  const encoded = status.encode(status.fromObject({ code, message: error.message, details })).finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(encoded));
  return { code, details: error.message, metadata };
}
