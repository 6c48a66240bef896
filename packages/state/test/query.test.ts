import { describe, expect, it } from 'vitest';
import { parseStateQuery } from '../src/index.ts';

describe('parseStateQuery', () => {
  it('accepts Dapr query documents', () => {
    const query = parseStateQuery({
      filter: { OR: [{ EQ: { 'person.org': 'A' } }, { AND: [{ IN: { 'state': ['CA', 'WA'] } }, { GT: { 'age': 30 } }] }] },
      sort: [{ key: 'state', order: 'DESC' }, { key: 'person.id' }],
      page: { limit: 3, token: '2' },
    });
    expect(query.sort).toEqual([
      { key: 'value.state', order: 'DESC' },
      { key: 'value.person.id', order: 'ASC' },
    ]);
    expect(query.page).toEqual({ limit: 3, token: '2' });
    expect(parseStateQuery({ filter: {} })).toEqual({ sort: [], page: {} });
  });

  it.each([
    [[], /must be a JSON object/],
    [{ filtre: {} }, /unknown query field "filtre"/],
    [{ filter: { LIKE: { 'a': 1 } } }, /unknown operator "LIKE"/],
    [{ filter: { EQ: { 'a': 1 }, IN: { 'b': [1] } } }, /exactly one operator/],
    [{ filter: { AND: [{ EQ: { 'a': 1 } }] } }, /at least two filters/],
    [{ filter: { EQ: { 'a b': 1 } } }, /not a queryable field/],
    [{ filter: { IN: { 'a': [] } } }, /non-empty array/],
    [{ sort: [{ key: 'a', order: 'UP' }] }, /ASC or DESC/],
    [{ page: { limit: -1 } }, /non-negative integer/],
  ])('refuses %j', (input, message) => {
    expect(() => parseStateQuery(input)).toThrow(message);
  });
});
