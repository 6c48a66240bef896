import { createServer } from 'node:net';
import type { AppRunConfig, ResolvedAppRun } from './app-run-config.ts';

/** Asks the OS for a free loopback TCP port (as the dapr CLI does for ports left at -1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Picks a free port for every port left at -1. `taken` spans all apps of one run, so two
 * sidecars started together never get the same port even if the OS hands it out twice.
 */
export async function resolvePorts(config: AppRunConfig, taken: Set<number>): Promise<ResolvedAppRun> {
  const pick = async (given: number): Promise<number> => {
    if (given >= 0) {
      taken.add(given);
      return given;
    }
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return {
    ...config,
    httpPort: await pick(config.httpPort),
    grpcPort: await pick(config.grpcPort),
    internalGrpcPort: await pick(config.internalGrpcPort),
    metricsPort: await pick(config.metricsPort),
    profilePort: config.enableProfiling ? await pick(config.profilePort) : Math.max(config.profilePort, 0),
    resolved: true,
  };
}
