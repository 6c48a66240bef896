import { errorMessage } from '@mecha/core';

const transportCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

/**
 * An SDK failure as an error a user can act on: an unreachable or silent server is named as
 * such (with the endpoint), an AWS error keeps its name (`ResourceNotFoundException`, …).
 */
export function describeDynamoError(error: unknown, kind: 'read' | 'write', where: string): Error {
  const details = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null;
  const code = details?.code ?? (error as { cause?: { code?: string } } | null)?.cause?.code;
  const name = details?.name ?? 'Error';
  const unknownOutcome = kind === 'write' ? ' (the write may or may not have been applied)' : '';
  if ((code !== undefined && transportCodes.has(code)) || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new Error(`DynamoDB unreachable for ${where}: ${errorMessage(error)}${unknownOutcome}`, { cause: error });
  }
  if (details?.$metadata?.httpStatusCode === undefined) {
    return new Error(`DynamoDB request failed for ${where}: ${name}: ${errorMessage(error)}${unknownOutcome}`, { cause: error });
  }
  return new Error(`DynamoDB refused the request for ${where}: ${name}: ${errorMessage(error)}`, { cause: error });
}
