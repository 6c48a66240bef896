import type { QueryFilter, StateQuery } from '@mecha/state';

/** A WHERE/ORDER BY/LIMIT tail for the state table, with its parameters. */
export interface QuerySql {
  where: string;
  orderBy: string;
  /** Rows to fetch: one more than the page, to know whether another page follows. */
  limit: number | undefined;
  offset: number;
  params: unknown[];
}

/**
 * Translates Dapr's state query into SQL over the `value jsonb` column. Paths (`value.a.b`)
 * become `value #> '{a,b}'` and are compared as jsonb, so types count (1 and "1" differ) and
 * numbers order numerically; range operators only match values of the same JSON type as
 * the operand. Everything the caller gives is a bound parameter, never SQL text.
 * `keyPrefix` keeps the query inside the caller's keys; page tokens are row offsets.
 * Sorting puts items that lack the field last, in either direction.
 */
export function buildQuerySql(query: StateQuery, keyPrefix: string, live: string): QuerySql {
  const params: unknown[] = [];
  const bind = (value: unknown, cast = ''): string => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const field = (path: string): { sql: string; isKey: boolean } =>
    path === 'key' ? { sql: 'key', isKey: true } : { sql: `(value #> ${bind(path.split('.').slice(1), '::text[]')})`, isKey: false };

  const comparison = (operator: string, path: string, operand: unknown): string => {
    const target = field(path);
    if (target.isKey) {
      const keyOf = (value: unknown) => keyPrefix + (typeof value === 'string' ? value : JSON.stringify(value));
      if (operator === 'IN') return `key = ANY(${bind((operand as unknown[]).map(keyOf), '::text[]')})`;
      const sqlOperator = sqlOperators[operator]!;
      return `key ${sqlOperator} ${bind(keyOf(operand))}`;
    }
    if (operator === 'IN') {
      return `${target.sql} = ANY(ARRAY(SELECT jsonb_array_elements(${bind(JSON.stringify(operand), '::jsonb')})))`;
    }
    const value = bind(JSON.stringify(operand ?? null), '::jsonb');
    const sqlOperator = sqlOperators[operator]!;
    if (operator === 'EQ' || operator === 'NEQ') return `${target.sql} ${sqlOperator} ${value}`;
    return `(jsonb_typeof(${target.sql}) = jsonb_typeof(${value}) AND ${target.sql} ${sqlOperator} ${value})`;
  };

  const filter = (node: QueryFilter): string => {
    const [operator, operand] = Object.entries(node)[0]! as [string, unknown];
    if (operator === 'AND' || operator === 'OR') {
      return `(${(operand as QueryFilter[]).map(filter).join(` ${operator} `)})`;
    }
    if (!(operator in sqlOperators) && operator !== 'IN') throw new Error(`unsupported query operator '${operator}'`);
    const [path, value] = Object.entries(operand as Record<string, unknown>)[0]!;
    return comparison(operator, path, value);
  };

  const conditions = [live];
  if (keyPrefix !== '') conditions.push(`starts_with(key, ${bind(keyPrefix)})`);
  if (query.filter) conditions.push(filter(query.filter));

  // Items without the field come last whichever the direction.
  const order = query.sort.map((sort) => `${field(sort.key).sql} ${sort.order === 'DESC' ? 'DESC' : 'ASC'} NULLS LAST`);
  // The key last, so pages are stable whatever the sort.
  if (!query.sort.some((sort) => sort.key === 'key')) order.push('key ASC');

  const token = query.page.token;
  if (token !== undefined && !/^\d{1,15}$/.test(token)) throw new Error(`invalid page token '${token}'`);
  const limit = query.page.limit;
  return {
    where: conditions.join(' AND '),
    orderBy: order.join(', '),
    limit: limit !== undefined && limit > 0 ? limit + 1 : undefined,
    offset: token === undefined ? 0 : Number(token),
    params,
  };
}

const sqlOperators: Record<string, string> = { EQ: '=', NEQ: '<>', GT: '>', GTE: '>=', LT: '<', LTE: '<=' };
