import type * as Undici from 'undici';

/**
 * undici, loaded on the first call rather than at import: it takes ~85 ms to load, which
 * would otherwise sit on every sidecar's start-up path even when nothing is invoked.
 */
let loading: Promise<typeof Undici> | undefined;

export function loadUndici(): Promise<typeof Undici> {
  loading ??= import('undici');
  return loading;
}
