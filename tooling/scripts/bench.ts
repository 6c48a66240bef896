/**
 * `pnpm bench`: runs the benchmark (tooling/bench/src/main.ts) with the given arguments and
 * exits with its code. Ctrl-C reaches the benchmark, which stops every process it started.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bench = spawn(process.execPath, [path.join(root, 'tooling/bench/src/main.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // A terminal's Ctrl-C already reaches the whole process group; forwarding covers `kill <pid>`.
  process.on(signal, () => bench.kill(signal));
}
bench.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
