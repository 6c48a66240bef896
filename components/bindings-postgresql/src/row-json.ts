import { parseArrayLiteral, type ArrayLiteral } from './array-literal.ts';
import { timestampToRfc3339 } from './timestamp-text.ts';

/**
 * Writes query rows as Dapr's `bindings.postgresql` returns them: a JSON array with one array
 * of column values per row, each value as pgx decodes it and Go's JSON writes it. Values arrive
 * as PostgreSQL's text output, so numbers are copied digit for digit (an `int8` or `numeric`
 * keeps its precision).
 */
export function rowsToJson(columnTypes: readonly number[], rows: readonly (readonly (string | null)[])[]): string {
  const encoders = columnTypes.map(encoderFor);
  const out = rows.map((row) => `[${row.map((value, i) => (value === null ? 'null' : encoders[i]!(value))).join(',')}]`);
  return `[${out.join(',')}]`;
}

type Encoder = (text: string) => string;

const asString: Encoder = (text) => JSON.stringify(text);
const asDigits: Encoder = (text) => text;
const asBool: Encoder = (text) => (text === 't' ? 'true' : 'false');

/** float4 and float8: JSON numbers; NaN and the infinities (which JSON cannot write) as strings. */
const asFloat: Encoder = (text) => {
  const value = Number(text);
  return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(text);
};

/** numeric: its exact digits; NaN and the infinities as strings (as pgx writes NaN). */
const asNumeric: Encoder = (text) => (/^-?\d/.test(text) ? text : JSON.stringify(text));

/** bytea arrives hex-encoded (`\x…`, the default output) or escaped; Go writes bytes as base64. */
const asBytes: Encoder = (text) => JSON.stringify(byteaToBuffer(text).toString('base64'));

/** json and jsonb: the value itself, compacted (as Go re-encodes what pgx decoded). */
const asJson: Encoder = (text) => JSON.stringify(JSON.parse(text));

const asTimestamp: Encoder = (text) => JSON.stringify(timestampToRfc3339(text) ?? text);

/** Scalar type OIDs with a non-string encoding; every other type is its text, as a JSON string. */
const scalarEncoders = new Map<number, Encoder>([
  [16, asBool], // bool
  [17, asBytes], // bytea
  [20, asDigits], // int8
  [21, asDigits], // int2
  [23, asDigits], // int4
  [26, asDigits], // oid
  [28, asDigits], // xid
  [5069, asDigits], // xid8
  [700, asFloat], // float4
  [701, asFloat], // float8
  [1700, asNumeric], // numeric
  [114, asJson], // json
  [3802, asJson], // jsonb
  [1082, asTimestamp], // date: midnight UTC, as pgx decodes it
  [1114, asTimestamp], // timestamp: read as UTC, as pgx does
  [1184, asTimestamp], // timestamptz: converted to UTC
]);

/** Array type OID → element type OID, for the arrays of the types above and the common text types. */
const arrayElements = new Map<number, number>([
  [1000, 16],
  [1001, 17],
  [1016, 20],
  [1005, 21],
  [1007, 23],
  [1028, 26],
  [1011, 28],
  [271, 5069],
  [1021, 700],
  [1022, 701],
  [1231, 1700],
  [199, 114],
  [3807, 3802],
  [1182, 1082],
  [1115, 1114],
  [1185, 1184],
  [1009, 25],
  [1015, 1043],
  [1014, 1042],
  [1003, 19],
  [2951, 2950],
  [1183, 1083],
  [1187, 1186],
  [1041, 869],
  [651, 650],
]);

function encoderFor(oid: number): Encoder {
  const scalar = scalarEncoders.get(oid);
  if (scalar) return scalar;
  const element = arrayElements.get(oid);
  if (element === undefined) return asString;
  const encodeElement = scalarEncoders.get(element) ?? asString;
  const encodeLevel = (items: ArrayLiteral): string =>
    `[${items.map((item) => (item === null ? 'null' : Array.isArray(item) ? encodeLevel(item) : encodeElement(item))).join(',')}]`;
  return (text) => encodeLevel(parseArrayLiteral(text));
}

export function byteaToBuffer(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  // The older `escape` output: printable bytes as themselves, `\\` and `\ooo` octal escapes.
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        bytes.push(0x5c);
        i++;
      } else {
        bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}
