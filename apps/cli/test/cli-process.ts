import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MECHA_BIN = fileURLToPath(new URL('../bin/mecha.js', import.meta.url));
export const STUB_MECHAD = fileURLToPath(new URL('./fixtures/stub-mechad.mjs', import.meta.url));
export const APP = fileURLToPath(new URL('./fixtures/app.mjs', import.meta.url));

export interface RunningCli {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  /** Resolves with the CLI's exit code (128+n when killed by signal n). */
  exitCode: Promise<number>;
  /** Waits until the combined output matches, and returns the match. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
}

const started: RunningCli[] = [];

/**
 * Starts `mecha <args>` as the user would through `pnpm mecha`: INIT_CWD names the user's
 * directory, and mechad is the stub unless the test says otherwise.
 */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): RunningCli {
  const base = { ...process.env };
  delete base.INIT_CWD; // pnpm sets it for the test run itself; each test sets its own
  const child = spawn(process.execPath, [MECHA_BIN, ...args], {
    env: { ...base, MECHA_MECHAD_PATH: STUB_MECHAD, MECHA_STOP_TIMEOUT_MS: '3000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let all = '';
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    all += chunk.toString();
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => (all += chunk.toString()));
  const exitCode = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
  const waitFor = async (pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = all.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in output:\n${all}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const cli = { child, output: () => all, stdout: () => out, exitCode, waitFor };
  started.push(cli);
  return cli;
}

/**
 * Cleans up after a test, passed or failed: a CLI still running gets SIGTERM (so it stops
 * its children itself) and SIGKILL if that does not work; then every app, sidecar and
 * grandchild pid its output named is killed, in case the CLI could not do it.
 */
export async function killStartedClis(): Promise<void> {
  for (const cli of started.splice(0)) {
    const { child } = cli;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([cli.exitCode.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000))]);
      if (!stopped) child.kill('SIGKILL');
    }
    for (const pid of pidsIn(cli.output(), /(?:PID|GRANDCHILD) (\d+)$/gm)) {
      if (isGone(pid)) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    }
  }
}

/** True once a pid is gone or a zombie (a reparented process nobody reaps in a container). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Waits (briefly) until every pid is gone; returns the ones still alive. */
export async function stillAlive(pids: readonly number[], timeoutMs = 3000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter((pid) => !isGone(pid));
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every `<label> PID <n>` the output mentions, e.g. pidsIn(out, /APP \S+ PID (\d+)/g). */
export function pidsIn(output: string, pattern: RegExp): number[] {
  return [...output.matchAll(pattern)].map((match) => Number(match[1]));
}
