import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata, type ComponentDefinition } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigurationFeature, ConfigurationItem, ConfigurationStore, ConfigurationUpdate } from './configuration-store.ts';
import { ConfigurationService } from './configuration-service.ts';

/** Direct access to the backend, the way an operator changes configuration outside the app. */
export interface ConfigurationBackend {
  set(items: Record<string, { value: string; version: string; metadata?: Record<string, string> }>): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

export interface ConfigurationConformanceOptions {
  /** Shown in the suite name. */
  name: string;
  definition: ComponentDefinition<ConfigurationStore, ConfigurationFeature>;
  /** Component metadata, as strings the way a resource file gives them. */
  metadata: Record<string, string>;
  backend: ConfigurationBackend;
  /** Metadata every subscribe request carries (for example `pgNotifyChannel`). */
  subscribeMetadata?: Record<string, string>;
  /** True when the store keeps per-item metadata (written through `backend.set`) and returns it. */
  itemMetadata?: boolean;
}

/** Every update a listener received, with waits on what arrives. */
class Recorder {
  readonly updates: ConfigurationUpdate[] = [];
  readonly listener = (update: ConfigurationUpdate): void => {
    this.updates.push(update);
  };

  /** Items received for `key`, oldest first. */
  itemsOf(key: string): ConfigurationItem[] {
    return this.updates.flatMap((update) => (update.items[key] ? [update.items[key]] : []));
  }

