import { errorMessage } from '@mecha/core';

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/**
 * True when the error says the server could not be reached or went away (or did not answer
 * in time), rather than that a statement was wrong. Such a connection is never reused.
 */
export function isConnectionFailure(error: unknown): boolean {
  const failure = error as { code?: unknown; fatal?: unknown } | null;
  if (failure?.fatal === true) return true;
  if (typeof failure?.code === 'string' && networkCodes.has(failure.code)) return true;
  return /timeout|timed out|closed state|Connection lost/i.test(errorMessage(error));
}

/** Wraps a connection failure in a message naming the server, so a caller knows what is down. */
export function describeFailure(error: unknown, address: string): unknown {
  if (!isConnectionFailure(error)) return error;
  return new Error(`MySQL at ${address} is unavailable: ${errorMessage(error) || String((error as { code?: unknown }).code)}`, { cause: error });
}
