import { sleep, vitest, type Harness } from './harness.ts';

export function ttlCases(h: Harness): void {
  const { describe, it, expect, vi } = vitest();
  const waitMs = h.options.ttlWaitMs ?? 10_000;

  if (!h.has('TTL')) {
    describe('TTL (feature not declared)', () => {
      it('ignores ttlInSeconds as daprd does, or refuses it when asked to', async () => {
        const key = h.key('no-ttl');
        await h.service().save([{ key, value: 1, metadata: { ttlInSeconds: '1' } }]);
        expect(await h.service().getJson(key)).toBe(1);
        await expect(h.service({ refuseTtlWithoutFeature: true }).save([{ key, value: 2, metadata: { ttlInSeconds: '1' } }])).rejects.toMatchObject({
          code: 'ERR_STATE_STORE_NOT_SUPPORTED',
          message: expect.stringContaining('statestore'),
        });
        expect(await h.service().getJson(key)).toBe(1);
      });
    });
    return;
  }

  describe('TTL', () => {
    it('refuses a ttlInSeconds that is not an integer of -1 or more', async () => {
      const state = h.service();
      const key = h.key('ttl-bad');
      for (const ttlInSeconds of ['soon', '1.5', '-2', '99999999999']) {
        await expect(state.save([{ key, value: 1, metadata: { ttlInSeconds } }])).rejects.toMatchObject({
          code: 'ERR_STATE_SAVE',
          message: expect.stringContaining("incorrect value for metadata 'ttlInSeconds'"),
        });
      }
      expect(await state.get(key)).toBeUndefined();
    });

    it('reports ttlExpireTime for items with a TTL and not for others', async () => {
      const state = h.service();
      const [withTtl, without] = [h.key('ttl-hour'), h.key('ttl-none')];
      const before = Date.now();
      await state.save([
        { key: withTtl, value: 1, metadata: { ttlInSeconds: '3600' } },
        { key: without, value: 1 },
      ]);
      const expires = (await state.get(withTtl))!.metadata.ttlExpireTime;
      expect(expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Math.abs(Date.parse(expires!) - (before + 3_600_000))).toBeLessThan(600_000);
      expect((await state.get(without))!.metadata.ttlExpireTime).toBeUndefined();
    });

    it('expires an item after its TTL; -1 and a later write without TTL remove the expiry', async () => {
      const state = h.service();
      const [expiring, minusOne, rewritten] = [h.key('ttl-expiring'), h.key('ttl-minus-one'), h.key('ttl-rewritten')];
      // 2 s, not 1: stores that count TTLs in whole seconds of their own clock (memcached) may
      // expire a 1 s item almost at once, when their second ticks right after the write; 2 s
      // leaves each item at least a second, to be read, and lifted before it expires.
      const saving = Date.now();
      await state.save([{ key: expiring, value: 'short', metadata: { ttlInSeconds: '2' } }]);
      const written = Date.now();
      await state.save([
        { key: minusOne, value: 'first', metadata: { ttlInSeconds: '2' } },
        { key: rewritten, value: 'first', metadata: { ttlInSeconds: '2' } },
      ]);
      const early = await state.getJson(expiring);
      // Read within a second of asking for the write, it must be there; on a machine so loaded
      // that the second has already passed, only the expiry below can be checked.
      if (Date.now() - saving < 900) expect(early).toBe('short');
      await state.save([
        { key: minusOne, value: 'forever', metadata: { ttlInSeconds: '-1' } },
        { key: rewritten, value: 'forever' },
      ]);
      await vi.waitFor(
        async () => {
          expect(await state.get(expiring)).toBeUndefined();
        },
        { timeout: waitMs, interval: 100 },
      );
      const [bulkExpired] = await state.getBulk([expiring]);
      expect(bulkExpired).toEqual({ key: expiring });
      // Past the first TTL of the other two, which must have been lifted.
      await sleep(Math.max(0, written + 2_200 - Date.now()));
      expect(await state.getJson(minusOne)).toBe('forever');
      expect(await state.getJson(rewritten)).toBe('forever');
      expect((await state.get(minusOne))!.metadata.ttlExpireTime).toBeUndefined();
      if (h.has('ETAG')) {
        // An expired item is gone for ETag purposes too: first-write may create it again.
        await state.save([{ key: expiring, value: 'again', options: { concurrency: 'first-write' } }]);
        expect(await state.getJson(expiring)).toBe('again');
      }
    });
  });
}
