/**
 * How the block retries an input event the app failed to take: exponential backoff without
 * jitter, `initialDelayMs · factor^n` capped at `maxDelayMs`, for at most `maxAttempts`
 * deliveries in total (the first one included). Then the event goes back to the component
 * unacknowledged. The same shape as the pub/sub block's, so one Resiliency policy reader fills both.
 */
export interface RetryOptions {
  initialDelayMs?: number;
  factor?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
}

/** The pub/sub block's defaults: 10 attempts over about 15 s. */
export const defaultRetryOptions: Required<RetryOptions> = {
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 5000,
  maxAttempts: 10,
};

export function resolveRetryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as RetryOptions;
  const resolved = { ...defaultRetryOptions, ...given };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be a whole number of at least 1 (got ${resolved.maxAttempts})`);
  }
  for (const key of ['initialDelayMs', 'maxDelayMs', 'factor'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0) {
      throw new RangeError(`retry.${key} must be a non-negative number (got ${resolved[key]})`);
    }
  }
  return resolved;
}

/** The delay before retry number `retry` (1 for the first retry). */
export function retryDelay(options: Required<RetryOptions>, retry: number): number {
  return Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (retry - 1));
}
