import type { CliIo } from '../src/cli-io.ts';

export interface CapturedIo extends CliIo {
  out: () => string;
  err: () => string;
}

/** A CliIo that records what a command prints. */
export function captureIo(env: NodeJS.ProcessEnv, cwd: string): CapturedIo {
  let out = '';
  let err = '';
  return {
    env,
    cwd,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    out: () => out,
    err: () => err,
  };
}
