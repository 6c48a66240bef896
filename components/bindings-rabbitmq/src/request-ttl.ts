import { parseDuration } from '@mecha/core';

/**
 * The time to live a request asks for in its metadata, in milliseconds: `ttlInSeconds` (or
 * `ttl`, as Dapr also reads it) holding whole seconds or a Go-style duration such as `90s`.
 * Absent: undefined. Zero, negative or unreadable values are refused.
 */
export function requestTtlMs(metadata: Readonly<Record<string, string>>): number | undefined {
  const entry = Object.entries(metadata).find(([name, value]) => value !== '' && (name.toLowerCase() === 'ttlinseconds' || name.toLowerCase() === 'ttl'));
  if (!entry) return undefined;
  const [name, raw] = entry;
  const text = raw.trim();
  let ms: number;
  if (/^[+-]?\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    try {
      ms = parseDuration(text);
    } catch {
      throw new Error(`metadata ${name} must be a whole number of seconds or a duration such as 90s (got ${JSON.stringify(raw)})`);
    }
  }
  if (!(ms >= 1) || !Number.isFinite(ms)) throw new Error(`metadata ${name} must be more than zero (got ${JSON.stringify(raw)})`);
  return Math.round(ms);
}