  /** Waits until an item for `key` matching `accept` arrives after the first `after` items for that key; returns its position. */
  async waitFor(key: string, accept: (item: ConfigurationItem) => boolean, what: string, after = 0): Promise<number> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const items = this.itemsOf(key);
      const index = items.findIndex((item, i) => i >= after && accept(item));
      if (index >= 0) return index;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; received for ${key}: ${JSON.stringify(items)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Registers vitest suites that check a configuration store component against the block's
 * semantics: reads by key and of everything, versions, missing keys; subscriptions that see
 * changes, new keys and deletions of the keys they watch (and only those), in order, that end
 * on unsubscribe and are independent of each other. Call it at the top level of a test file.
 */
export function runConfigurationConformance(options: ConfigurationConformanceOptions): void {
  const { backend } = options;
  const subscribeMetadata = options.subscribeMetadata ?? {};

  describe(`configuration conformance: ${options.name} (${options.definition.type}/${options.definition.version})`, () => {
    let store: ConfigurationStore;
    let service: ConfigurationService;
    const written: string[] = [];
    const key = (label: string) => {
      const name = `conformance-${label}-${randomUUID()}`;
      written.push(name);
      return name;
    };
    const set = (items: Record<string, { value: string; version: string; metadata?: Record<string, string> }>) => backend.set(items);
    const subscribe = (keys: string[], recorder: Recorder) => service.subscribe({ keys, metadata: subscribeMetadata }, recorder.listener);

    beforeAll(async () => {
      const validated = validateMetadata(options.definition.metadata, options.metadata);
      store = await options.definition.create(validated, {
        name: 'conformance-configuration',
        appId: 'conformance',
        logger: silentLogger(),
        rawMetadata: options.metadata,
      });
      service = new ConfigurationService({ name: 'conformance-configuration', store });
    });

    afterAll(async () => {
      await service?.close();
      if (written.length > 0) await backend.delete(written);
    });

    it('reads the keys asked for with their versions, and leaves out keys it does not hold', async () => {
      const [a, b, missing] = [key('a'), key('b'), key('missing')];
      await set({ [a]: { value: 'alpha', version: '1', metadata: { owner: 'team-a' } }, [b]: { value: 'bêta ✓', version: '7' } });
      const items = await service.get([a, b, missing]);
      expect(Object.keys(items).sort()).toEqual([a, b].sort());
      expect(items[a]).toMatchObject({ value: 'alpha', version: '1' });
      expect(items[b]).toMatchObject({ value: 'bêta ✓', version: '7' });
      if (options.itemMetadata) expect(items[a]!.metadata).toEqual({ owner: 'team-a' });
      expect(await service.get([missing])).toEqual({});
      expect(await service.get([a])).toEqual({ [a]: items[a] });
    });

    it('reads every item when no key is asked for', async () => {
      const [a, b] = [key('all-a'), key('all-b')];
      await set({ [a]: { value: 'one', version: '1' }, [b]: { value: 'two', version: '2' } });
      const items = await service.get();
      expect(items[a]).toMatchObject({ value: 'one', version: '1' });
      expect(items[b]).toMatchObject({ value: 'two', version: '2' });
      expect(await service.get([])).toMatchObject({ [a]: { value: 'one' }, [b]: { value: 'two' } });
    });

    it('sees a change, a new key and a deletion of the keys it watches, and nothing of the others', async () => {
      const [watched, added, other] = [key('watched'), key('added'), key('other')];
      await set({ [watched]: { value: 'v1', version: '1' }, [other]: { value: 'o1', version: '1' } });
      const recorder = new Recorder();
      const id = await subscribe([watched, added], recorder);
      expect(typeof id).toBe('string');
      expect(id).not.toBe('');
      // The unwatched key changes first: had it been delivered, it would come before the watched change.
      await set({ [other]: { value: 'o2', version: '2' } });
      await set({ [watched]: { value: 'v2', version: '2' } });
      const changed = await recorder.waitFor(watched, (item) => item.value === 'v2' && item.version === '2', 'the change of a watched key');
      expect(recorder.updates.every((update) => update.id === id)).toBe(true);
      await set({ [added]: { value: 'new', version: '1' } });
      await recorder.waitFor(added, (item) => item.value === 'new', 'a new key');
      await backend.delete([watched]);
      await recorder.waitFor(watched, (item) => item.value === '', 'the deletion of a watched key (an empty value)', changed + 1);
      expect(recorder.itemsOf(other)).toEqual([]);
      await service.unsubscribe(id);
    });

    it('watches every key when none is given', async () => {
      const fresh = key('any');
      const recorder = new Recorder();
      const id = await subscribe([], recorder);
      await set({ [fresh]: { value: 'seen', version: '3' } });
      await recorder.waitFor(fresh, (item) => item.value === 'seen' && item.version === '3', 'a new key on a subscription to every key');
      await service.unsubscribe(id);
    });

    it('stops delivering after unsubscribe, and refuses unknown or ended ids', async () => {
      const shared = key('shared');
      const ended = new Recorder();
      const witness = new Recorder();
      const endedId = await subscribe([shared], ended);
      const witnessId = await subscribe([shared], witness);
      expect(endedId).not.toBe(witnessId);
      await set({ [shared]: { value: 'before', version: '1' } });
      await ended.waitFor(shared, (item) => item.value === 'before', 'a change before unsubscribing');
      await service.unsubscribe(endedId);
      const received = ended.updates.length;
      await set({ [shared]: { value: 'after-1', version: '2' } });
      await set({ [shared]: { value: 'after-2', version: '3' } });
      await witness.waitFor(shared, (item) => item.value === 'after-2', 'the witness subscription seeing later changes');
      expect(ended.updates.length).toBe(received);
      await expect(service.unsubscribe(endedId)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_UNSUBSCRIBE' });
      await expect(service.unsubscribe(`no-such-${randomUUID()}`)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_UNSUBSCRIBE' });
      // The component itself refuses ids it does not know, too.
      await expect(store.unsubscribe(`no-such-${randomUUID()}`)).rejects.toThrow();
      await expect(store.unsubscribe(endedId)).rejects.toThrow();
      await service.unsubscribe(witnessId);
    });

    it('keeps two subscribers independent', async () => {
      const [x, y] = [key('x'), key('y')];
      const first = new Recorder();
      const second = new Recorder();
      const firstId = await subscribe([x], first);
      const secondId = await subscribe([y], second);
      await set({ [x]: { value: 'x1', version: '1' } });
      await set({ [y]: { value: 'y1', version: '1' } });
      await set({ [x]: { value: 'x2', version: '2' } });
      await first.waitFor(x, (item) => item.value === 'x2', 'the first subscriber seeing its key');
      await second.waitFor(y, (item) => item.value === 'y1', 'the second subscriber seeing its key');
      expect(first.itemsOf(y)).toEqual([]);
      await service.unsubscribe(firstId);
      await set({ [y]: { value: 'y2', version: '2' } });
      await second.waitFor(y, (item) => item.value === 'y2', 'the second subscriber going on after the first ended');
      expect(second.itemsOf(x)).toEqual([]);
      expect(second.updates.every((update) => update.id === secondId)).toBe(true);
      await service.unsubscribe(secondId);
    });

    it('delivers a burst of changes in order, ending with the last value', async () => {
      const burst = key('burst');
      const recorder = new Recorder();
      const id = await subscribe([burst], recorder);
      const count = 25;
      for (let version = 1; version <= count; version++) await set({ [burst]: { value: `value-${version}`, version: String(version) } });
      await recorder.waitFor(burst, (item) => item.value === `value-${count}`, 'the last change of a burst');
      const versions = recorder.itemsOf(burst).map((item) => Number(item.version));
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      await service.unsubscribe(id);
    });

    it('goes on after a listener fails', async () => {
      const flaky = key('flaky');
      const seen: string[] = [];
      const id = await service.subscribe({ keys: [flaky], metadata: subscribeMetadata }, (update) => {
        seen.push(update.items[flaky]?.value ?? '');
        if (seen.length === 1) throw new Error('the app failed');
      });
      await set({ [flaky]: { value: 'first', version: '1' } });
      await set({ [flaky]: { value: 'second', version: '2' } });
      const deadline = Date.now() + 15_000;
      while (!seen.includes('second') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toContain('second');
      await service.unsubscribe(id);
    });

    it('answers concurrent subscribes with distinct ids, all delivering', async () => {
      const common = key('concurrent');
      const recorders = Array.from({ length: 8 }, () => new Recorder());
      const ids = await Promise.all(recorders.map((recorder) => subscribe([common], recorder)));
      expect(new Set(ids).size).toBe(ids.length);
      await set({ [common]: { value: 'everyone', version: '1' } });
      await Promise.all(recorders.map((recorder) => recorder.waitFor(common, (item) => item.value === 'everyone', 'each concurrent subscriber')));
      await Promise.all(ids.map((id) => service.unsubscribe(id)));
    });
  });
}
