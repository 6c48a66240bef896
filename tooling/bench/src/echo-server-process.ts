import { closeSync, openSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ChildProcesses } from './child-processes.ts';
import { logTail, repoRoot } from './mechad-process.ts';

const serverScript = path.join(import.meta.dirname, 'echo-server.ts');

export interface EchoApp {
  port: number;
  child: ChildProcess;
  logFile: string;
}

/** Starts the echo app as its own process and resolves once it listens. */
export async function startEchoApp(children: ChildProcesses, options: { logFile: string }): Promise<EchoApp> {
  const fd = openSync(options.logFile, 'a');
  const child = children.spawn(process.execPath, [serverScript], { cwd: repoRoot, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  try {
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(() => {
        throw new Error(`the echo app exited before listening; its log:\n${logTail(options.logFile)}`);
      }),
    ])) as [{ port: number }];
    return { port: message.port, child, logFile: options.logFile };
  } catch (error) {
    await children.stop(child);
    throw error;
  }
}
