import { describe, expect, it } from 'vitest';
import { datetimeToRfc3339, float32Json, rowsToJson, type ColumnInfo } from '../src/row-json.ts';
import { readSqlRequest } from '../src/sql-request.ts';

const column = (name: string, columnType: number, characterSet = 224, table?: string): ColumnInfo => ({ name, columnType, characterSet, ...(table ? { table } : {}) });

describe('rowsToJson', () => {
  it("writes MySQL's JSON type as base64 of its text and binary columns as base64, as Dapr does", () => {
    const columns = [column('doc', 245, 63), column('bin', 252, 63), column('txt', 252, 224), column('bits', 16, 63)];
    expect(rowsToJson(columns, [['{"a": 1}', Buffer.from([0, 1]), 'long text', Buffer.from([5])]])).toBe(
      `[{"bin":"AAE=","bits":"BQ==","doc":"${Buffer.from('{"a": 1}').toString('base64')}","txt":"long text"}]`,
    );
    expect(rowsToJson(columns, [[null, null, null, null]])).toBe('[{"bin":null,"bits":null,"doc":null}]');
  });

  it('sorts keys bytewise, lets a later duplicate column win, and omits NULL numbers, text and times', () => {
    const columns = [column('b', 3), column('a', 253), column('a', 253), column('Z', 12), column('é', 5)];
    expect(rowsToJson(columns, [[1, 'first', 'second', '2024-01-02 03:04:05', 0.5]])).toBe('[{"Z":"2024-01-02T03:04:05Z","a":"second","b":1,"é":0.5}]');
    expect(rowsToJson(columns, [[null, 'first', null, null, null]])).toBe('[{"a":"first"}]');
    expect(rowsToJson(columns, [])).toBe('null');
  });

  it('keys by table.column with columnsWithAlias', () => {
    expect(rowsToJson([column('id', 3, 63, 't'), column('n', 8, 63)], [[1, '9007199254740993']], { columnsWithAlias: true })).toBe('[{"n":9007199254740993,"t.id":1}]');
  });

  it('writes FLOAT with the digits of a 32-bit float, DOUBLE as is', () => {
    expect(float32Json(Math.fround(1.1))).toBe('1.1');
    expect(float32Json(Math.fround(3.4028234663852886e38))).toBe('3.4028235e+38');
    expect(float32Json(1e-7)).toBe('1e-7');
    expect(rowsToJson([column('f', 4), column('d', 5)], [[Math.fround(0.1), 0.1]])).toBe('[{"d":0.1,"f":0.1}]');
  });

  it("writes DATE/DATETIME as Go's RFC 3339: zero dates as Go's zero time, Local with its offset", () => {
    expect(datetimeToRfc3339('2024-02-29')).toBe('2024-02-29T00:00:00Z');
    expect(datetimeToRfc3339('2024-02-29 13:14:15.120000')).toBe('2024-02-29T13:14:15.12Z');
    expect(datetimeToRfc3339('0000-00-00 00:00:00')).toBe('0001-01-01T00:00:00Z');
    expect(datetimeToRfc3339('2024-02-29 13:14:15', 'Local')).toMatch(/^2024-02-29T13:14:15(Z|[+-]\d{2}:\d{2})$/);
  });
});

describe('readSqlRequest', () => {
  it('passes safe numbers as numbers, longer integers as digits, objects and arrays as exact JSON text', () => {
    const { params } = readSqlRequest({ sql: 'x', params: '[1, 1.5, 12345678901234567890, [1, 2], {"n": 1.000000000000000000001}, "s", null, false]' });
    expect(params).toEqual([1, 1.5, '12345678901234567890', '[1,2]', '{"n":1.000000000000000000001}', 's', null, false]);
  });
});
