import type { Logger } from '@mecha/core';

export interface LogLine {
  level: string;
  fields: object;
  msg: string;
}

/** A Logger that keeps every line, for asserting on warnings and errors. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') lines.push({ level, fields: {}, msg: obj });
      else lines.push({ level, fields: obj, msg: msg ?? '' });
    };
  const logger = {
    lines,
    level: 'trace',
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return logger;
}
