import { vitest, type Harness } from './harness.ts';

export function transactionCases(h: Harness): void {
  const { describe, it, expect } = vitest();

  if (!h.has('TRANSACTIONAL')) {
    describe('transactions (feature not declared)', () => {
      it("refuses a transaction with ERR_STATE_STORE_NOT_SUPPORTED naming the store", async () => {
        const key = h.key('no-tx');
        const state = h.service({ name: 'orders-store' });
        await expect(state.transaction([{ operation: 'upsert', request: { key, value: 1 } }])).rejects.toMatchObject({
          code: 'ERR_STATE_STORE_NOT_SUPPORTED',
          kind: 'internal',
          message: "state store orders-store doesn't support transactions",
        });
        expect(await state.get(key)).toBeUndefined();
      });
    });
    return;
  }

  describe('transactions', () => {
    it('applies upserts and deletes together, in order', async () => {
      const state = h.service();
      const [a, b, c] = [h.key('tx-a'), h.key('tx-b'), h.key('tx-c')];
      await state.save([{ key: c, value: 'old' }]);
      await state.transaction([
        { operation: 'upsert', request: { key: a, value: 1 } },
        { operation: 'upsert', request: { key: a, value: 2 } },
        { operation: 'upsert', request: { key: b, value: { nested: true } } },
        { operation: 'delete', request: { key: c } },
        { operation: 'upsert', request: { key: h.key('tx-gone'), value: 0 } },
      ]);
      expect(await state.getJson(a)).toBe(2);
      expect(await state.getJson(b)).toEqual({ nested: true });
      expect(await state.get(c)).toBeUndefined();
      const d = h.key('tx-d');
      await state.transaction([
        { operation: 'upsert', request: { key: d, value: 1 } },
        { operation: 'delete', request: { key: d } },
      ]);
      expect(await state.get(d)).toBeUndefined();
      await expect(state.transaction([])).resolves.toBeUndefined();
    });

    it('refuses an unknown operation before applying anything', async () => {
      const state = h.service();
      const key = h.key('tx-unknown');
      await expect(
        state.transaction([
          { operation: 'upsert', request: { key, value: 1 } },
          { operation: 'merge', request: { key, value: 2 } },
        ]),
      ).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED_STATE_OPERATION', kind: 'invalid-argument', message: 'operation type merge not supported' });
      expect(await state.get(key)).toBeUndefined();
    });

    if (h.has('ETAG')) {
      it('is atomic: an ETag mismatch in one operation leaves nothing applied', async () => {
        const state = h.service();
        const [kept, guarded, created] = [h.key('tx-kept'), h.key('tx-guarded'), h.key('tx-created')];
        await state.save([
          { key: kept, value: 'kept' },
          { key: guarded, value: 'guarded' },
        ]);
        const etag = (await state.get(guarded))!.etag!;
        await expect(
          state.transaction([
            { operation: 'upsert', request: { key: created, value: 'new' } },
            { operation: 'delete', request: { key: kept } },
            { operation: 'upsert', request: { key: guarded, value: 'changed', etag: h.badEtag } },
          ]),
        ).rejects.toMatchObject({
          code: 'ERR_STATE_TRANSACTION',
          kind: 'internal',
          message: expect.stringMatching(/^error while executing state transaction: /),
        });
        expect(await state.get(created)).toBeUndefined();
        expect(await state.getJson(kept)).toBe('kept');
        expect(await state.getJson(guarded)).toBe('guarded');
        expect((await state.get(guarded))!.etag).toBe(etag);
        // The same transaction with the right ETag goes through.
        await state.transaction([
          { operation: 'upsert', request: { key: created, value: 'new' } },
          { operation: 'delete', request: { key: kept, etag: (await state.get(kept))!.etag } },
          { operation: 'upsert', request: { key: guarded, value: 'changed', etag } },
        ]);
        expect(await state.getJson(created)).toBe('new');
        expect(await state.get(kept)).toBeUndefined();
        expect(await state.getJson(guarded)).toBe('changed');
      });

      it('is atomic: first-write on an existing key fails the whole transaction', async () => {
        const state = h.service();
        const [existing, created] = [h.key('tx-fw-existing'), h.key('tx-fw-created')];
        await state.save([{ key: existing, value: 1 }]);
        await expect(
          state.transaction([
            { operation: 'upsert', request: { key: created, value: 1 } },
            { operation: 'upsert', request: { key: existing, value: 2, options: { concurrency: 'first-write' } } },
          ]),
        ).rejects.toMatchObject({ code: 'ERR_STATE_TRANSACTION' });
        expect(await state.get(created)).toBeUndefined();
        expect(await state.getJson(existing)).toBe(1);
      });
    }

    if (h.has('TTL')) {
      it('honours ttlInSeconds on an upsert', async () => {
        const state = h.service();
        const key = h.key('tx-ttl');
        await state.transaction([{ operation: 'upsert', request: { key, value: 1, metadata: { ttlInSeconds: '3600' } } }]);
        expect((await state.get(key))!.metadata.ttlExpireTime).toEqual(expect.any(String));
      });
    }
  });
}
