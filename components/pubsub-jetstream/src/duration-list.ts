import { parseDuration } from '@mecha/core';

/**
 * Reads a list of durations as Dapr component files write `backOff`: comma-separated, with
 * or without brackets and quotes (`500ms, 2s`, `[1s, 2s]`, `["1s","2s"]`). Returns
 * milliseconds; throws naming the entry that is not a duration.
 */
export function parseDurationList(text: string): number[] {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  if (inner.trim() === '') return [];
  return inner.split(',').map((entry) => {
    const value = entry.trim().replace(/^["']|["']$/g, '');
    const ms = parseDuration(value);
    if (!(ms > 0)) throw new TypeError(`"${value}" is not a positive duration`);
    return ms;
  });
}
