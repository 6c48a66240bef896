import { closeSync, openSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { ChildProcesses } from './child-processes.ts';
import type { DatabaseServer } from './database-servers.ts';
import { waitFor204 } from './health.ts';
import { logTail, repoRoot, type RunningServer } from './mechad-process.ts';

const serverScript = path.join(import.meta.dirname, 'minimal-server.ts');

/** What the minimal server stores into: a SQLite file through StateService, or a database through its bare client under `prefix`. */
export type MinimalStore = { kind: 'sqlite'; dbFile: string } | { kind: 'redis' | 'postgres'; server: DatabaseServer; prefix: string };

/** Starts Baseline B as its own process and resolves once it answers. */
export async function startMinimalServer(children: ChildProcesses, options: { store: MinimalStore; logFile: string }): Promise<RunningServer> {
  const fd = openSync(options.logFile, 'a');
  const spawnedAt = performance.now();
  const child = children.spawn(process.execPath, [serverScript, JSON.stringify(options.store)], { cwd: repoRoot, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  try {
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(() => {
        throw new Error(`the minimal server exited before listening; its log:\n${logTail(options.logFile)}`);
      }),
    ])) as [{ port: number }];
    const healthyAt = await waitFor204(message.port, '/v1.0/healthz', { intervalMs: 5, timeoutMs: 10_000 });
    return { port: message.port, child, logFile: options.logFile, spawnedAt, healthyAt };
  } catch (error) {
    await children.stop(child);
    throw error;
  }
}
