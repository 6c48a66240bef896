import { errorMessage } from '@mecha/core';

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * True when the error says the server could not be reached or went away, rather than that a
 * statement was wrong: network errors, pool and query timeouts, a terminated connection, and
 * PostgreSQL's connection (08) and operator-intervention (57P) classes.
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (networkCodes.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
  return /timeout|Connection terminated|connection ended|Client was closed|not queryable/i.test(errorMessage(error));
}

/** Wraps a connection failure in a message naming the server, so a caller knows what is down. */
export function describeFailure(error: unknown, address: string): unknown {
  if (!isConnectionFailure(error)) return error;
  return new Error(`PostgreSQL at ${address} is unavailable: ${errorMessage(error)}`, { cause: error });
}
