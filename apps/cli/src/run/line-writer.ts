import type { OutputStream } from '../cli-io.ts';

/**
 * Copies a child's output to its destinations line by line, each line led by `prefix`
 * (`== APP == ` and friends), so lines of several processes never interleave mid-line.
 */
export class LineWriter {
  readonly #prefix: string;
  readonly #sinks: readonly OutputStream[];
  #pending = '';

  constructor(prefix: string, sinks: readonly OutputStream[]) {
    this.#prefix = prefix;
    this.#sinks = sinks;
  }

  write(chunk: Buffer | string): void {
    const text = this.#pending + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split('\n');
    this.#pending = lines.pop() ?? '';
    if (lines.length === 0) return;
    const out = lines.map((line) => `${this.#prefix}${line.endsWith('\r') ? line.slice(0, -1) : line}\n`).join('');
    for (const sink of this.#sinks) sink.write(out);
  }

  /** Writes an unfinished last line, if any. */
  end(): void {
    if (this.#pending === '') return;
    const out = `${this.#prefix}${this.#pending}\n`;
    this.#pending = '';
    for (const sink of this.#sinks) sink.write(out);
  }
}
