import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type { ResolvedAppRun } from './app-run-config.ts';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The socket file daprd creates for an API in --unix-domain-socket's folder. */
export function socketPath(folder: string, appId: string, api: 'http' | 'grpc'): string {
  return path.join(folder, `dapr-${appId}-${api}.socket`);
}

/**
 * Waits until the sidecar accepts connections on its HTTP API (port or socket), as the
 * dapr CLI does before starting an app that listens on no port. Resolves false when
 * `timeoutMs` passes or `cancelled` fires first.
 */
export async function waitForSidecar(app: ResolvedAppRun, timeoutMs: number, cancelled: Promise<unknown>): Promise<boolean> {
  let stop = false;
  void cancelled.then(() => (stop = true));
  const deadline = Date.now() + timeoutMs;
  while (!stop && Date.now() < deadline) {
    const up =
      app.unixDomainSocket !== undefined
        ? existsSync(socketPath(app.unixDomainSocket, app.appId, 'http'))
        : app.httpPort > 0 && (await canConnect(app.httpPort));
    if (up) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
