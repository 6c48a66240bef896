import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Exclusive use of one server across test processes. Suites in different packages run at the
 * same time (turbo), and the failure tests stop and restart the private servers
 * (`redis-volatile`, `kafka-failure`, `rabbitmq-failure`, …): a suite that restarts one while
 * another suite relies on it would make both fail for no fault of theirs. Each such suite
 * holds the server's lock while it uses it.
 *
 * The lock is a directory (created atomically) holding the owner's pid, in the services'
 * state folder; a lock whose owner died (a killed test run) is taken over.
 */
export async function holdService(name: string, options: { timeoutMs?: number } = {}): Promise<() => void> {
  const root = path.join(process.env['MECHA_SERVICES_DIR'] || '/tmp/mecha-services', 'locks');
  mkdirSync(root, { recursive: true });
  const lock = path.join(root, name);
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (ownerIsGone(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`waited too long for exclusive use of ${name} (lock ${lock}, held by pid ${ownerPid(lock)})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const release = () => {
    if (ownerPid(lock) === process.pid) rmSync(lock, { recursive: true, force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}

function ownerPid(lock: string): number | undefined {
  try {
    return Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

function ownerIsGone(lock: string): boolean {
  const pid = ownerPid(lock);
  // A lock directory without a pid is being created: give its owner a moment (10 s) to write it.
  if (pid === undefined || Number.isNaN(pid)) {
    try {
      return Date.now() - statSync(lock).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
