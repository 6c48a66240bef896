import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

/**
 * Every process the benchmark starts, so that each one is stopped whatever way the run ends:
 * normally, on an error, or on Ctrl-C / SIGTERM (see `installCleanup`).
 */
export class ChildProcesses {
  readonly #live = new Set<ChildProcess>();

  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, options);
    this.#live.add(child);
    child.once('exit', () => this.#live.delete(child));
    // A failed spawn emits 'error' and never 'exit'.
    child.once('error', () => this.#live.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
  async stop(child: ChildProcess, graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || !this.#live.has(child)) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
      this.#live.delete(child);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#live].map((child) => this.stop(child)));
  }

  /** Last resort from a synchronous exit handler: nothing can be awaited there. */
  killAllNow(): void {
    for (const child of this.#live) child.kill('SIGKILL');
    this.#live.clear();
  }

  /**
   * Stops every child on SIGINT/SIGTERM (then exits 130/143) and on any exit of this process.
   * A second signal (the terminal's Ctrl-C and a wrapper forwarding it arrive together) is
   * absorbed rather than killing this process before its children are stopped.
   */
  installCleanup(onInterrupt: () => void = () => {}): void {
    process.once('exit', () => this.killAllNow());
    let stopping = false;
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      process.on(signal, () => {
        if (stopping) return;
        stopping = true;
        console.error(`\nbench: ${signal}, stopping child processes`);
        const forced = setTimeout(() => process.exit(code), 4000);
        void this.stopAll().finally(() => {
          clearTimeout(forced);
          onInterrupt();
          process.exit(code);
        });
      });
    }
  }
}
