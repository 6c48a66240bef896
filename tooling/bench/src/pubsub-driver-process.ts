import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ChildProcesses } from './child-processes.ts';
import { logTail, repoRoot } from './mechad-process.ts';
import type { DriverConfig, DriverReply, DriverRequest } from './pubsub-driver.ts';

const driverScript = path.join(import.meta.dirname, 'pubsub-driver.ts');

/** A running `pubsub-driver.ts`, asked one thing at a time over its IPC channel. */
export interface PubSubDriver {
  child: ChildProcess;
  logFile: string;
  /** The app's port (mechad mode). */
  port?: number;
  ask<T extends DriverReply['type']>(request: DriverRequest, expected: T): Promise<Extract<DriverReply, { type: T }>>;
}

function nextReply(child: ChildProcess, logFile: string, who: string): Promise<DriverReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: DriverReply) => {
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`${who} exited (${code ?? signal}); its log:\n${logTail(logFile)}`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Starts a driver and resolves once it is ready: its app listening (mechad mode), its client
 * connected and subscribed (bare mode), or its clean-up done (clean-up mode, which then exits).
 */
export async function startPubSubDriver(children: ChildProcesses, config: DriverConfig, logFile: string, who: string): Promise<PubSubDriver> {
  const fd = openSync(logFile, 'a');
  const child = children.spawn(process.execPath, [driverScript, JSON.stringify(config)], { cwd: repoRoot, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  try {
    const first = await nextReply(child, logFile, who);
    if (first.type === 'failed') throw new Error(`${who}: ${first.error}`);
    if (first.type !== 'listening' && first.type !== 'ready' && first.type !== 'cleaned') throw new Error(`${who} answered ${JSON.stringify(first)} at start`);
    let queue: Promise<unknown> = Promise.resolve();
    const ask = <T extends DriverReply['type']>(request: DriverRequest, expected: T): Promise<Extract<DriverReply, { type: T }>> => {
      const asked = queue.then(async () => {
        const replied = nextReply(child, logFile, who);
        child.send(request);
        const reply = await replied;
        if (reply.type === 'failed') throw new Error(`${who}: ${reply.error}`);
        if (reply.type !== expected) throw new Error(`${who} answered ${reply.type} to ${request.type}`);
        return reply as Extract<DriverReply, { type: T }>;
      });
      queue = asked.catch(() => undefined);
      return asked;
    };
    return { child, logFile, ask, ...(first.type === 'listening' ? { port: first.port } : {}) };
  } catch (error) {
    await children.stop(child);
    throw error;
  }
}
