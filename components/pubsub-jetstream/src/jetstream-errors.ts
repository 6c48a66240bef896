import { errorMessage } from '@mecha/core';

/** JetStream API error codes this component reacts to. */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

function apiCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isStreamNotFound(error: unknown): boolean {
  return (
    apiCode(error) === STREAM_NOT_FOUND ||
    (error as Error | null)?.name === 'StreamNotFoundError' ||
    errorMessage(error) === 'stream not found'
  );
}

export function isConsumerNotFound(error: unknown): boolean {
  return (
    apiCode(error) === CONSUMER_NOT_FOUND ||
    (error as Error | null)?.name === 'ConsumerNotFoundError' ||
    errorMessage(error) === 'consumer not found'
  );
}

/**
 * A JetStream publish nobody answered: no stream captures the subject (or JetStream is not
 * running). The client reports it as "jetstream is not enabled", whatever the cause.
 */
export function isNoResponders(error: unknown): boolean {
  if ((error as Error | null)?.name === 'JetStreamNotEnabled') return true;
  const cause = (error as { cause?: unknown } | null)?.cause as
    | { isNoResponders?: () => boolean }
    | undefined;
  return typeof cause?.isNoResponders === 'function' && cause.isNoResponders();
}
