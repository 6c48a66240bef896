/**
 * An error the user caused or can fix (bad flag, missing file, nothing to stop). `main`
 * prints its message without a stack trace and exits with `exitCode`.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
