import { describe, expect, it } from 'vitest';
import { parseArrayLiteral } from '../src/array-literal.ts';
import { formatGoDuration, formatRfc3339Nano } from '../src/invocation-timing.ts';
import { byteaToBuffer, rowsToJson } from '../src/row-json.ts';
import { readSqlRequest } from '../src/sql-request.ts';
import { timestampToRfc3339 } from '../src/timestamp-text.ts';

describe("Go's time notation", () => {
  it("writes durations as Go's time.Duration.String()", () => {
    const cases: [bigint, string][] = [
      [0n, '0s'],
      [999n, '999ns'],
      [1_500n, '1.5µs'],
      [1_000_000n, '1ms'],
      [6_589_588n, '6.589588ms'],
      [2_000_000_000n, '2s'],
      [61_500_000_000n, '1m1.5s'],
      [3_600_000_000_000n, '1h0m0s'],
      [3_723_000_000_001n, '1h2m3.000000001s'],
    ];
    for (const [ns, text] of cases) expect(formatGoDuration(ns)).toBe(text);
  });

  it('writes RFC 3339 with nanoseconds and no trailing zeros', () => {
    expect(formatRfc3339Nano(1_709_212_455_123_450_000n)).toBe('2024-02-29T13:14:15.12345Z');
    expect(formatRfc3339Nano(1_709_212_455_000_000_000n)).toBe('2024-02-29T13:14:15Z');
  });
});

describe('PostgreSQL text to JSON', () => {
  it('turns dates and timestamps into UTC RFC 3339, keeping what Go cannot write as text', () => {
    expect(timestampToRfc3339('2024-02-29')).toBe('2024-02-29T00:00:00Z');
    expect(timestampToRfc3339('2024-02-29 13:14:15.120000')).toBe('2024-02-29T13:14:15.12Z');
    expect(timestampToRfc3339('2024-03-01 01:00:00+05:30')).toBe('2024-02-29T19:30:00Z');
    expect(timestampToRfc3339('1900-01-01 00:00:00-00:09:21')).toBe('1900-01-01T00:09:21Z');
    expect(timestampToRfc3339('0099-12-31 23:00:00-02')).toBe('0100-01-01T01:00:00Z');
    expect(timestampToRfc3339('0044-03-15 00:00:00 BC')).toBeUndefined();
    expect(timestampToRfc3339('12024-01-01 00:00:00')).toBeUndefined();
    expect(timestampToRfc3339('infinity')).toBeUndefined();
  });

  it('parses array literals, quoted, NULL, nested and with explicit bounds', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{1,NULL,"NULL","a \\"b\\" \\\\c",{x,y}}')).toEqual(['1', null, 'NULL', 'a "b" \\c', ['x', 'y']]);
    expect(parseArrayLiteral('[0:1]={7,8}')).toEqual(['7', '8']);
    expect(() => parseArrayLiteral('{1,2')).toThrow('malformed array literal');
  });

  it('decodes both bytea outputs', () => {
    expect(byteaToBuffer('\\x00ff')).toEqual(Buffer.from([0, 255]));
    expect(byteaToBuffer('a\\\\b\\001')).toEqual(Buffer.from([0x61, 0x5c, 0x62, 1]));
  });

  it('writes unknown types as strings and keeps numeric digits exactly', () => {
    expect(rowsToJson([1700, 1700, 99999, 790], [['-0.000000000000000000001', 'Infinity', 'custom', '$1.00']])).toBe('[[-0.000000000000000000001,"Infinity","custom","$1.00"]]');
  });
});

describe('readSqlRequest', () => {
  it('keeps number text exactly, inside arrays and objects too', () => {
    const { params } = readSqlRequest({ sql: 'x', params: '[12345678901234567890123, 1.10, [2e3], {"n": 1.000000000000000000001}, "s", null, true]' });
    expect(params.slice(0, 3)).toEqual(['12345678901234567890123', '1.10', ['2e3']]);
    expect(JSON.stringify(params[3])).toBe('{"n":1.000000000000000000001}');
    expect(params.slice(4)).toEqual(['s', null, true]);
  });
});
