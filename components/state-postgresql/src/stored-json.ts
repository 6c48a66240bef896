import { fromJsonColumn, toJsonColumn, type JsonColumnValue } from '@mecha/state';

/** jsonb refuses `\u0000` and lone surrogate escapes that JSON.parse accepts; such text goes in as binary. */
const refusedByJsonb = /\\u(0000|d[89a-f][0-9a-f]{2})/i;

/** This store's column form of a value (see `toJsonColumn` in @mecha/state). */
export function toStoredJson(value: Uint8Array): JsonColumnValue {
  return toJsonColumn(value, refusedByJsonb);
}

export const fromStoredJson = fromJsonColumn;
