import { isMechaError } from '@mecha/core';
import type { StateService } from '../state-service.ts';
import { vitest, type Harness } from './harness.ts';

export function etagCases(h: Harness): void {
  const { describe, it, expect } = vitest();

  if (!h.has('ETAG')) {
    describe('ETag (feature not declared)', () => {
      it('refuses an ETag or first-write instead of ignoring it', async () => {
        const state = h.service();
        const key = h.key('no-etag');
        const refused = { code: 'ERR_STATE_STORE_NOT_SUPPORTED', kind: 'invalid-argument', message: expect.stringContaining('statestore') };
        await expect(state.save([{ key, value: 1, etag: '1' }])).rejects.toMatchObject(refused);
        await expect(state.save([{ key, value: 1, options: { concurrency: 'first-write' } }])).rejects.toMatchObject(refused);
        await expect(state.delete(key, { etag: '1' })).rejects.toMatchObject(refused);
        expect(await state.get(key)).toBeUndefined();
        // An empty ETag means "no ETag", as in Dapr.
        await state.save([{ key, value: 2, etag: '' }]);
        expect(await state.getJson(key)).toBe(2);
      });
    });
    return;
  }

  describe('ETag', () => {
    it('returns an ETag that changes on every write', async () => {
      const state = h.service();
      const key = h.key('etag-changes');
      await state.save([{ key, value: 1 }]);
      const first = (await state.get(key))!.etag;
      expect(first).toEqual(expect.any(String));
      expect(first).not.toBe('');
      await state.save([{ key, value: 1 }]);
      expect((await state.get(key))!.etag).not.toBe(first);
    });

    it('saves with the current ETag and refuses a wrong or stale one as a conflict (last-write too)', async () => {
      const state = h.service();
      const key = h.key('etag-save');
      await state.save([{ key, value: 'v1' }]);
      const v1 = (await state.get(key))!.etag!;
      await expect(state.save([{ key, value: 'x', etag: h.badEtag }])).rejects.toMatchObject({
        code: 'ERR_STATE_SAVE',
        kind: 'conflict',
        message: expect.stringMatching(/^failed saving state in state store statestore: possible etag mismatch/),
      });
      await state.save([{ key, value: 'v2', etag: v1 }]);
      expect(await state.getJson(key)).toBe('v2');
      await expect(state.save([{ key, value: 'v3', etag: v1, options: { concurrency: 'last-write' } }])).rejects.toMatchObject({
        code: 'ERR_STATE_SAVE',
        kind: 'conflict',
      });
      expect(await state.getJson(key)).toBe('v2');
    });

    it('refuses an ETag for a key that does not exist', async () => {
      const state = h.service();
      const key = h.key('etag-missing');
      await expect(state.save([{ key, value: 1, etag: h.badEtag }])).rejects.toMatchObject({ code: 'ERR_STATE_SAVE', kind: 'conflict' });
      expect(await state.get(key)).toBeUndefined();
    });

    it('first-write: creates a new key, refuses an existing key without ETag, checks a given ETag', async () => {
      const state = h.service();
      const key = h.key('first-write');
      const firstWrite = { concurrency: 'first-write' } as const;
      await state.save([{ key, value: 'v1', options: firstWrite }]);
      expect(await state.getJson(key)).toBe('v1');
      await expect(state.save([{ key, value: 'v2', options: firstWrite }])).rejects.toMatchObject({ code: 'ERR_STATE_SAVE', kind: 'conflict' });
      // An empty ETag is no ETag.
      await expect(state.save([{ key, value: 'v2', etag: '', options: firstWrite }])).rejects.toMatchObject({ kind: 'conflict' });
      const v1 = (await state.get(key))!.etag!;
      await state.save([{ key, value: 'v2', etag: v1, options: firstWrite }]);
      expect(await state.getJson(key)).toBe('v2');
      await expect(state.save([{ key, value: 'v3', etag: v1, options: firstWrite }])).rejects.toMatchObject({ kind: 'conflict' });
      expect(await state.getJson(key)).toBe('v2');
    });

    it('first-write works again once the key is deleted', async () => {
      const state = h.service();
      const key = h.key('first-write-again');
      await state.save([{ key, value: 1, options: { concurrency: 'first-write' } }]);
      await state.delete(key);
      await state.save([{ key, value: 2, options: { concurrency: 'first-write' } }]);
      expect(await state.getJson(key)).toBe(2);
    });

    it('deletes with the current ETag and refuses a wrong one as a conflict', async () => {
      const state = h.service();
      const key = h.key('etag-delete');
      await state.save([{ key, value: 1 }]);
      await expect(state.delete(key, { etag: h.badEtag })).rejects.toMatchObject({
        code: 'ERR_STATE_DELETE',
        kind: 'conflict',
        message: expect.stringMatching(new RegExp(`^failed deleting state with key ${key}: possible etag mismatch`)),
      });
      expect(await state.getJson(key)).toBe(1);
      await state.delete(key, { etag: (await state.get(key))!.etag! });
      expect(await state.get(key)).toBeUndefined();
      await expect(state.delete(key, { etag: h.badEtag })).rejects.toMatchObject({ code: 'ERR_STATE_DELETE', kind: 'conflict' });
    });

    it('deletes without ETag unconditionally, whatever the concurrency mode', async () => {
      const state = h.service();
      const key = h.key('delete-first-write');
      await state.save([{ key, value: 1 }]);
      await state.delete(key, { options: { concurrency: 'first-write' } });
      expect(await state.get(key)).toBeUndefined();
    });

    if (h.options.invalidEtag !== undefined) {
      const invalid = h.options.invalidEtag;
      it('refuses a malformed ETag as an invalid argument', async () => {
        const state = h.service();
        const key = h.key('etag-invalid');
        await state.save([{ key, value: 1 }]);
        await expect(state.save([{ key, value: 2, etag: invalid }])).rejects.toMatchObject({
          code: 'ERR_STATE_SAVE',
          kind: 'invalid-argument',
          message: expect.stringContaining('invalid etag value'),
        });
        await expect(state.delete(key, { etag: invalid })).rejects.toMatchObject({ code: 'ERR_STATE_DELETE', kind: 'invalid-argument' });
        expect(await state.getJson(key)).toBe(1);
      });
    }

    it('20 concurrent writers incrementing one counter with ETags and retries end at exactly 20', async () => {
      const state = h.service();
      const key = h.key('counter');
      const writers = 20;
      await Promise.all(Array.from({ length: writers }, () => increment(state, key)));
      expect(await state.getJson(key)).toBe(writers);
    });
  });
}

/** Read, add one, write back guarded by the ETag (first-write when the key is new); retry on conflict. */
async function increment(state: StateService, key: string): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const current = await state.get(key);
    const next = current ? (JSON.parse(new TextDecoder().decode(current.value)) as number) + 1 : 1;
    try {
      await state.save([{ key, value: next, etag: current?.etag, options: { concurrency: 'first-write' } }]);
      return;
    } catch (error) {
      if (isMechaError(error) && error.kind === 'conflict') continue;
      throw error;
    }
  }
  throw new Error(`gave up incrementing ${key} after 1000 conflicts`);
}
