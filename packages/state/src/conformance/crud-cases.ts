import { randomBytes } from 'node:crypto';
import { fromText, text, vitest, type Harness } from './harness.ts';

export function crudCases(h: Harness): void {
  const { describe, it, expect } = vitest();

  describe('CRUD', () => {
    it('declares TRANSACTIONAL exactly when it implements transact', () => {
      expect(typeof h.store.transact === 'function').toBe(h.has('TRANSACTIONAL'));
    });

    it('saves, reads, overwrites and deletes a JSON value', async () => {
      const state = h.service();
      const key = h.key('crud');
      expect(await state.get(key)).toBeUndefined();
      await state.save([{ key, value: { order: 1, items: ['a', 'b'] } }]);
      expect(await state.getJson(key)).toEqual({ order: 1, items: ['a', 'b'] });
      await state.save([{ key, value: { order: 2 } }]);
      const entry = await state.get(key);
      expect(entry?.key).toBe(key);
      expect(JSON.parse(fromText.decode(entry!.value))).toEqual({ order: 2 });
      expect(entry?.metadata).toEqual(expect.any(Object));
      await state.delete(key);
      expect(await state.get(key)).toBeUndefined();
    });

    it('stores strings as JSON text and Uint8Array values raw', async () => {
      const state = h.service();
      const [a, b] = [h.key('string'), h.key('bytes')];
      await state.save([
        { key: a, value: 'abc' },
        { key: b, value: text.encode('abc') },
      ]);
      expect(fromText.decode((await state.get(a))!.value)).toBe('"abc"');
      expect(fromText.decode((await state.get(b))!.value)).toBe('abc');
    });

    it('deletes a missing key without error', async () => {
      await expect(h.service().delete(h.key('never-saved'))).resolves.toBeUndefined();
    });

    it('refuses empty keys and keys containing || before touching the store', async () => {
      const state = h.service();
      const key = h.key('illegal');
      await expect(state.save([{ key: '', value: 1 }])).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST', kind: 'invalid-argument' });
      await expect(state.save([{ key: `${key}||x`, value: 1 }])).rejects.toMatchObject({
        code: 'ERR_MALFORMED_REQUEST',
        kind: 'invalid-argument',
        message: `input key/keyPrefix '${key}||x' can't contain '||'`,
      });
      await expect(state.get(`${key}||x`)).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
      await expect(state.delete(`${key}||x`)).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
      // One bad item refuses the whole request: the good one is not written either.
      await expect(state.save([{ key, value: 1 }, { key: '||', value: 2 }])).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
      expect(await state.get(key)).toBeUndefined();
    });

    it('refuses unknown concurrency and consistency values', async () => {
      const state = h.service();
      const key = h.key('options');
      await expect(state.save([{ key, value: 1, options: { concurrency: 'sometimes' } }])).rejects.toMatchObject({
        code: 'ERR_STATE_SAVE',
        message: `failed saving state in state store statestore: unrecognized concurrency model 'sometimes'`,
      });
      await expect(state.save([{ key, value: 1, options: { consistency: 'psychic' } }])).rejects.toMatchObject({ code: 'ERR_STATE_SAVE' });
      await expect(state.delete(key, { options: { concurrency: 'x' } })).rejects.toMatchObject({ code: 'ERR_STATE_DELETE' });
      expect(await state.get(key)).toBeUndefined();
      await state.save([{ key, value: 1, options: { concurrency: 'last-write', consistency: 'strong' } }]);
      expect(await state.getJson(key, { consistency: 'strong' })).toBe(1);
    });

    it('round-trips a 1 MiB value', async () => {
      const state = h.service();
      const key = h.key('large');
      const value = new Uint8Array(randomBytes(1024 * 1024));
      await state.save([{ key, value }]);
      const entry = await state.get(key);
      expect(entry?.value.byteLength).toBe(value.byteLength);
      expect(Buffer.compare(Buffer.from(entry!.value), Buffer.from(value))).toBe(0);
    });

    it('round-trips unicode keys and values', async () => {
      const state = h.service();
      const key = h.key('ключ-键-🔑-ﷺ');
      const value = { text: 'héllo wörld — 你好 🌍', rtl: 'مرحبا', zero: '\u0000' };
      await state.save([{ key, value }]);
      expect(await state.getJson(key)).toEqual(value);
      const [bulk] = await state.getBulk([key]);
      expect(bulk?.key).toBe(key);
    });

    it('round-trips binary values, including every byte and the empty value', async () => {
      const state = h.service();
      const [all, empty] = [h.key('binary'), h.key('empty')];
      const bytes = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
      await state.save([
        { key: all, value: bytes },
        { key: empty, value: new Uint8Array(0) },
      ]);
      expect(Array.from((await state.get(all))!.value)).toEqual(Array.from(bytes));
      const stored = await state.get(empty);
      expect(stored).toBeDefined();
      expect(stored!.value.byteLength).toBe(0);
    });
  });
}
