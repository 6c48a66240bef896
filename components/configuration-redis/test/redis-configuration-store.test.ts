import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { ConfigurationUpdate } from '@mecha/configuration';
import { silentLogger, validateMetadata } from '@mecha/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { mergeKeyspaceEvents } from '../src/keyspace-events.ts';
import { parseAddresses } from '../src/redis-connection.ts';
import { RedisConfigurationStore } from '../src/redis-configuration-store.ts';
import { formatRedisValue, parseRedisValue } from '../src/redis-value.ts';

const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';
const redisDB = 12;

async function until(check: () => boolean | Promise<boolean>, what: string, nudge?: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await nudge?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Redis value layout and keyspace settings', () => {
  it("splits Dapr's value||version like Dapr (only the first two parts count)", () => {
    expect(parseRedisValue('42||7')).toEqual({ value: '42', version: '7', metadata: {} });
    expect(parseRedisValue('plain')).toEqual({ value: 'plain', version: '', metadata: {} });
    expect(parseRedisValue('a||b||c')).toEqual({ value: 'a', version: 'b', metadata: {} });
    expect(parseRedisValue('')).toEqual({ value: '', version: '', metadata: {} });
    expect(formatRedisValue('42', '7')).toBe('42||7');
    expect(formatRedisValue('42', '')).toBe('42');
    expect(() => formatRedisValue('a||b', '1')).toThrow('cannot contain "||"');
  });

  it('adds the keyspace event classes subscriptions need without dropping the ones already on', () => {
    expect(mergeKeyspaceEvents('')).toBe('Kg$xe');
    expect(mergeKeyspaceEvents('Kg$xe')).toBe('Kg$xe');
    expect(mergeKeyspaceEvents('Ex')).toBe('ExKg$e');
    expect(mergeKeyspaceEvents('AK')).toBe('AK');
    expect(mergeKeyspaceEvents('KEA')).toBe('KEA');
    expect(mergeKeyspaceEvents('Eh')).toBe('EhKg$xe');
  });

  it('reads redisHost as Dapr does', () => {
    expect(parseAddresses('localhost:6380')).toEqual([{ host: 'localhost', port: 6380 }]);
    expect(parseAddresses('localhost', 6390)).toEqual([{ host: 'localhost', port: 6390 }]);
    expect(parseAddresses('[::1]:7000')).toEqual([{ host: '::1', port: 7000 }]);
    expect(parseAddresses('a:1, b:2')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(() => parseAddresses('a:1', 2)).toThrow('redisPort is 2');
    expect(() => parseAddresses(' , ')).toThrow('redisHost is empty');
    expect(() => parseAddresses('a:b')).toThrow('invalid redis address');
  });
});

