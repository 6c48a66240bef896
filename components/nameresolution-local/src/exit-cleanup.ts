import { unlinkSync } from 'node:fs';

/**
 * Instance files this process wrote and has not removed yet. One `exit` listener for all of
 * them (however many resolvers a process creates) removes them when the process ends
 * normally; a crash leaves them behind, and readers skip them because the pid is dead.
 */
const pending = new Set<string>();
let listening = false;

function removePending(): void {
  for (const file of pending) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone, or the folder was removed: nothing left to clean.
    }
  }
  pending.clear();
}

export function removeOnExit(file: string): void {
  pending.add(file);
  if (!listening) {
    listening = true;
    process.on('exit', removePending);
  }
}

export function forgetOnExit(file: string): void {
  pending.delete(file);
}
