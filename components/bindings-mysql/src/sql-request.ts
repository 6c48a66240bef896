/** One `exec` or `query` call as Dapr's SQL bindings read it from the request metadata. */
export interface SqlRequest {
  sql: string;
  /**
   * Positional parameters for the `?` placeholders. Numbers a double holds exactly are numbers;
   * longer integers are sent as their digits (MySQL converts them exactly); objects and arrays
   * become JSON text, their numbers written as the app wrote them.
   */
  params: unknown[];
}

/** The reviver context of `JSON.parse` in Node 22+: the source text of a primitive. */
interface ReviverContext {
  source?: string;
}

/** Node 22+: a value `JSON.stringify` writes as the given JSON text (not yet in TypeScript's lib). */
interface RawJson {
  readonly rawJSON: string;
}
const json = JSON as unknown as JSON & { rawJSON(text: string): RawJson; isRawJSON(value: unknown): value is RawJson };

type Reviver = (this: unknown, key: string, value: unknown, context?: ReviverContext) => unknown;

const keepNumberText: Reviver = (_key, value, context) =>
  typeof value === 'number' && context?.source !== undefined ? json.rawJSON(context.source) : value;

function toParameter(value: unknown): unknown {
  if (json.isRawJSON(value)) {
    const number = Number(value.rawJSON);
    return /^-?\d+$/.test(value.rawJSON) && !Number.isSafeInteger(number) ? value.rawJSON : number;
  }
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** Reads `sql` (required) and `params` (optional JSON array) from an invocation's metadata. */
export function readSqlRequest(metadata: Readonly<Record<string, string>>): SqlRequest {
  const sql = metadata['sql'];
  if (sql === undefined || sql === '') throw new Error("required metadata 'sql' is not set: it holds the statement to run");
  const text = metadata['params'];
  if (text === undefined || text === '') return { sql, params: [] };
  let params: unknown;
  try {
    params = JSON.parse(text, keepNumberText as Parameters<typeof JSON.parse>[1]);
  } catch (error) {
    throw new Error(`invalid metadata 'params': not valid JSON (${(error as Error).message}); expected a JSON array such as [1, "two"]`, { cause: error });
  }
  if (!Array.isArray(params)) throw new Error(`invalid metadata 'params': expected a JSON array such as [1, "two"], got ${describe(params)}`);
  return { sql, params: params.map(toParameter) };
}

function describe(value: unknown): string {
  if (json.isRawJSON(value)) return 'a number';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