describe('RedisConfigurationStore against Redis', () => {
  let raw: Redis;
  let admin: Redis;
  let store: RedisConfigurationStore;
  const keys: string[] = [];
  const key = (label: string) => {
    const name = `redis-config-${label}-${randomUUID()}`;
    keys.push(name);
    return name;
  };

  beforeAll(async () => {
    const [host, port] = redisHost.split(':');
    raw = new Redis({ host: host!, port: Number(port), db: redisDB, lazyConnect: true });
    admin = new Redis({ host: host!, port: Number(port), db: 0, lazyConnect: true });
    await raw.connect().catch((error: Error) => {
      throw new Error(`Redis is not reachable at ${redisHost} (${error.message}): start it with bash tooling/services/up.sh redis`);
    });
    await admin.connect();
    store = await RedisConfigurationStore.connect({ redisHost, redisDB });
  });

  afterAll(async () => {
    await store?.close();
    if (keys.length > 0) await raw?.del(...keys);
    if (keys.length > 0) await admin?.del(...keys);
    raw?.disconnect();
    admin?.disconnect();
  });

  it('skips empty values and keys that are not strings, by key and when reading everything', async () => {
    const [text, empty, hash] = [key('text'), key('empty'), key('hash')];
    await raw.set(text, 'on||3');
    await raw.set(empty, '||9');
    await raw.hset(hash, 'field', 'value');
    expect(await store.get({ keys: [text, empty, hash], metadata: {} })).toEqual({ [text]: { value: 'on', version: '3', metadata: {} } });
    const all = await store.get({ keys: [], metadata: {} });
    expect(all[text]).toEqual({ value: 'on', version: '3', metadata: {} });
    expect(all).not.toHaveProperty(empty);
    expect(all).not.toHaveProperty(hash);
  });

  it('turns keyspace notifications on for a subscription and reports an expired key as an empty item', async () => {
    const expiring = key('expiring');
    const updates: ConfigurationUpdate[] = [];
    const id = await store.subscribe({ keys: [expiring], metadata: {} }, async (update) => void updates.push(update));
    const [, events] = (await admin.config('GET', 'notify-keyspace-events')) as string[];
    for (const flag of ['K', 'g', '$', 'x', 'e']) expect(events!.includes(flag) || (events!.includes('A') && flag !== 'K')).toBe(true);
    await raw.set(expiring, 'short||1', 'PX', 300);
    await until(() => updates.some((u) => u.items[expiring]?.value === 'short'), 'the set of an expiring key');
    await until(() => updates.some((u) => u.items[expiring]?.value === ''), 'the expiry of the key');
    expect(updates.at(-1)!.items).toEqual({ [expiring]: { value: '', version: '', metadata: {} } });
    await store.unsubscribe(id);
  });

  it("watches its own database only: the same key changed in another database is not reported", async () => {
    const shared = key('db');
    const updates: ConfigurationUpdate[] = [];
    const id = await store.subscribe({ keys: [shared], metadata: {} }, async (update) => void updates.push(update));
    await admin.set(shared, 'other-db||1');
    await raw.set(shared, 'this-db||1');
    await until(() => updates.length > 0, 'the change in the watched database');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(updates.map((u) => u.items[shared]?.value)).toEqual(['this-db']);
    await store.unsubscribe(id);
  });

  it('re-subscribes after its subscriber connection is killed', async () => {
    const watched = key('reconnect');
    const values: string[] = [];
    const id = await store.subscribe({ keys: [watched], metadata: {} }, async (update) => void values.push(update.items[watched]!.value));
    const list = (await admin.client('LIST')) as string;
    const line = list.split('\n').find((entry) => entry.includes(`name=${store.subscriberName}`));
    expect(line).toBeDefined();
    const clientId = /\bid=(\d+)/.exec(line!)![1]!;
    await admin.client('KILL', 'ID', clientId);
    // Changes made while it reconnects are lost (pub/sub is at most once), so keep changing until one arrives.
    let attempt = 0;
    await until(
      () => values.some((value) => value.startsWith('after-kill')),
      'a change after the subscriber reconnected',
      () => raw.set(watched, `after-kill-${attempt++}||1`),
    );
    await store.unsubscribe(id);
  });

  it('refuses an address it cannot reach, naming it, and what it cannot serve', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(RedisConfigurationStore.connect({ redisHost: `127.0.0.1:${closed}`, dialTimeoutMs: 1000 })).rejects.toThrow(
      `configuration.redis: cannot connect to redis at 127.0.0.1:${closed}`,
    );
    await expect(RedisConfigurationStore.connect({ redisHost: 'a:1,b:2' })).rejects.toThrow('needs one Redis server');
    const create = (metadata: Record<string, string>) =>
      definition.create(validateMetadata(definition.metadata, metadata), { name: 'c', appId: 'a', logger: silentLogger(), rawMetadata: metadata });
    await expect(create({ redisHost, redisType: 'cluster' })).rejects.toThrow("redisType 'cluster' is not supported");
    await expect(create({ redisHost, failover: 'true' })).rejects.toThrow("'sentinelMasterName' is required");
    await expect(create({ redisHost, dialTimeout: 'soon' })).rejects.toThrow("metadata field 'dialTimeout'");
    await expect(create({ redisHost, redisDB: '-1' })).rejects.toThrow('redisDB must be a whole number');
  });

  it('fails reads clearly once closed, and refuses new subscriptions', async () => {
    const closing = await RedisConfigurationStore.connect({ redisHost, redisDB });
    const id = await closing.subscribe({ keys: [key('closing')], metadata: {} }, async () => {});
    await closing.close();
    await expect(closing.unsubscribe(id)).rejects.toThrow('does not exist');
    await expect(closing.subscribe({ keys: ['k'], metadata: {} }, async () => {})).rejects.toThrow('closed');
    await expect(closing.get({ keys: ['k'], metadata: {} })).rejects.toThrow(`redis at ${redisHost}`);
  });
});
