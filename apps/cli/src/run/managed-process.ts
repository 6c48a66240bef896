import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { OutputStream } from '../cli-io.ts';
import { LineWriter } from './line-writer.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. command not found). */
  error?: Error;
}

export interface StartOptions {
  /** Shown in status lines, e.g. `app "orders"`. */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  prefix: string;
  stdout: readonly OutputStream[];
  stderr: readonly OutputStream[];
}

/** The exit code to report for a finished process: its own code, 128+n for signal n, 1 when it never started. */
export function exitCodeOf(info: ExitInfo): number {
  if (info.error !== undefined) return 1;
  if (info.code !== null) return info.code;
  if (info.signal !== null) return 128 + (constants.signals[info.signal] ?? 0);
  return 1;
}

export function describeExit(info: ExitInfo): string {
  if (info.error !== undefined) return `could not start: ${info.error.message}`;
  if (info.signal !== null) return `killed by ${info.signal}`;
  return `exit code ${info.code ?? '?'}`;
}

/**
 * A child process (an app or a sidecar) started in its own process group, so that stopping
 * it also stops whatever it started (`npm start` → node), and a Ctrl-C in the terminal
 * reaches only the CLI, which then stops every child in order.
 */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves once the process has exited, or failed to start. */
  readonly exited: Promise<ExitInfo>;
  /** Resolves once the process has started (true) or failed to (false). */
  readonly started: Promise<boolean>;
  readonly #closed: Promise<void>;
  #exit: ExitInfo | undefined;

  constructor(options: StartOptions) {
    this.name = options.name;
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    const out = new LineWriter(options.prefix, options.stdout);
    const err = new LineWriter(options.prefix, options.stderr);
    child.stdout?.on('data', (chunk: Buffer) => out.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.write(chunk));
    this.#closed = new Promise((resolve) => {
      child.once('close', () => {
        out.end();
        err.end();
        resolve();
      });
    });
    this.started = new Promise((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      child.once('error', (error) => {
        // An error after a successful spawn (a failed kill) is not an exit.
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) return;
        this.#exit ??= { code: null, signal: null, error };
        resolve(this.#exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined && this.child.pid !== undefined;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /**
   * Signals the whole process group, or the process alone if it left its group. Once the
   * leader has exited only the group is signalled (what it started may still run), never
   * the bare pid, which the OS may have handed to someone else.
   */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      if (!this.running) return;
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  /** Waits for the output pipes to drain, but not forever: a grandchild may hold them open. */
  async flushed(limitMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
    clearTimeout(timer);
  }
}

/**
 * Sends SIGTERM to every running process (each its whole group), waits for them to exit
 * and sends SIGKILL to whatever is still running after `graceMs`.
 */
export async function stopProcesses(processes: readonly ManagedProcess[], graceMs: number): Promise<void> {
  const running = processes.filter((managed) => managed.running);
  // Exited leaders too: their groups may still hold processes they started.
  for (const managed of processes) managed.signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const allExited = Promise.all(running.map((managed) => managed.exited)).then(() => true);
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
  const clean = await Promise.race([allExited, timedOut]);
  clearTimeout(timer);
  if (!clean) {
    for (const managed of running) if (managed.running) managed.signal('SIGKILL');
    await allExited;
  }
}
