import { setTimeout as sleep } from 'node:timers/promises';

/** daprd's built-in initialization retries: a few quick attempts while the app finishes starting. */
const delaysMs = [0, 500, 1000, 2000];

/**
 * Runs `attempt` until it succeeds, pausing between tries as daprd does for the calls it makes
 * to a freshly started app (its subscription list, for example). Rejects with the last error,
 * or resolves undefined when `signal` aborts first.
 */
export async function retryAtStartup<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  let lastError: unknown;
  for (const delay of delaysMs) {
    if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) return undefined;
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
