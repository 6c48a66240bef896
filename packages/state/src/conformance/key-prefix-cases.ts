import { StateService } from '../state-service.ts';
import { conformanceAppId, fromText, vitest, type Harness } from './harness.ts';

export function keyPrefixCases(h: Harness): void {
  const { describe, it, expect } = vitest();

  describe('key prefixes', () => {
    it('stores keys under the prefix of each keyPrefix mode and keeps the modes apart', async () => {
      const key = h.key('prefixed');
      const cases: Array<[string | undefined, string, { appId?: string; namespace?: string }]> = [
        [undefined, `${conformanceAppId}||${key}`, {}],
        ['appid', `other-app||${key}`, { appId: 'other-app' }],
        ['name', `statestore||${key}`, {}],
        ['namespace', `ns1.${conformanceAppId}||${key}`, { namespace: 'ns1' }],
        ['none', key, {}],
        ['MyPrefix', `myprefix||${key}`, {}],
      ];
      for (const [keyPrefix, stored, extra] of cases) {
        const state = h.service({ keyPrefix, ...extra });
        await state.save([{ key, value: stored }]);
        expect(state.storeKey(key)).toBe(stored);
      }
      for (const [keyPrefix, stored, extra] of cases) {
        const state = h.service({ keyPrefix, ...extra });
        expect(await state.getJson(key)).toBe(stored);
        const [entry] = await state.getBulk([key]);
        expect(entry?.key).toBe(key);
        const raw = await h.store.get({ key: stored, consistency: 'eventual', metadata: {} });
        expect(fromText.decode(raw!.value)).toBe(JSON.stringify(stored));
      }
    });

    it('refuses || in keys in every mode, and in a keyPrefix', async () => {
      for (const keyPrefix of ['appid', 'none', 'name', 'custom']) {
        await expect(h.service({ keyPrefix }).save([{ key: 'a||b', value: 1 }])).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
      }
      expect(() => h.service({ keyPrefix: 'bad||prefix' })).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_REQUEST' }));
    });

    it('reads keyPrefix from component metadata in fromComponent', async () => {
      const key = h.key('from-component');
      const state = StateService.fromComponent({
        name: 'statestore',
        instance: h.store,
        features: h.features,
        appId: conformanceAppId,
        rawMetadata: { KeyPrefix: 'none' },
      });
      await state.save([{ key, value: 1 }]);
      expect(await h.store.get({ key, consistency: 'eventual', metadata: {} })).toBeDefined();
    });
  });
}
