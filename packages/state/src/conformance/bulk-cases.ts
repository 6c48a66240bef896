import type { StateStore } from '../store.ts';
import { vitest, withoutBulk, type Harness } from './harness.ts';

export function bulkCases(h: Harness): void {
  const { describe, it, expect } = vitest();

  const modes: Array<[string, () => StateStore]> = [
    ['native', () => h.store],
    ['fallback (no native bulk methods)', () => withoutBulk(h.store)],
  ];

  for (const [mode, storeOf] of modes) {
    describe(`bulk, ${mode}`, () => {
      it('gets many keys in request order, missing and repeated keys included', async () => {
        const state = h.service({ store: storeOf() });
        const keys = [h.key('bulk-a'), h.key('bulk-b'), h.key('bulk-c')];
        await state.save(keys.map((key, index) => ({ key, value: { index } })));
        const missing = h.key('bulk-missing');
        const result = await state.getBulk([keys[2]!, missing, keys[0]!, keys[1]!, keys[0]!], { parallelism: 2 });
        expect(result.map((entry) => entry.key)).toEqual([keys[2], missing, keys[0], keys[1], keys[0]]);
        expect(result[1]).toEqual({ key: missing });
        for (const entry of [result[0]!, result[2]!, result[3]!, result[4]!]) {
          expect(entry.error).toBeUndefined();
          expect(JSON.parse(new TextDecoder().decode(entry.value))).toEqual({ index: keys.indexOf(entry.key) });
          if (h.has('ETAG')) expect(entry.etag).toEqual(expect.any(String));
        }
        expect(await state.getBulk([])).toEqual([]);
      });

      it('saves and deletes many keys at once', async () => {
        const state = h.service({ store: storeOf() });
        const keys = Array.from({ length: 25 }, (_, i) => h.key(`bulk-many-${i}`));
        await state.save(keys.map((key, index) => ({ key, value: index })));
        const read = await state.getBulk(keys);
        expect(read.map((entry) => JSON.parse(new TextDecoder().decode(entry.value)))).toEqual(keys.map((_, i) => i));
        await state.deleteBulk([...keys.slice(0, 20).map((key) => ({ key })), { key: h.key('bulk-never-saved') }]);
        const after = await state.getBulk(keys);
        expect(after.filter((entry) => entry.value !== undefined).map((entry) => entry.key)).toEqual(keys.slice(20));
      });

      it('applies repeated keys of one save in request order', async () => {
        const state = h.service({ store: storeOf() });
        const key = h.key('bulk-repeat');
        await state.save([
          { key, value: 1 },
          { key, value: 2 },
          { key, value: 3 },
        ]);
        expect(await state.getJson(key)).toBe(3);
      });

      if (h.has('ETAG')) {
        it('reports an ETag failure in a bulk save as a conflict and still writes the other items', async () => {
          const state = h.service({ store: storeOf() });
          const [a, b, c] = [h.key('bulk-etag-a'), h.key('bulk-etag-b'), h.key('bulk-etag-c')];
          await state.save([
            { key: a, value: 'a1' },
            { key: b, value: 'b1' },
          ]);
          const current = (await state.get(a))!.etag!;
          await expect(
            state.save([
              { key: a, value: 'a2', etag: current },
              { key: b, value: 'b2', etag: h.badEtag },
              { key: c, value: 'c2' },
            ]),
          ).rejects.toMatchObject({ code: 'ERR_STATE_SAVE', kind: 'conflict' });
          expect(await state.getJson(a)).toBe('a2');
          expect(await state.getJson(b)).toBe('b1');
          expect(await state.getJson(c)).toBe('c2');
        });

        it('reports an ETag failure in a bulk delete as a conflict and still deletes the other items', async () => {
          const state = h.service({ store: storeOf() });
          const [a, b, c] = [h.key('bulk-del-a'), h.key('bulk-del-b'), h.key('bulk-del-c')];
          await state.save([a, b, c].map((key) => ({ key, value: key })));
          const etagA = (await state.get(a))!.etag!;
          await expect(state.deleteBulk([{ key: a, etag: etagA }, { key: b, etag: h.badEtag }, { key: c }])).rejects.toMatchObject({
            code: 'ERR_STATE_DELETE',
            kind: 'conflict',
          });
          const after = await state.getBulk([a, b, c]);
          expect(after.map((entry) => entry.value !== undefined)).toEqual([false, true, false]);
        });
      }
    });
  }

  describe('bulk get fallback failures', () => {
    it('reports a failing key on its own entry while the others answer', async () => {
      const bare = withoutBulk(h.store);
      const failing: StateStore = {
        ...bare,
        get: (request) => (request.key.includes('boom') ? Promise.reject(new Error('disk on fire')) : bare.get(request)),
      };
      const state = h.service({ store: failing });
      const [good, bad] = [h.key('fallback-good'), h.key('fallback-boom')];
      await state.save([{ key: good, value: 'ok' }]);
      const result = await state.getBulk([bad, good]);
      expect(result[0]).toEqual({ key: bad, error: 'disk on fire' });
      expect(result[1]?.key).toBe(good);
      expect(result[1]?.error).toBeUndefined();
      expect(new TextDecoder().decode(result[1]?.value)).toBe('"ok"');
    });
  });
}
