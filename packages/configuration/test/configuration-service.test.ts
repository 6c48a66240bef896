import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationService } from '../src/configuration-service.ts';
import type { ConfigurationItems, ConfigurationStore, ConfigurationUpdateHandler } from '../src/configuration-store.ts';
import { SubscriptionQueue } from '../src/subscription-queue.ts';

/** A store in memory, just enough to drive the service. */
class FakeStore implements ConfigurationStore {
  readonly items: ConfigurationItems = {};
  readonly handlers = new Map<string, ConfigurationUpdateHandler>();
  closed = false;
  failGet?: Error;
  failSubscribe?: Error;

  async get({ keys }: { keys: readonly string[] }): Promise<ConfigurationItems> {
    if (this.failGet) throw this.failGet;
    const wanted = keys.length > 0 ? keys : Object.keys(this.items);
    return Object.fromEntries(wanted.filter((key) => this.items[key]).map((key) => [key, this.items[key]!]));
  }

  async subscribe(_request: unknown, handler: ConfigurationUpdateHandler): Promise<string> {
    if (this.failSubscribe) throw this.failSubscribe;
    const id = randomUUID();
    this.handlers.set(id, handler);
    return id;
  }

  async unsubscribe(id: string): Promise<void> {
    if (!this.handlers.delete(id)) throw new Error(`no subscription ${id}`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('ConfigurationService', () => {
  it('reads through the store and wraps its failures in ERR_CONFIGURATION_GET with daprd\'s message', async () => {
    const store = new FakeStore();
    store.items['a'] = { value: '1', version: 'v', metadata: {} };
    const service = new ConfigurationService({ name: 'config', store });
    expect(await service.get(['a', 'b'])).toEqual({ a: { value: '1', version: 'v', metadata: {} } });
    expect(await service.get()).toEqual({ a: { value: '1', version: 'v', metadata: {} } });
    store.failGet = new Error('connection refused');
    await expect(service.get(['a', 'b'])).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION_GET',
      kind: 'internal',
      message: 'failed to get [a b] from Configuration store config: connection refused',
    });
  });

  it('wraps subscribe failures in ERR_CONFIGURATION_SUBSCRIBE', async () => {
    const store = new FakeStore();
    store.failSubscribe = new Error('no channel');
    const service = new ConfigurationService({ name: 'config', store });
    await expect(service.subscribe({ keys: ['k'] }, () => {})).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION_SUBSCRIBE',
      message: 'failed to subscribe [k] from Configuration store config: no channel',
    });
  });

  it('refuses unknown ids with ERR_CONFIGURATION_UNSUBSCRIBE, and ends a subscription once', async () => {
    const store = new FakeStore();
    const service = new ConfigurationService({ name: 'config', store });
    let ended = 0;
    const id = await service.subscribe({ keys: [] }, () => {}, { onEnd: () => ended++ });
    expect(service.hasSubscription(id)).toBe(true);
    await service.unsubscribe(id);
    expect(ended).toBe(1);
    expect(service.hasSubscription(id)).toBe(false);
    await expect(service.unsubscribe(id)).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION_UNSUBSCRIBE',
      message: `failed to unsubscribe to configuration request ${id}: subscription with id ${id} does not exist`,
    });
    expect(ended).toBe(1);
  });

  it('keeps delivering after a listener throws', async () => {
    const store = new FakeStore();
    const service = new ConfigurationService({ name: 'config', store });
    const seen: string[] = [];
    const id = await service.subscribe({ keys: ['k'] }, (update) => {
      seen.push(update.items['k']!.value);
      throw new Error('app down');
    });
    const handler = store.handlers.get(id)!;
    await handler({ id, items: { k: { value: '1', version: '', metadata: {} } } });
    await handler({ id, items: { k: { value: '2', version: '', metadata: {} } } });
    expect(seen).toEqual(['1', '2']);
  });

  it('ends every subscription, telling its owner, before closing the store; refuses subscribing afterwards', async () => {
    const store = new FakeStore();
    const service = new ConfigurationService({ name: 'config', store });
    const ended: string[] = [];
    const ids = await Promise.all([1, 2, 3].map(() => service.subscribe({ keys: [] }, () => {}, { onEnd: () => ended.push('x') })));
    expect(service.subscriptionIds().sort()).toEqual([...ids].sort());
    await service.close();
    expect(ended).toHaveLength(3);
    expect(store.handlers.size).toBe(0);
    expect(store.closed).toBe(true);
    await expect(service.subscribe({ keys: [] }, () => {})).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_SUBSCRIBE' });
  });

  it('still tells the owner when the store fails to end a subscription', async () => {
    const store = new FakeStore();
    const service = new ConfigurationService({ name: 'config', store });
    let ended = 0;
    const id = await service.subscribe({ keys: [] }, () => {}, { onEnd: () => ended++ });
    store.handlers.delete(id);
    await expect(service.unsubscribe(id)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_UNSUBSCRIBE' });
    expect(ended).toBe(1);
    expect(service.hasSubscription(id)).toBe(false);
  });
});

describe('SubscriptionQueue', () => {
  it('delivers one at a time in order, skips empty updates, survives failures and stops once ended', async () => {
    const delivered: string[] = [];
    const errors: unknown[] = [];
    let running = 0;
    let overlapped = false;
    const queue = new SubscriptionQueue(
      'sub',
      async (update) => {
        running++;
        if (running > 1) overlapped = true;
        await new Promise((resolve) => setTimeout(resolve, 1));
        delivered.push(`${update.id}:${Object.keys(update.items).join(',')}`);
        running--;
        if (update.items['boom']) throw new Error('handler failed');
      },
      (error) => errors.push(error),
    );
    const item = { value: 'v', version: '', metadata: {} };
    queue.push({ a: item });
    queue.push(async () => ({ b: item }));
    queue.push({});
    queue.push(() => undefined);
    queue.push({ boom: item });
    queue.push(async () => {
      throw new Error('source failed');
    });
    queue.push({ c: item });
    await queue.idle();
    expect(delivered).toEqual(['sub:a', 'sub:b', 'sub:boom', 'sub:c']);
    expect(errors).toHaveLength(2);
    expect(overlapped).toBe(false);
    queue.push(async () => {
      queue.end();
      return { d: item };
    });
    queue.push({ e: item });
    await queue.idle();
    expect(queue.ended).toBe(true);
    expect(delivered).toEqual(['sub:a', 'sub:b', 'sub:boom', 'sub:c']);
  });
});
