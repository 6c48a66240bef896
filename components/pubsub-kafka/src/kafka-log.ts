import type { Logger } from '@mecha/core';
import { logLevel, type logCreator } from 'kafkajs';

/**
 * Routes kafkajs's log lines to the component's logger at debug and trace: kafkajs reports
 * every failed connection attempt as an error, which is routine while a broker restarts.
 * What a user needs to know (a consumer replaced, a commit failed, the brokers unreachable)
 * this component logs itself, or reports through `ping`.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const {
        message,
        timestamp: _timestamp,
        logger: _name,
        ...fields
      } = log as typeof log & { logger?: string };
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
