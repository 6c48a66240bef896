import type { Logger } from '@mecha/core';
import { logLevel, type logCreator } from 'kafkajs';

/**
 * Routes kafkajs's lines to the component's logger at debug and trace: kafkajs reports each
 * failed connection attempt as an error, which is routine while a broker restarts. What a
 * user must know (a consumer replaced, the brokers unreachable) the component logs itself.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log as typeof log & { logger?: string };
      const line = { ...fields, kafkajs: namespace };
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.debug(line, message);
      else logger.trace(line, message);
    };
}

/** The most detailed kafkajs level worth producing for this logger. */
export function kafkaLogLevel(logger: Logger): logLevel {
  if (logger.level === 'trace') return logLevel.DEBUG;
  if (logger.level === 'debug') return logLevel.WARN;
  return logLevel.NOTHING;
}
