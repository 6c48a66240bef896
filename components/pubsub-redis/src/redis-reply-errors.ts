import { errorMessage } from '@mecha/core';

/** The consumer group, or the whole stream with it, is gone (deleted, or Redis lost its data). */
export function isNoGroup(error: unknown): boolean {
  const message = errorMessage(error);
  return message.includes('NOGROUP') || message.includes('no longer exists');
}

/** XGROUP CREATE for a group that exists already. */
export function isBusyGroup(error: unknown): boolean {
  return errorMessage(error).includes('BUSYGROUP');
}
