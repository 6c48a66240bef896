/**
 * Where a command reads its environment and writes its output. `main` builds one from the
 * process; tests pass their own to capture output without spawning.
 */
export interface OutputStream {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  /** The directory relative paths are resolved against (see `userCwd`). */
  cwd: string;
}

let ignoringPipeErrors = false;

/** The io of the running process; the user's directory is pnpm's INIT_CWD when set. */
export function processIo(): CliIo {
  if (!ignoringPipeErrors) {
    ignoringPipeErrors = true;
    // A closed terminal or pipe (EPIPE when `| head` exits, or pnpm is gone) must not crash
    // the CLI in the middle of stopping its children: lose the output, finish the work.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: userCwd(process.env, process.cwd()),
  };
}

/**
 * `pnpm mecha` runs the CLI from the repository root, so the user's own directory is only
 * known through INIT_CWD, which pnpm (and npm) set to where the command was typed.
 */
export function userCwd(env: NodeJS.ProcessEnv, fallback: string): string {
  const initCwd = env.INIT_CWD;
  return initCwd !== undefined && initCwd !== '' ? initCwd : fallback;
}
