import { isMechaError, type ErrorKind, type MechaError } from '@mecha/core';

/** The HTTP status of each error kind; daprd's exceptions are listed by error code below. */
const statusOfKind: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  'not-found': 404,
  'already-exists': 409,
  conflict: 409,
  'failed-precondition': 400,
  'permission-denied': 403,
  unauthenticated: 401,
  'too-large': 413,
  unimplemented: 501,
  unavailable: 500,
  'deadline-exceeded': 500,
  internal: 500,
};

/** Where daprd's HTTP status differs from the kind's usual status. */
const statusOfCode: Record<string, number> = {
  ERR_STATE_STORE_NOT_CONFIGURED: 500,
  ERR_STATE_STORE_NOT_SUPPORTED: 500,
  ERR_PUBSUB_NOT_CONFIGURED: 400,
  ERR_DIRECT_INVOKE: 500,
  ERR_HEALTH_NOT_READY: 500,
  ERR_OUTBOUND_HEALTH_NOT_READY: 500,
  // daprd answers an unknown secret store with 401, and no secret store at all with 500.
  ERR_SECRET_STORE_NOT_FOUND: 401,
  ERR_SECRET_STORES_NOT_CONFIGURED: 500,
  ERR_LOCK_STORE_NOT_CONFIGURED: 500,
  ERR_CONFIGURATION_STORE_NOT_CONFIGURED: 500,
};

export function httpStatusOf(error: MechaError): number {
  if (error.code === 'ERR_DIRECT_INVOKE' && error.kind === 'not-found') return 404;
  if (error.code === 'ERR_DIRECT_INVOKE' && error.kind === 'permission-denied') return 403;
  return statusOfCode[error.code] ?? statusOfKind[error.kind];
}

export interface DaprErrorBody {
  errorCode: string;
  message: string;
  details?: Record<string, unknown>[];
}

/** Dapr's error body, with google.rpc ErrorInfo/ResourceInfo details where the error carries them. */
export function errorBody(error: MechaError): DaprErrorBody {
  const body: DaprErrorBody = { errorCode: error.code, message: error.message };
  const details: Record<string, unknown>[] = [];
  if (error.info.resource) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
      resource_type: error.info.resource.type,
      resource_name: error.info.resource.name,
      owner: '',
      description: error.message,
    });
  }
  if (error.info.reason) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: error.info.reason,
      domain: 'dapr.io',
      metadata: error.info.metadata ?? null,
    });
  }
  if (details.length > 0) body.details = details;
  return body;
}

/** Anything thrown that is not a MechaError is a bug or a backend surprise: a 500 that says so. */
export function toHttpError(error: unknown, fallbackCode = 'ERR_INTERNAL'): { status: number; body: DaprErrorBody } {
  if (isMechaError(error)) return { status: httpStatusOf(error), body: errorBody(error) };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { errorCode: fallbackCode, message } };
}
