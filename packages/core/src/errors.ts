/**
 * The one error type every Mecha package throws for a failure a caller should see.
 *
 * `code` is Dapr's `errorCode` (for example `ERR_STATE_STORE_NOT_FOUND`), so a Dapr SDK
 * recognises it. `kind` is the protocol-neutral category (named after gRPC's canonical
 * codes); the API adapters in the runtime turn it into an HTTP status or a gRPC status.
 * Block packages therefore never mention a wire protocol.
 */
export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'conflict' // optimistic concurrency: an ETag mismatch (HTTP 409, gRPC ABORTED)
  | 'failed-precondition'
  | 'permission-denied'
  | 'unauthenticated'
  | 'too-large'
  | 'unimplemented'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'internal';

export interface ErrorInfo {
  /** A short machine-readable reason, for example `DAPR_STATE_ETAG_MISMATCH`. */
  reason?: string;
  /** The resource involved, for example the store or pub/sub name. */
  resource?: { type: string; name: string };
  /** Extra key/values for the caller (never secrets). */
  metadata?: Record<string, string>;
}

export interface MechaErrorOptions extends ErrorInfo {
  cause?: unknown;
}

export class MechaError extends Error {
  override readonly name = 'MechaError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly info: ErrorInfo;

  constructor(code: string, kind: ErrorKind, message: string, options: MechaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = kind;
    const { cause: _cause, ...info } = options;
    this.info = info;
  }

  /** JSON body in Dapr's error format. */
  toJSON(): { errorCode: string; message: string } {
    return { errorCode: this.code, message: this.message };
  }
}

export function isMechaError(error: unknown): error is MechaError {
  return error instanceof MechaError;
}

/** The message of anything thrown, for wrapping a backend's error into a MechaError. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
