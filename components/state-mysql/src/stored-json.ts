import { fromJsonColumn, toJsonColumn, type JsonColumnValue } from '@mecha/state';

/** MySQL 8's JSON type refuses lone surrogate escapes that JSON.parse accepts; such text goes in as binary. */
const refusedByMysql = /\\ud[89a-f][0-9a-f]{2}/i;

/** This store's column form of a value (see `toJsonColumn` in @mecha/state). */
export function toStoredJson(value: Uint8Array): JsonColumnValue {
  return toJsonColumn(value, refusedByMysql);
}

export const fromStoredJson = fromJsonColumn;
