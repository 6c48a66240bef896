import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './mechad-process.ts';

const ledgerApp = fileURLToPath(new URL('./ledger-app.ts', import.meta.url));

export interface LedgerAppOptions {
  port: number;
  /** Where the ledger files are; a restarted app appends to the same ones. */
  dir: string;
  /** The app's answer to `GET /dapr/subscribe`. */
  subscriptions: object[];
  mode?: 'success' | 'fail-all';
  /** Ids answered with RETRY. */
  retry?: string[];
}

export interface LedgerApp {
  process: ChildProcess;
  output(): string;
  /** SIGKILL by default: nothing is flushed or closed. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts ledger-app.ts as its own process and resolves once it listens. */
export async function startLedgerApp(options: LedgerAppOptions): Promise<LedgerApp> {
  const child = spawn(process.execPath, [ledgerApp], {
    env: {
      ...process.env,
      LEDGER_PORT: String(options.port),
      LEDGER_DIR: options.dir,
      LEDGER_SUBSCRIPTIONS: JSON.stringify(options.subscriptions),
      LEDGER_MODE: options.mode ?? 'success',
      LEDGER_RETRY: (options.retry ?? []).join(','),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => {
    if (gone) throw new Error(`the ledger app exited early:\n${output}`);
    return output.includes('listening') ? true : undefined;
  }, `the ledger app on port ${options.port}`);
  return {
    process: child,
    output: () => output,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface Ledger {
  /** Every id answered SUCCESS, in order, repeats included. */
  delivered: string[];
  /** Every delivery: id and the app's answer. */
  attempts: { id: string; status: string }[];
}

export function readLedger(dir: string): Ledger {
  const lines = (file: string) => {
    const full = path.join(dir, file);
    if (!existsSync(full)) return [];
    return readFileSync(full, 'utf8').split('\n').filter(Boolean);
  };
  return {
    delivered: lines('delivered'),
    attempts: lines('attempts').map((line) => {
      const space = line.lastIndexOf(' ');
      return { id: line.slice(0, space), status: line.slice(space + 1) };
    }),
  };
}

/** Ids in `expected` not in the ledger, and how many deliveries were repeats. */
export function compareLedger(expected: Iterable<string>, delivered: readonly string[]): { missing: string[]; duplicates: number; unique: number } {
  const seen = new Set(delivered);
  const missing = [...expected].filter((id) => !seen.has(id));
  return { missing, duplicates: delivered.length - seen.size, unique: seen.size };
}
