/**
 * What every target is asked to do, built once so the HTTP targets and the in-process loops
 * use the same keys and the same bytes.
 */
export interface Workload {
  /** Pre-seeded keys that GET rotates over. */
  getKeys: string[];
  /** Keys that SET rotates over (kept apart so writes never change what GET reads). */
  setKeys: string[];
  /** The value: a JSON string of `valueChars` characters. */
  value: string;
  /** The value's JSON text, as the HTTP API stores it and GET returns it. */
  valueJson: string;
}

export const storeName = 'statestore';
export const appId = 'bench';

/** Deterministic filler, varied so no layer can take a shortcut on repeated bytes. */
function filler(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let seed = 0x2545f491;
  let out = '';
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out += alphabet[seed % alphabet.length];
  }
  return out;
}

export function createWorkload(keys: number, valueChars: number): Workload {
  const value = filler(valueChars);
  return {
    getKeys: Array.from({ length: keys }, (_, i) => `get-${i}`),
    setKeys: Array.from({ length: keys }, (_, i) => `set-${i}`),
    value,
    valueJson: JSON.stringify(value),
  };
}

/** The body of one SET over HTTP: Dapr's array of state items. */
export function saveBody(key: string, valueJson: string): string {
  return `[{"key":${JSON.stringify(key)},"value":${valueJson}}]`;
}

export function statePath(key?: string): string {
  return key === undefined ? `/v1.0/state/${storeName}` : `/v1.0/state/${storeName}/${encodeURIComponent(key)}`;
}

/** The path the invocation rows call on the echo app, directly or through mechad's `/v1.0/invoke/<app-id>/method/…`. */
export const echoMethod = 'echo';

export function invokePath(): string {
  return `/v1.0/invoke/${appId}/method/${echoMethod}`;
}
