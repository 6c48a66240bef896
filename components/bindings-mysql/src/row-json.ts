/** What the binding needs to know of a result column (mysql2's column definition has it). */
export interface ColumnInfo {
  name: string;
  table?: string;
  /** The protocol's type code (mysql2's `columnType`). */
  columnType: number;
  /** The character set id; 63 is binary. */
  characterSet?: number;
}

export interface RowJsonOptions {
  /** Keys as `table.column` (Go's `columnsWithAlias`). */
  columnsWithAlias?: boolean;
  /** How DATETIME text is read: as UTC (Go's default `loc`) or in the local time zone. */
  timeZone?: 'UTC' | 'Local';
}

const BINARY_CHARSET = 63;

/** Protocol type codes, grouped by how Go's driver (with `parseTime`, as Dapr sets it) scans them. */
const integerTypes = new Set([1, 2, 3, 8, 9, 13]); // TINY, SHORT, LONG, LONGLONG, INT24, YEAR
const timeTypes = new Set([7, 10, 12, 14]); // TIMESTAMP, DATE, DATETIME, NEWDATE
const bytesWhenBinary = new Set([16, 249, 250, 251, 252, 253, 254, 255]); // BIT, the BLOBs, VAR_STRING, STRING, GEOMETRY
const stringTypes = new Set([0, 11, 15, 246, 247, 248]); // DECIMAL, TIME, VARCHAR, NEWDECIMAL, ENUM, SET
const FLOAT = 4;
const DOUBLE = 5;
const JSON_TYPE = 245;

type Kind = 'integer' | 'float' | 'double' | 'time' | 'string' | 'bytes';

function kindOf(column: ColumnInfo): Kind {
  const type = column.columnType;
  if (integerTypes.has(type)) return 'integer';
  if (type === FLOAT) return 'float';
  if (type === DOUBLE) return 'double';
  if (timeTypes.has(type)) return 'time';
  // Dapr reads MySQL's JSON type as raw bytes, which Go's JSON writes as base64.
  if (type === JSON_TYPE) return 'bytes';
  if (bytesWhenBinary.has(type)) return column.characterSet === BINARY_CHARSET ? 'bytes' : 'string';
  if (stringTypes.has(type)) return 'string';
  return 'bytes';
}

/**
 * Writes query rows as Dapr's `bindings.mysql` returns them: a JSON array with one object per
 * row, keys sorted (Go writes a map), or `null` when there are no rows (Go's nil slice). As Go's
 * driver scans them: integers and floats are numbers; DECIMAL, TIME, ENUM, SET and text are
 * strings; DATE, DATETIME and TIMESTAMP are RFC 3339 (`2024-02-29T13:14:15Z`); binary columns and
 * MySQL's JSON type are base64. A NULL in a number, text or time column leaves the key out; a
 * NULL in a binary column is `null`.
 */
export function rowsToJson(columns: readonly ColumnInfo[], rows: readonly (readonly unknown[])[], options: RowJsonOptions = {}): string {
  if (rows.length === 0) return 'null';
  const keys = columns.map((column) => (options.columnsWithAlias && column.table ? `${column.table}.${column.name}` : column.name));
  const order = [...new Set(keys)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const kinds = columns.map(kindOf);
  const timeZone = options.timeZone ?? 'UTC';
  const out = rows.map((row) => {
    const values = new Map<string, string>();
    row.forEach((value, i) => {
      const kind = kinds[i]!;
      if (value === null || value === undefined) {
        if (kind === 'bytes') values.set(keys[i]!, 'null');
        return;
      }
      values.set(keys[i]!, encode(kind, value, timeZone));
    });
    return `{${order
      .filter((key) => values.has(key))
      .map((key) => `${JSON.stringify(key)}:${values.get(key)}`)
      .join(',')}}`;
  });
  return `[${out.join(',')}]`;
}

function encode(kind: Kind, value: unknown, timeZone: 'UTC' | 'Local'): string {
  switch (kind) {
    case 'integer':
      return String(value);
    case 'float':
      return float32Json(Number(value));
    case 'double':
      return JSON.stringify(Number(value));
    case 'time':
      return JSON.stringify(datetimeToRfc3339(String(value), timeZone));
    case 'string':
      return JSON.stringify(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
    case 'bytes':
      return JSON.stringify((Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8')).toString('base64'));
  }
}

/** A FLOAT column's value with the fewest digits that read back as the same 32-bit float (Go's float32). */
export function float32Json(value: number): string {
  const single = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return JSON.stringify(candidate);
  }
  return JSON.stringify(single);
}

/**
 * MySQL's DATETIME text (`2024-02-29 13:14:15.123`, or a DATE) as Go writes the `time.Time` its
 * driver reads: RFC 3339 with the fraction's trailing zeros dropped. A zero date is Go's zero
 * time. `Local` reads the wall time in the process's time zone and writes its offset.
 */
export function datetimeToRfc3339(text: string, timeZone: 'UTC' | 'Local' = 'UTC'): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?$/.exec(text);
  if (!match) return text;
  const [, year, month, day, hours = '00', minutes = '00', seconds = '00', fraction = ''] = match;
  if (year === '0000' && month === '00' && day === '00') return '0001-01-01T00:00:00Z';
  const digits = fraction.replace(/0+$/, '');
  const wall = `${year}-${month}-${day}T${hours}:${minutes}:${seconds}${digits ? `.${digits}` : ''}`;
  if (timeZone === 'UTC') return `${wall}Z`;
  const local = new Date(0);
  local.setFullYear(Number(year), Number(month) - 1, Number(day));
  local.setHours(Number(hours), Number(minutes), Number(seconds), 0);
  const offset = -local.getTimezoneOffset();
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset);
  return `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
