/**
 * Dapr's state query language (`POST /v1.0-alpha1/state/{store}/query`, gRPC
 * QueryStateAlpha1): a filter over fields of the JSON value (`person.org`, as Dapr writes
 * them; stores receive them as `value.person.org`), sorting and paging. Stores that declare QUERY_API translate it into their own query language.
 */
export type QueryFilter =
  | { EQ: Record<string, unknown> }
  | { NEQ: Record<string, unknown> }
  | { GT: Record<string, unknown> }
  | { GTE: Record<string, unknown> }
  | { LT: Record<string, unknown> }
  | { LTE: Record<string, unknown> }
  | { IN: Record<string, unknown[]> }
  | { AND: QueryFilter[] }
  | { OR: QueryFilter[] };

export interface QuerySort {
  /** `value.a.b`: the block has put `value.` in front of the field path the caller wrote. */
  key: string;
  order: 'ASC' | 'DESC';
}

export interface StateQuery {
  filter?: QueryFilter;
  sort: QuerySort[];
  page: { limit?: number; token?: string };
}

/** What the block hands a store: the query plus the key prefix it must stay within. */
export interface StoreQueryRequest {
  query: StateQuery;
  /** Only keys starting with this belong to the caller (`<appId>||` and friends); empty with keyPrefix none. */
  keyPrefix: string;
  metadata: Record<string, string>;
}

export interface StoreQueryResult {
  /** Full (prefixed) keys; the block strips the prefix. */
  items: { key: string; value: Uint8Array; etag?: string }[];
  /** Opaque continuation token when more results exist. */
  token?: string;
}

const comparisons = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'IN'] as const;

function fail(message: string): never {
  throw new TypeError(message);
}

/**
 * A field of the stored JSON value, written as Dapr writes it (`person.org`, `state`): the
 * block hands stores the path with `value.` in front, so `value.<field>…` always means "inside
 * the value" whatever the store.
 */
function valuePath(path: string, where: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(path)) {
    fail(`${where}: "${path}" is not a queryable field (use the value's field path, for example "person.org")`);
  }
  return `value.${path}`;
}

function parseFilter(input: unknown, where: string): QueryFilter {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail(`${where} must be an object`);
  const entries = Object.entries(input);
  if (entries.length !== 1) fail(`${where} must have exactly one operator (EQ, NEQ, GT, GTE, LT, LTE, IN, AND, OR)`);
  const [operator, operand] = entries[0]!;
  if (operator === 'AND' || operator === 'OR') {
    if (!Array.isArray(operand) || operand.length < 2) fail(`${where}.${operator} must be an array of at least two filters`);
    return { [operator]: operand.map((f, i) => parseFilter(f, `${where}.${operator}[${i}]`)) } as QueryFilter;
  }
  if (!(comparisons as readonly string[]).includes(operator)) fail(`${where}: unknown operator "${operator}"`);
  if (typeof operand !== 'object' || operand === null || Array.isArray(operand) || Object.keys(operand).length !== 1) {
    fail(`${where}.${operator} must be an object with exactly one field`);
  }
  const [path, value] = Object.entries(operand)[0]!;
  const field = valuePath(path, `${where}.${operator}`);
  if (operator === 'IN' && (!Array.isArray(value) || value.length === 0)) fail(`${where}.IN.${path} must be a non-empty array`);
  return { [operator]: { [field]: value } } as QueryFilter;
}

/** Validates a query as Dapr's API takes it (JSON); throws TypeError naming the bad part. */
export function parseStateQuery(input: unknown): StateQuery {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('the query must be a JSON object');
  const { filter, sort, page, ...rest } = input as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) fail(`unknown query field "${unknown[0]}" (expected filter, sort, page)`);
  const query: StateQuery = { sort: [], page: {} };
  if (filter !== undefined && !(typeof filter === 'object' && filter !== null && Object.keys(filter).length === 0)) {
    query.filter = parseFilter(filter, 'filter');
  }
  if (sort !== undefined) {
    if (!Array.isArray(sort)) fail('sort must be an array');
    query.sort = sort.map((entry, i) => {
      const { key, order } = (entry ?? {}) as { key?: unknown; order?: unknown };
      if (typeof key !== 'string') fail(`sort[${i}].key must be a string`);
      const field = valuePath(key, `sort[${i}]`);
      if (order !== undefined && order !== 'ASC' && order !== 'DESC') fail(`sort[${i}].order must be ASC or DESC`);
      return { key: field, order: (order ?? 'ASC') as 'ASC' | 'DESC' };
    });
  }
  if (page !== undefined) {
    const { limit, token } = (page ?? {}) as { limit?: unknown; token?: unknown };
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) fail('page.limit must be a non-negative integer');
    if (token !== undefined && typeof token !== 'string') fail('page.token must be a string');
    query.page = { ...(limit ? { limit } : {}), ...(token ? { token } : {}) };
  }
  return query;
}
