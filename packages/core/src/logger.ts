import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** The logging contract every package receives; pino's logger satisfies it. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  readonly level: string;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LoggerOptions {
  /** Shown as `scope` on every line, like daprd's `scope` field (for example `mechad.runtime`). */
  scope?: string;
  level?: LogLevel;
  /** One JSON object per line (daprd's `--log-as-json`); otherwise a readable line. */
  json?: boolean;
  /** Fields on every line, for example `app_id`. */
  base?: Record<string, unknown>;
  /** Where lines go; standard error by default so an app's own stdout stays clean. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const base = { ...(options.scope ? { scope: options.scope } : {}), ...options.base };
  const destination = options.destination ?? process.stderr;
  const stream = options.json
    ? destination
    : // Synchronous pretty printing: no worker thread, so start-up stays fast and lines keep order.
      pretty({ destination, sync: true, colorize: false, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
  const logger: PinoLogger = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return logger as unknown as Logger;
}

/** A logger that drops everything: the default for embedded use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }) as unknown as Logger;
}
