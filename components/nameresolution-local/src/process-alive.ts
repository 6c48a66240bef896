/** Whether a process with this pid exists. Signal 0 checks without signalling; EPERM means it exists but belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  // kill(0) or a negative pid would address a process group, never one process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
