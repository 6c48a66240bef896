import { ExponentialBackoff, type IBackoff } from 'cockatiel';

/**
 * How the block retries a delivery the app answered with RETRY (or failed): exponential
 * backoff without jitter, `initialDelayMs · factor^n` capped at `maxDelayMs`, for at most
 * `maxAttempts` deliveries in total (the first one included).
 */
export interface RetryOptions {
  initialDelayMs?: number;
  factor?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
}

export const defaultRetryOptions: Required<RetryOptions> = {
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 5000,
  maxAttempts: 10,
};

export function resolveRetryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  const resolved = { ...defaultRetryOptions, ...withoutUndefined(options) };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(
      `retry.maxAttempts must be a whole number of at least 1 (got ${resolved.maxAttempts})`,
    );
  }
  for (const key of ['initialDelayMs', 'maxDelayMs', 'factor'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0) {
      throw new RangeError(`retry.${key} must be a non-negative number (got ${resolved[key]})`);
    }
  }
  return resolved;
}

function withoutUndefined(options: RetryOptions): RetryOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** A fresh backoff sequence for one message: the delay before retry 1, 2, 3, … */
export function backoffSequence(options: Required<RetryOptions>): () => number {
  const factory = new ExponentialBackoff<number>({
    initialDelay: options.initialDelayMs,
    maxDelay: options.maxDelayMs,
    exponent: options.factor,
    generator: (attempt = 0, settings) => [
      Math.min(settings.maxDelay, settings.initialDelay * settings.exponent ** attempt),
      attempt + 1,
    ],
  });
  let current: IBackoff<unknown> | undefined;
  return () => {
    current = current ? current.next(undefined) : factory.next();
    return current.duration;
  };
}
