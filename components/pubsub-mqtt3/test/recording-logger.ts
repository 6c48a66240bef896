import type { Logger } from '@mecha/core';

/** A logger that keeps each line's level and message, for tests that check what was logged. */
export function recordingLogger(lines: Array<{ level: string; message: string }>): Logger {
  const record = (level: string) => (obj: object | string, msg?: string) => {
    lines.push({ level, message: typeof obj === 'string' ? obj : (msg ?? '') });
  };
  const logger: Logger = {
    level: 'trace',
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    fatal: record('fatal'),
    child: () => logger,
  };
  return logger;
}
