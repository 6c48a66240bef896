/**
 * `pnpm start`: mechad on the embedded default — app id `default`, HTTP port 3500, and the
 * resources `mecha init` writes (SQLite state store `statestore`, in-memory pub/sub
 * `pubsub`), created first when missing. Extra arguments go to mechad.
 */
import { spawn, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const home = process.env['MECHA_HOME'] || path.join(homedir(), '.mecha');

const init = spawnSync(process.execPath, [path.join(root, 'apps/cli/bin/mecha.js'), 'init'], { stdio: 'inherit' });
if (init.status !== 0) process.exit(init.status ?? 1);

const args = [
  path.join(root, 'apps/runtime/bin/mechad.js'),
  '--app-id',
  'default',
  '--dapr-http-port',
  '3500',
  '--resources-path',
  path.join(home, 'components'),
  ...process.argv.slice(2),
];
const mechad = spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => mechad.kill(signal));
mechad.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
