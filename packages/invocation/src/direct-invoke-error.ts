import { MechaError, errorMessage } from '@mecha/core';

/** Dapr's errorCode for every service invocation failure. */
export const DIRECT_INVOKE_ERROR_CODE = 'ERR_DIRECT_INVOKE';

/**
 * An invocation failure. daprd answers every one of them (unknown app id, unreachable app
 * or sidecar, no app channel) with HTTP 500, so the kind is `internal`.
 */
export function directInvokeError(message: string, options: { cause?: unknown; metadata?: Record<string, string> } = {}): MechaError {
  return new MechaError(DIRECT_INVOKE_ERROR_CODE, 'internal', message, options);
}

/** Explains a transport failure (undici or node:net) in a line: its code and message. */
export function describeTransportError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  // Dialing a name with several addresses (localhost: ::1 and 127.0.0.1) fails with an empty AggregateError.
  const message =
    error instanceof AggregateError && !error.message ? error.errors.map((inner) => errorMessage(inner)).join('; ') : errorMessage(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
