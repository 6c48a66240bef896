import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ChildProcesses } from './child-processes.ts';
import { freePort } from './free-port.ts';
import { waitFor204 } from './health.ts';
import { appId } from './workload.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
const mechadBin = path.join(repoRoot, 'apps/runtime/bin/mechad.js');

export interface RunningServer {
  port: number;
  /** mechad's gRPC API port (mechad only). */
  grpcPort?: number;
  child: ChildProcess;
  /** Where the process's stdout and stderr went. */
  logFile: string;
  /** `performance.now()` just before spawn and at the first 204 of `/v1.0/healthz`. */
  spawnedAt: number;
  healthyAt: number;
}

/** The end of a log file, to show why a child failed. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function exitFailure(child: ChildProcess, what: string, logFile: string): string | undefined {
  if (child.exitCode === null && child.signalCode === null) return undefined;
  return `${what} exited (${child.exitCode ?? child.signalCode}) before it was healthy; its log:\n${logTail(logFile)}`;
}

/**
 * Starts `mechad` as a user would: its daprd flags, a resources folder, `MECHA_HOME` in the
 * run's own folder. Output goes to a log file so it does not interleave with the report.
 * Resolves when `/v1.0/healthz` answers 204, polled every `pollMs`.
 */
export async function startMechad(
  children: ChildProcesses,
  options: { home: string; resourcesDir: string; pollMs?: number; timeoutMs?: number; logName?: string; appPort?: number },
): Promise<RunningServer> {
  const port = await freePort();
  const grpcPort = await freePort();
  mkdirSync(options.home, { recursive: true });
  const logFile = path.join(options.home, options.logName ?? 'mechad.log');
  const fd = openSync(logFile, 'a');
  const args = [mechadBin, '--app-id', appId, '--dapr-http-port', String(port), '--dapr-grpc-port', String(grpcPort), '--resources-path', options.resourcesDir];
  if (options.appPort !== undefined) args.push('--app-port', String(options.appPort));
  const spawnedAt = performance.now();
  const child = children.spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, MECHA_HOME: options.home },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  try {
    const healthyAt = await waitFor204(port, '/v1.0/healthz', {
      intervalMs: options.pollMs ?? 5,
      timeoutMs: options.timeoutMs ?? 20_000,
      failed: () => exitFailure(child, 'mechad', logFile),
    });
    return { port, grpcPort, child, logFile, spawnedAt, healthyAt };
  } catch (error) {
    await children.stop(child);
    throw error;
  }
}
