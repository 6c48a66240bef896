import type { ConfigurationItem } from '@mecha/configuration';

/**
 * Dapr's layout of a configuration item in Redis: a string key holding `value||version`.
 * As in Dapr, the text is split on every `||` and only the first two parts count, so a value
 * cannot itself contain `||`; a value without a separator has an empty version.
 */
export function parseRedisValue(stored: string): ConfigurationItem {
  const [value = '', version = ''] = stored.split('||');
  return { value, version, metadata: {} };
}

/** The text to store for an item, the inverse of `parseRedisValue`. */
export function formatRedisValue(value: string, version: string): string {
  if (value.includes('||') || version.includes('||')) throw new Error('a configuration value or version stored in Redis cannot contain "||"');
  return version === '' ? value : `${value}||${version}`;
}
