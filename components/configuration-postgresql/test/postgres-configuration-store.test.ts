import net from 'node:net';
import type { ConfigurationUpdate } from '@mecha/configuration';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangeNotification } from '../src/change-notification.ts';
import { configurationTableSql } from '../src/configuration-table-sql.ts';
import { connectionSettings } from '../src/connection-settings.ts';
import { definition } from '../src/definition.ts';
import { checkChannelName, checkTableName } from '../src/identifiers.ts';
import { latestItems } from '../src/latest-items.ts';
import { PostgresConfigurationStore } from '../src/postgres-configuration-store.ts';
import { PostgresTestTable, connectionString } from './postgres-backend.ts';

async function until(check: () => boolean | Promise<boolean>, what: string, nudge?: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await nudge?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('connection settings', () => {
  it('reads keyword=value strings, quoted values and URLs', () => {
    const keywords = connectionSettings({ connectionString: "host=db.local port=6543 user=app password='p w\\'d' dbname=cfg connect_timeout=3 sslmode=disable" });
    expect(keywords.config).toMatchObject({ host: 'db.local', port: 6543, user: 'app', password: "p w'd", database: 'cfg', connectionTimeoutMillis: 3000, ssl: false });
    expect(keywords.address).toBe('db.local:6543');
    const url = connectionSettings({ connectionString: 'postgres://u%40x:secret@[::1]:5433/db?application_name=mecha&pool_max_conns=3' });
    expect(url.config).toMatchObject({ host: '::1', port: 5433, user: 'u@x', password: 'secret', database: 'db', application_name: 'mecha' });
    expect(url.poolMaxConns).toBe(3);
    const fields = connectionSettings({ host: 'h', port: '7000', user: 'u', database: 'd' });
    expect(fields.config).toMatchObject({ host: 'h', port: 7000, user: 'u', database: 'd' });
    expect(connectionSettings({ connectionString: 'host=h foo=bar pool_min_conns=1' }).ignored).toEqual(['foo']);
  });

  it('refuses what it cannot read, naming it', () => {
    expect(() => connectionSettings({})).toThrow('missing connection information');
    expect(() => connectionSettings({ connectionString: 'host=h port=x' })).toThrow('invalid port "x"');
    expect(() => connectionSettings({ connectionString: 'host=h =oops' })).toThrow('expected keyword=value');
    expect(() => connectionSettings({ connectionString: 'host=h sslmode=sometimes' })).toThrow('invalid sslmode "sometimes"');
  });
});

describe("Dapr's table and trigger contract", () => {
  it('checks table and channel names with Dapr\'s rules and messages', () => {
    expect(checkTableName('public.configtable')).toBe('public.configtable');
    expect(() => checkTableName('')).toThrow('missing postgreSQL configuration table name');
    expect(() => checkTableName('Config')).toThrow("invalid table name 'Config'. non-alphanumerics or upper cased table names are not supported");
    expect(() => checkTableName(`t${'x'.repeat(64)}`)).toThrow('table name is too long');
    expect(() => checkTableName('t; drop table x')).toThrow('invalid table name');
    expect(() => checkChannelName('Config')).toThrow('invalid notifyChannel name "Config"');
    expect(() => configurationTableSql('t', 'bad channel')).toThrow('invalid notifyChannel name');
  });

  it("reads the trigger's payload whatever the column case; a DELETE is an empty item; other shapes are refused", () => {
    const row = (data: unknown, action = 'UPDATE') => JSON.stringify({ table: 'configtable', action, data });
    expect(parseChangeNotification(row({ KEY: 'k', VALUE: 'v', VERSION: '2', METADATA: { a: 1, b: 'x' } }))).toEqual({
      key: 'k',
      item: { value: 'v', version: '2', metadata: { a: '1', b: 'x' } },
    });
    expect(parseChangeNotification(row({ key: 'k', value: 'v', version: 3, metadata: null }, 'INSERT'))).toEqual({
      key: 'k',
      item: { value: 'v', version: '3', metadata: {} },
    });
    expect(parseChangeNotification(row({ key: 'k', value: 'old', version: '1' }, 'DELETE'))).toEqual({
      key: 'k',
      item: { value: '', version: '', metadata: {} },
    });
    expect(parseChangeNotification('not json')).toBeUndefined();
    expect(parseChangeNotification(undefined)).toBeUndefined();
    expect(parseChangeNotification(JSON.stringify({ data: 'text' }))).toBeUndefined();
    expect(parseChangeNotification(JSON.stringify({ data: { value: 'no key' } }))).toBeUndefined();
  });

  it('keeps the row with the greatest numeric version of a key, as Dapr does', () => {
    expect(
      latestItems([
        { key: 'a', value: 'first', version: '2', metadata: null },
        { key: 'a', value: 'newer', version: '10', metadata: '{"x":"y"}' },
        { key: 'a', value: 'text version', version: 'v11', metadata: null },
        { key: 'b', value: 'text', version: 'beta', metadata: null },
        { key: 'b', value: 'numeric', version: '1', metadata: null },
        { key: 'c', value: 'tie-1', version: '5', metadata: null },
        { key: 'c', value: 'tie-2', version: '5', metadata: null },
      ]),
    ).toEqual({
      a: { value: 'newer', version: '10', metadata: { x: 'y' } },
      b: { value: 'numeric', version: '1', metadata: {} },
      c: { value: 'tie-1', version: '5', metadata: {} },
    });
  });
});

describe('PostgresConfigurationStore against PostgreSQL', () => {
  const table = new PostgresTestTable();
  let store: PostgresConfigurationStore;

  beforeAll(async () => {
    await table.create();
    store = await PostgresConfigurationStore.open({ connectionString, table: table.table, notifyChannel: table.channel });
  });

  afterAll(async () => {
    await store?.close();
    await table.drop();
  });

  it('reads the greatest numeric version when the table holds several rows for a key', async () => {
    await table.client.query(`INSERT INTO "${table.table}" (key, value, version) VALUES ('dup', 'v2', '2'), ('dup', 'v10', '10'), ('dup', 'v3', '3')`);
    expect(await store.get({ keys: ['dup'], metadata: {} })).toEqual({ dup: { value: 'v10', version: '10', metadata: {} } });
  });

  it('takes a notification of the documented shape sent by hand, and goes on after one it cannot read', async () => {
    const updates: ConfigurationUpdate[] = [];
    const id = await store.subscribe({ keys: ['manual'], metadata: {} }, async (update) => void updates.push(update));
    await table.client.query(`SELECT pg_notify($1, 'this is not json')`, [table.channel]);
    await table.client.query(`SELECT pg_notify($1, $2)`, [table.channel, JSON.stringify({ action: 'UPDATE', data: { KEY: 'manual', VALUE: 'by hand', VERSION: '9' } })]);
    await until(() => updates.length > 0, 'the hand-made notification');
    expect(updates[0]!.items).toEqual({ manual: { value: 'by hand', version: '9', metadata: {} } });
    await store.unsubscribe(id);
  });

  it('listens again after its LISTEN connection is terminated', async () => {
    const values: string[] = [];
    const id = await store.subscribe({ keys: ['resilient'], metadata: {} }, async (update) => void values.push(update.items['resilient']!.value));
    const pid = store.listenerPids()[table.channel];
    expect(pid).toBeTypeOf('number');
    await table.client.query('SELECT pg_terminate_backend($1)', [pid]);
    // NOTIFY is not queued for an absent listener, so keep changing until a change arrives.
    let attempt = 0;
    await until(
      () => values.some((value) => value.startsWith('after-terminate')),
      'a change after the listener reconnected',
      () => table.set({ resilient: { value: `after-terminate-${attempt++}`, version: String(attempt) } }),
    );
    expect(store.listenerPids()[table.channel]).not.toBe(pid);
    await store.unsubscribe(id);
  });

  it('closes the LISTEN connection of a channel once its last subscription ends', async () => {
    const first = await store.subscribe({ keys: ['a'], metadata: {} }, async () => {});
    const second = await store.subscribe({ keys: ['b'], metadata: {} }, async () => {});
    const pid = store.listenerPids()[table.channel]!;
    await store.unsubscribe(first);
    expect(store.listenerPids()[table.channel]).toBe(pid);
    await store.unsubscribe(second);
    expect(store.listenerPids()).toEqual({});
    const alive = async () => (await table.client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount !== 0;
    await until(async () => !(await alive()), 'the LISTEN connection to close');
  });

  it("refuses a subscription without a channel, or with one Dapr would refuse, with Dapr's messages", async () => {
    const noChannel = await PostgresConfigurationStore.open({ connectionString, table: table.table });
    try {
      await expect(noChannel.subscribe({ keys: [], metadata: {} }, async () => {})).rejects.toThrow(
        `unable to subscribe to "${table.table}". notifyChannel must be set in component metadata or request metadata`,
      );
      await expect(noChannel.subscribe({ keys: [], metadata: { PGNOTIFYCHANNEL: 'Bad-Channel' } }, async () => {})).rejects.toThrow('invalid notifyChannel name');
      const id = await noChannel.subscribe({ keys: [], metadata: { PgNotifyChannel: table.channel } }, async () => {});
      await noChannel.unsubscribe(id);
      await expect(noChannel.unsubscribe(id)).rejects.toThrow(`unable to find subscription with ID : ${id}`);
    } finally {
      await noChannel.close();
    }
  });

  it('refuses a missing table, a short timeout, an unreachable server and unsupported authentication', async () => {
    await expect(PostgresConfigurationStore.open({ connectionString, table: 'mecha_no_such_table' })).rejects.toThrow(
      "postgreSQL configuration table 'mecha_no_such_table' does not exist",
    );
    await expect(PostgresConfigurationStore.open({ connectionString, table: table.table, timeoutMs: 500 })).rejects.toThrow(
      "invalid value for 'timeout': must be greater than 1s",
    );
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(PostgresConfigurationStore.open({ connectionString: `host=127.0.0.1 port=${closed} user=postgres`, table: 't', timeoutMs: 2000 })).rejects.toThrow(
      `cannot reach postgresql at 127.0.0.1:${closed}`,
    );
    const create = (metadata: Record<string, string>) =>
      definition.create(validateMetadata(definition.metadata, metadata), { name: 'c', appId: 'a', logger: silentLogger(), rawMetadata: metadata });
    await expect(create({ connectionString, table: table.table, useAzureAD: 'true' })).rejects.toThrow('useAzureAD is not supported');
    await expect(create({ table: table.table })).rejects.toThrow('missing connection information');
    // Dapr's aliases: url, pgNotifyChannel, timeoutInSeconds.
    const aliased = await create({ url: connectionString, table: table.table, pgNotifyChannel: table.channel, timeoutInSeconds: '5' });
    const id = await aliased.subscribe({ keys: [], metadata: {} }, async () => {});
    await aliased.unsubscribe(id);
    await aliased.close();
  });
});
