import { createHash } from 'node:crypto';

const hashedMark = '#';

/**
 * The memcached key for a state key. memcached keys are at most 250 bytes of printable ASCII
 * without spaces; any other key (unicode, spaces, too long, or starting with the mark) is stored
 * under `#` + its SHA-256 in base64url, so every state key has exactly one memcached key.
 */
export function memcachedKey(key: string): string {
  if (key.length > 0 && key.length <= 250 && /^[\x21-\x7e]+$/.test(key) && !key.startsWith(hashedMark)) return key;
  return hashedMark + createHash('sha256').update(key, 'utf8').digest('base64url');
}
