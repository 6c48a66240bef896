import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { CliIo, OutputStream } from '../cli-io.ts';
import type { LogDestination } from './app-run-config.ts';

/** `yyyymmddhhmmss` in local time, the stamp in the dapr CLI's log file names. */
export function logStamp(now: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
}

/** `<logDir>/<appId>_<app|daprd>_<stamp>.log`, the dapr CLI's naming, so its tooling finds them. */
export function logFilePath(logDir: string, appId: string, kind: 'app' | 'daprd', now: Date): string {
  return path.join(logDir, `${appId}_${kind}_${logStamp(now)}.log`);
}

export interface LogSinks {
  stdout: OutputStream[];
  stderr: OutputStream[];
  /** Set when the destination includes a file. */
  file?: string;
}

/** Opens the destinations of one process's output: the console, a log file, or both. */
export function openLogSinks(
  destination: LogDestination,
  io: CliIo,
  file: string | undefined,
  openFiles: WriteStream[],
): LogSinks {
  const toConsole = destination !== 'file' || file === undefined;
  const sinks: LogSinks = { stdout: toConsole ? [io.stdout] : [], stderr: toConsole ? [io.stderr] : [] };
  if (destination !== 'console' && file !== undefined) {
    mkdirSync(path.dirname(file), { recursive: true });
    const stream = createWriteStream(file, { flags: 'a' });
    openFiles.push(stream);
    sinks.stdout.push(stream);
    sinks.stderr.push(stream);
    sinks.file = file;
  }
  return sinks;
}

export async function closeLogFiles(files: readonly WriteStream[]): Promise<void> {
  await Promise.all(files.map((stream) => new Promise<void>((resolve) => stream.end(resolve))));
}
