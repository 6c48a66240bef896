import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a fixture script in its own Node process and waits for a line it prints. */
export class ChildScript {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  #output = '';

  constructor(fixture: string, args: string[]) {
    const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
    this.process = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (chunk: Buffer) => {
      this.#output += chunk.toString();
      const parts = this.#output.split('\n');
      this.#output = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.process.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  }

  async waitForLine(matches: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find(matches);
      if (line !== undefined) return line;
      if (this.process.exitCode !== null) throw new Error(`the child process exited (${this.process.exitCode}) before printing the line`);
      if (Date.now() > deadline) throw new Error(`the child process did not print the expected line within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** SIGKILL, and resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
  }
}
