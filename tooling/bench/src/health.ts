import { request } from 'node:http';

/** One GET on a fresh connection; the status, or undefined when nothing answered. */
export function probe(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Stops waiting early, e.g. when the process being waited for has exited. */
  failed?: () => string | undefined;
}

/** Polls `path` until it answers 204; resolves with `performance.now()` at that answer. */
export async function waitFor204(port: number, path: string, options: WaitOptions): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const status = await probe(port, path);
    const now = performance.now();
    if (status === 204) return now;
    const failure = options.failed?.();
    if (failure) throw new Error(failure);
    if (now > deadline) throw new Error(`GET ${path} on port ${port} did not answer 204 within ${options.timeoutMs} ms (last: ${status ?? 'no answer'})`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
