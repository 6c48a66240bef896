import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MechaError } from '@mecha/core';

export interface WaitForPortOptions {
  /** Gives up after this long; by default waits forever, as daprd waits for its app. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Pause between attempts; daprd dials every 100 ms. */
  intervalMs?: number;
}

/** One TCP dial with a 500 ms limit (daprd's dial timeout); true when something accepted. */
function dialOnce(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (accepted: boolean): void => {
      socket.destroy();
      resolve(accepted);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves once `host:port` accepts a TCP connection. Rejects with the signal's reason when
 * aborted, or with a MechaError `ERR_APP_CHANNEL` (deadline-exceeded) after `timeoutMs`.
 */
export async function waitForTcpPort(host: string, port: number, options: WaitForPortOptions = {}): Promise<void> {
  const { signal, timeoutMs, intervalMs = 100 } = options;
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (await dialOnce(host, port)) return;
    signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      throw new MechaError('ERR_APP_CHANNEL', 'deadline-exceeded', `app port ${host}:${port} did not accept a connection within ${timeoutMs} ms`);
    }
    await sleep(Math.max(0, Math.min(intervalMs, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
  }
}
