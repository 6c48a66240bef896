import { randomUUID } from 'node:crypto';
import { vitest, type Harness } from './harness.ts';

/** Dapr's query API over JSON values, for stores that declare QUERY_API. */
export function queryCases(h: Harness): void {
  const { describe, it, expect } = vitest();

  if (!h.has('QUERY_API')) {
    describe('query (feature not declared)', () => {
      it('refuses a query with ERR_STATE_STORE_NOT_SUPPORTED', async () => {
        await expect(h.service().query({ filter: { EQ: { 'a': 1 } } })).rejects.toMatchObject({ code: 'ERR_STATE_STORE_NOT_SUPPORTED' });
      });
    });
    return;
  }

  describe('query', () => {
    const people = [
      { key: 'p1', value: { name: 'ann', org: 'eng', state: 'CA', age: 31 } },
      { key: 'p2', value: { name: 'bob', org: 'eng', state: 'WA', age: 45 } },
      { key: 'p3', value: { name: 'cid', org: 'ops', state: 'CA', age: 28 } },
      { key: 'p4', value: { name: 'dee', org: 'ops', state: 'NY', age: 52 } },
      { key: 'p5', value: { name: 'eve', org: 'sales', state: 'CA', age: 39 } },
    ];
    // Each run queries its own app id, so the shared store's other keys stay out of the results.
    async function seeded() {
      const state = h.service({ appId: `q-${randomUUID().slice(0, 8)}` });
      await state.save(people);
      return state;
    }
    const names = (results: { value: Uint8Array }[]) =>
      results.map((r) => (JSON.parse(Buffer.from(r.value).toString()) as { name: string }).name);

    it('filters with EQ, IN, AND and OR on JSON paths and returns caller keys with ETags', async () => {
      const state = await seeded();
      const eq = await state.query({ filter: { EQ: { 'org': 'eng' } } });
      expect(names(eq.results).sort()).toEqual(['ann', 'bob']);
      expect(eq.results.map((r) => r.key).sort()).toEqual(['p1', 'p2']);
      if (h.has('ETAG')) expect(eq.results.every((r) => typeof r.etag === 'string' && r.etag !== '')).toBe(true);
      const inList = await state.query({ filter: { IN: { 'state': ['NY', 'WA'] } } });
      expect(names(inList.results).sort()).toEqual(['bob', 'dee']);
      const and = await state.query({ filter: { AND: [{ EQ: { 'state': 'CA' } }, { EQ: { 'org': 'ops' } }] } });
      expect(names(and.results)).toEqual(['cid']);
      const or = await state.query({ filter: { OR: [{ EQ: { 'org': 'sales' } }, { EQ: { 'name': 'ann' } }] } });
      expect(names(or.results).sort()).toEqual(['ann', 'eve']);
    });

    it('sorts and pages with a continuation token', async () => {
      const state = await seeded();
      const sorted = await state.query({ sort: [{ key: 'age', order: 'DESC' }] });
      expect(names(sorted.results)).toEqual(['dee', 'bob', 'eve', 'ann', 'cid']);
      const first = await state.query({ sort: [{ key: 'name' }], page: { limit: 2 } });
      expect(names(first.results)).toEqual(['ann', 'bob']);
      expect(first.token).toBeTruthy();
      const second = await state.query({ sort: [{ key: 'name' }], page: { limit: 2, token: first.token } });
      expect(names(second.results)).toEqual(['cid', 'dee']);
    });

    it('sees only its own app id’s keys', async () => {
      const mine = await seeded();
      const other = h.service({ appId: `q-other-${randomUUID().slice(0, 8)}` });
      await other.save([{ key: 'p1', value: { name: 'zed', org: 'eng', state: 'CA', age: 99 } }]);
      const result = await mine.query({ filter: { EQ: { 'org': 'eng' } } });
      expect(names(result.results).sort()).toEqual(['ann', 'bob']);
    });

    it('refuses a malformed query with ERR_STATE_QUERY', async () => {
      await expect(h.service().query({ filter: { LIKE: { 'a': 1 } } })).rejects.toMatchObject({ code: 'ERR_STATE_QUERY' });
    });
  });
}
