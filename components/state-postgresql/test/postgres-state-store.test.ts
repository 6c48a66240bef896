import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, type StateStore } from '@mecha/state';
import { definition, PostgresStateStore } from '../src/index.ts';
import { adminClient, dropTables, postgresUrl, uniqueTable } from './fixtures/postgres-server.ts';
import { closedPort, silentServer, TcpProxy } from './fixtures/tcp-proxy.ts';

const tables: string[] = [];
afterAll(() => dropTables(...tables));

function tableNames(label: string): { tableName: string; metadataTableName: string } {
  const names = { tableName: uniqueTable(label), metadataTableName: uniqueTable(`${label}_meta`) };
  tables.push(names.tableName, names.metadataTableName);
  return names;
}

async function create(raw: Record<string, string>): Promise<StateStore> {
  return definition.create(validateMetadata(definition.metadata, raw), { name: 'statestore', appId: 'app', logger: silentLogger(), rawMetadata: raw });
}

const service = (store: StateStore, appId = 'app') => new StateService({ name: 'statestore', store, features: definition.features, appId });
const text = new TextDecoder();

describe('state.postgresql with tables in daprd layout', () => {
  it('reads rows daprd wrote, and writes rows daprd can read', async () => {
    const { tableName, metadataTableName } = tableNames('dapr');
    const admin = await adminClient();
    try {
      // The tables exactly as daprd's v1 migrations leave them.
      await admin.query(`CREATE TABLE ${metadataTableName} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
      await admin.query(`INSERT INTO ${metadataTableName} (key, value) VALUES ('migrations', '2')`);
      await admin.query(`CREATE TABLE ${tableName} (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL,
        insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP WITH TIME ZONE NULL)`);
      await admin.query(`ALTER TABLE ${tableName} ADD expiredate TIMESTAMP WITH TIME ZONE`);
      await admin.query(
        `INSERT INTO ${tableName} (key, value, isbinary, expiredate) VALUES
          ('shop||json', '{"order": 7, "items": ["a"]}', false, NULL),
          ('shop||bytes', to_jsonb($1::text), true, NULL),
          ('shop||later', '"soon"', false, now() + interval '1 hour'),
          ('shop||gone', '"expired"', false, now() - interval '1 second')`,
        [Buffer.from([0, 1, 2, 255]).toString('base64')],
      );
      const { rows } = await admin.query<{ xmin: string }>(`SELECT xmin::text FROM ${tableName} WHERE key = 'shop||json'`);

      const store = await create({ connectionString: postgresUrl, tableName, metadataTableName });
      const state = service(store, 'shop');
      const json = await state.get('json');
      expect(JSON.parse(text.decode(json!.value))).toEqual({ order: 7, items: ['a'] });
      expect(json!.etag).toBe(rows[0]!.xmin);
      expect(Array.from((await state.get('bytes'))!.value)).toEqual([0, 1, 2, 255]);
      expect((await state.get('later'))!.metadata.ttlExpireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(await state.get('gone')).toBeUndefined();
      // The ETag daprd would hand out guards our write too.
      await expect(state.save([{ key: 'json', value: 1, etag: String(Number(json!.etag) + 1) }])).rejects.toMatchObject({ kind: 'conflict' });
      await state.save([{ key: 'json', value: { order: 8 }, etag: json!.etag }]);

      await state.save([
        { key: 'written', value: { by: 'mecha' }, metadata: { ttlInSeconds: '60' } },
        { key: 'raw', value: new Uint8Array([9, 8, 7]) },
        { key: 'text', value: new TextEncoder().encode('not json') },
      ]);
      const written = await admin.query<{ key: string; value: unknown; isbinary: boolean; future: boolean; updated: boolean }>(
        `SELECT key, value, isbinary, expiredate > now() AS future, updatedate IS NOT NULL AS updated FROM ${tableName}
          WHERE key IN ('shop||written', 'shop||raw', 'shop||text', 'shop||json') ORDER BY key`,
      );
      expect(written.rows).toEqual([
        { key: 'shop||json', value: { order: 8 }, isbinary: false, future: null, updated: true },
        { key: 'shop||raw', value: Buffer.from([9, 8, 7]).toString('base64'), isbinary: true, future: null, updated: false },
        { key: 'shop||text', value: Buffer.from('not json').toString('base64'), isbinary: true, future: null, updated: false },
        { key: 'shop||written', value: { by: 'mecha' }, isbinary: false, future: true, updated: false },
      ]);
      const version = await admin.query(`SELECT value FROM ${metadataTableName} WHERE key = 'migrations'`);
      expect(version.rows).toEqual([{ value: '2' }]);
      await store.close();
    } finally {
      await admin.end();
    }
  });

  it('creates both tables in daprd layout, and a second store on the same tables finds them', async () => {
    const { tableName, metadataTableName } = tableNames('create');
    const [first, second] = await Promise.all([
      create({ connectionString: postgresUrl, tableName, metadataTableName }),
      create({ connectionString: postgresUrl, tableName, metadataTableName }),
    ]);
    const admin = await adminClient();
    try {
      const { rows } = await admin.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
        [tableName],
      );
      expect(rows).toEqual([
        { column_name: 'key', data_type: 'text' },
        { column_name: 'value', data_type: 'jsonb' },
        { column_name: 'isbinary', data_type: 'boolean' },
        { column_name: 'insertdate', data_type: 'timestamp with time zone' },
        { column_name: 'updatedate', data_type: 'timestamp with time zone' },
        { column_name: 'expiredate', data_type: 'timestamp with time zone' },
      ]);
      await service(first).save([{ key: 'k', value: 1 }]);
      expect(await service(second).getJson('k')).toBe(1);
    } finally {
      await admin.end();
      await first.close();
      await second.close();
    }
  });

  it('accepts a schema-qualified table and refuses table names that are not identifiers', async () => {
    const { tableName, metadataTableName } = tableNames('schema');
    const store = await create({ connectionString: postgresUrl, tableName: `public.${tableName}`, metadataTableName: `public.${metadataTableName}` });
    await service(store).save([{ key: 'k', value: 'v' }]);
    expect(await service(store).getJson('k')).toBe('v');
    await store.close();
    await expect(create({ connectionString: postgresUrl, tableName: 'state; DROP TABLE x' })).rejects.toThrow(/invalid tableName/);
    await expect(create({ connectionString: postgresUrl, metadataTableName: 'a.b.c' })).rejects.toThrow(/invalid metadataTableName/);
  });

  it('connects from host, port, user, password and database fields', async () => {
    const url = new URL(postgresUrl);
    const { tableName, metadataTableName } = tableNames('fields');
    const store = await create({
      host: url.hostname,
      port: url.port || '5432',
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1) || 'postgres',
      tableName,
      metadataTableName,
    });
    await service(store).save([{ key: 'k', value: 2 }]);
    expect(await service(store).getJson('k')).toBe(2);
    await store.close();
    await expect(create({})).rejects.toThrow(/missing connection information/);
    await expect(create({ connectionString: postgresUrl, queryExecMode: 'turbo' })).rejects.toThrow(/queryExecMode/);
  });
});

describe('state.postgresql TTL cleanup', () => {
  it('deletes expired rows, and the timer-driven run claims the interval so only one process cleans', async () => {
    const { tableName, metadataTableName } = tableNames('cleanup');
    const options = { connectionString: postgresUrl, tableName, metadataTableName, cleanupIntervalMs: 3_600_000 };
    const [a, b] = [await PostgresStateStore.open(options), await PostgresStateStore.open(options)];
    const admin = await adminClient();
    try {
      await admin.query(`INSERT INTO ${tableName} (key, value, isbinary, expiredate) VALUES ('old', '1', false, now() - interval '1 minute'), ('new', '1', false, NULL)`);
      expect(await a.cleanupExpired(false)).toBe(1);
      await admin.query(`INSERT INTO ${tableName} (key, value, isbinary, expiredate) VALUES ('old2', '1', false, now() - interval '1 minute')`);
      // b shares the metadata table: a cleaned less than an interval ago.
      expect(await b.cleanupExpired(false)).toBe(0);
      expect(await b.cleanupExpired()).toBe(1);
      const { rows } = await admin.query(`SELECT key FROM ${tableName} ORDER BY key`);
      expect(rows).toEqual([{ key: 'new' }]);
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });
});

describe('state.postgresql transactions', () => {
  it('lets exactly one of two concurrent transactions guarded by the same ETag commit', async () => {
    const { tableName, metadataTableName } = tableNames('txrace');
    const store = await PostgresStateStore.open({ connectionString: postgresUrl, tableName, metadataTableName });
    const state = service(store);
    await state.save([{ key: 'balance', value: 100 }]);
    const etag = (await state.get('balance'))!.etag;
    const attempts = await Promise.allSettled(
      [1, 2, 3, 4].map((n) =>
        state.transaction([
          { operation: 'upsert', request: { key: `audit-${n}`, value: n } },
          { operation: 'upsert', request: { key: 'balance', value: 100 - n, etag } },
        ]),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
    const winner = attempts.findIndex((attempt) => attempt.status === 'fulfilled') + 1;
    expect(await state.getJson('balance')).toBe(100 - winner);
    const audits = await state.getBulk([1, 2, 3, 4].map((n) => `audit-${n}`));
    expect(audits.filter((entry) => entry.value !== undefined).map((entry) => entry.key)).toEqual([`audit-${winner}`]);
    await store.close();
  });
});

describe('state.postgresql when the server is unreachable', () => {
  it('fails at once with a message naming the server when nothing listens on the port', async () => {
    const port = await closedPort();
    await expect(create({ connectionString: `host=127.0.0.1 port=${port} user=postgres password=x`, timeout: '2s' })).rejects.toThrow(
      new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port} is unavailable: .*ECONNREFUSED`),
    );
  });

  it('gives up after the timeout when the server accepts connections but never answers', async () => {
    const silent = await silentServer();
    try {
      await expect(create({ connectionString: `postgres://postgres:x@127.0.0.1:${silent.port}/postgres`, timeout: '300ms' })).rejects.toThrow(
        new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${silent.port} is unavailable: .*timeout`, 'i'),
      );
    } finally {
      await silent.close();
    }
  });

  it('fails calls with ERR_STATE_* while the server is gone, and recovers without losing acknowledged writes', async () => {
    const target = new URL(postgresUrl);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const { tableName, metadataTableName } = tableNames('outage');
    const through = new URL(postgresUrl);
    through.port = String(proxy.port);
    const store = await create({ connectionString: through.toString(), tableName, metadataTableName, timeout: '2s' });
    const state = service(store);
    try {
      await state.save([{ key: 'before', value: 'kept' }]);
      await proxy.stop();
      await expect(state.get('before')).rejects.toMatchObject({
        code: 'ERR_STATE_GET',
        message: expect.stringContaining(`PostgreSQL at 127.0.0.1:${proxy.port} is unavailable`),
      });
      await expect(state.save([{ key: 'during', value: 1 }])).rejects.toMatchObject({ code: 'ERR_STATE_SAVE' });
      await expect(state.transaction([{ operation: 'upsert', request: { key: 'during', value: 1 } }])).rejects.toMatchObject({
        code: 'ERR_STATE_TRANSACTION',
        message: expect.stringContaining('is unavailable'),
      });
      await proxy.start();
      expect(await state.getJson('before')).toBe('kept');
      await state.save([{ key: 'after', value: 'ok' }]);
      expect(await state.getJson('after')).toBe('ok');
      expect(await state.get('during')).toBeUndefined();
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it('times out statements on a server that stops answering mid-session, then recovers when it answers again', async () => {
    const target = new URL(postgresUrl);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const { tableName, metadataTableName } = tableNames('hang');
    const through = new URL(postgresUrl);
    through.port = String(proxy.port);
    const store = await create({ connectionString: through.toString(), tableName, metadataTableName, timeout: '1s' });
    const state = service(store);
    try {
      await state.save([{ key: 'before', value: 'kept' }]);
      proxy.freeze();
      await expect(state.get('before')).rejects.toMatchObject({
        code: 'ERR_STATE_GET',
        message: expect.stringMatching(/PostgreSQL at .* is unavailable: .*timeout/i),
      });
      await expect(state.transaction([{ operation: 'upsert', request: { key: 'during', value: 1 } }])).rejects.toMatchObject({
        code: 'ERR_STATE_TRANSACTION',
      });
      proxy.thaw();
      expect(await state.getJson('before')).toBe('kept');
      expect(await state.get('during')).toBeUndefined();
    } finally {
      await store.close();
      await proxy.stop();
    }
  });
});
