import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, type StateStore } from '@mecha/state';
import type { RowDataPacket } from 'mysql2/promise';
import { definition, MysqlStateStore } from '../src/index.ts';
import { adminConnection, dropTables, mysqlDsn, mysqlTarget, uniqueTable } from './fixtures/mysql-server.ts';
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
/** The test DSN pointed at another address. */
const dsnAt = (port: number) => mysqlDsn.replace(/@tcp\([^)]*\)/, `@tcp(127.0.0.1:${port})`);

describe('state.mysql with tables in daprd layout', () => {
  it('reads rows daprd wrote, and writes rows daprd can read', async () => {
    const { tableName, metadataTableName } = tableNames('dapr');
    const admin = await adminConnection();
    try {
      // The table exactly as daprd creates it.
      await admin.query(`CREATE TABLE ${tableName} (
        id VARCHAR(255) NOT NULL PRIMARY KEY, value JSON NOT NULL, isbinary BOOLEAN NOT NULL,
        insertDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        updateDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        eTag VARCHAR(36) NOT NULL, expiredate TIMESTAMP NULL, INDEX expiredate_idx(expiredate))`);
      await admin.query(
        `INSERT INTO ${tableName} (id, value, isbinary, eTag, expiredate) VALUES
          ('shop||json', '{"order":7,"items":["a"]}', 0, 'e1e1e1e1-0000-4000-8000-000000000001', NULL),
          ('shop||bytes', ?, 1, 'e1e1e1e1-0000-4000-8000-000000000002', NULL),
          ('shop||later', '"soon"', 0, 'e1e1e1e1-0000-4000-8000-000000000003', CURRENT_TIMESTAMP + INTERVAL 1 HOUR),
          ('shop||gone', '"expired"', 0, 'e1e1e1e1-0000-4000-8000-000000000004', CURRENT_TIMESTAMP - INTERVAL 1 SECOND)`,
        [JSON.stringify(Buffer.from([0, 1, 2, 255]).toString('base64'))],
      );

      const store = await create({ connectionString: mysqlDsn, tableName, metadataTableName });
      const state = service(store, 'shop');
      const json = await state.get('json');
      expect(JSON.parse(text.decode(json!.value))).toEqual({ order: 7, items: ['a'] });
      expect(json!.etag).toBe('e1e1e1e1-0000-4000-8000-000000000001');
      expect(Array.from((await state.get('bytes'))!.value)).toEqual([0, 1, 2, 255]);
      const later = (await state.get('later'))!.metadata.ttlExpireTime!;
      expect(Math.abs(Date.parse(later) - (Date.now() + 3_600_000))).toBeLessThan(120_000);
      expect(await state.get('gone')).toBeUndefined();
      await expect(state.save([{ key: 'json', value: 1, etag: 'e1e1e1e1-0000-4000-8000-000000000002' }])).rejects.toMatchObject({ kind: 'conflict' });
      await state.save([{ key: 'json', value: { order: 8 }, etag: json!.etag }]);
      // first-write may take over a row that expired but was not cleaned up yet.
      await state.save([{ key: 'gone', value: 'back', options: { concurrency: 'first-write' } }]);

      await state.save([
        { key: 'written', value: { by: 'mecha' }, metadata: { ttlInSeconds: '60' } },
        { key: 'raw', value: new Uint8Array([9, 8, 7]) },
      ]);
      const [rows] = await admin.query<RowDataPacket[]>(
        `SELECT id, CAST(value AS CHAR) AS value, isbinary, LENGTH(eTag) AS etagLength, expiredate > CURRENT_TIMESTAMP AS future FROM ${tableName}
          WHERE id IN ('shop||written', 'shop||raw', 'shop||json', 'shop||gone') ORDER BY id`,
      );
      expect(rows.map((row) => ({ ...row }))).toEqual([
        { id: 'shop||gone', value: '"back"', isbinary: 0, etagLength: 36, future: null },
        { id: 'shop||json', value: '{"order":8}', isbinary: 0, etagLength: 36, future: null },
        { id: 'shop||raw', value: JSON.stringify(Buffer.from([9, 8, 7]).toString('base64')), isbinary: 1, etagLength: 36, future: null },
        { id: 'shop||written', value: '{"by":"mecha"}', isbinary: 0, etagLength: 36, future: 1 },
      ]);
      await store.close();
    } finally {
      await admin.end();
    }
  });

  it('creates the database and both tables when absent; keys compare byte for byte', async () => {
    const schemaName = uniqueTable('db');
    const store = await create({ connectionString: mysqlDsn, schemaName });
    const admin = await adminConnection();
    try {
      const [columns] = await admin.query<RowDataPacket[]>(
        `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = ? AND table_name = 'state' ORDER BY ordinal_position`,
        [schemaName],
      );
      expect(columns.map((column) => `${column.name} ${column.type}`)).toEqual([
        'id varchar',
        // MariaDB stores JSON as longtext with a json_valid check.
        expect.stringMatching(/^value (json|longtext)$/),
        'isbinary tinyint',
        'insertDate timestamp',
        'updateDate timestamp',
        'eTag varchar',
        'expiredate timestamp',
      ]);
      const [metadata] = await admin.query<RowDataPacket[]>(`SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'dapr_metadata'`, [schemaName]);
      expect(metadata).toHaveLength(1);
      const state = service(store);
      await state.save([
        { key: 'Order', value: 1 },
        { key: 'order', value: 2 },
        { key: 'order ', value: 3 },
      ]);
      expect([await state.getJson('Order'), await state.getJson('order'), await state.getJson('order ')]).toEqual([1, 2, 3]);
    } finally {
      await store.close();
      await admin.query(`DROP DATABASE \`${schemaName}\``);
      await admin.end();
    }
  });

  it('refuses table and schema names that are not identifiers, and a bad DSN', async () => {
    await expect(create({ connectionString: mysqlDsn, tableName: 'state; DROP TABLE x' })).rejects.toThrow(/invalid tableName/);
    await expect(create({ connectionString: mysqlDsn, schemaName: 'a-b' })).rejects.toThrow(/invalid schemaName/);
    await expect(create({ connectionString: 'localhost:3306' })).rejects.toThrow(/Go DSN form/);
    await expect(create({ connectionString: mysqlDsn, timeoutInSeconds: '0' })).rejects.toThrow(/timeoutInSeconds/);
  });
});

describe('state.mysql bulk, transactions and cleanup', () => {
  it('saves a bulk larger than one statement may carry, in several statements', async () => {
    const { tableName, metadataTableName } = tableNames('bulk');
    const store = await MysqlStateStore.open({ connectionString: mysqlDsn, tableName, metadataTableName });
    const values = Array.from({ length: 6 }, () => new Uint8Array(randomBytes(1024 * 1024)));
    const base = { concurrency: 'last-write', consistency: 'eventual', metadata: {} } as const;
    await store.bulkSet(values.map((value, i) => ({ ...base, key: `big-${i}`, value })));
    const read = await store.bulkGet(values.map((_, i) => ({ key: `big-${i}`, consistency: 'eventual', metadata: {} })));
    expect(read.map((result) => Buffer.compare(Buffer.from(result.item!.value), Buffer.from(values[read.indexOf(result)]!)))).toEqual([0, 0, 0, 0, 0, 0]);
    await store.close();
  });

  it('lets exactly one of several concurrent transactions guarded by the same ETag commit', async () => {
    const { tableName, metadataTableName } = tableNames('txrace');
    const store = await MysqlStateStore.open({ connectionString: mysqlDsn, tableName, metadataTableName });
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

  it('deletes expired rows, and the timer-driven run claims the interval so only one process cleans', async () => {
    const { tableName, metadataTableName } = tableNames('cleanup');
    const options = { connectionString: mysqlDsn, tableName, metadataTableName, cleanupIntervalMs: 3_600_000 };
    const [a, b] = [await MysqlStateStore.open(options), await MysqlStateStore.open(options)];
    const admin = await adminConnection();
    try {
      const insert = `INSERT INTO ${tableName} (id, value, isbinary, eTag, expiredate) VALUES (?, '1', 0, 'x', ?)`;
      await admin.query(`${insert}, ('new', '1', 0, 'x', NULL)`, ['old', new Date(Date.now() - 60_000)]);
      expect(await a.cleanupExpired(false)).toBe(1);
      await admin.query(insert, ['old2', new Date(Date.now() - 60_000)]);
      // b shares the metadata table: a cleaned less than an interval ago.
      expect(await b.cleanupExpired(false)).toBe(0);
      expect(await b.cleanupExpired()).toBe(1);
      const [rows] = await admin.query<RowDataPacket[]>(`SELECT id FROM ${tableName} ORDER BY id`);
      expect(rows.map((row) => row.id)).toEqual(['new']);
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });
});

describe('state.mysql when the server is unreachable', () => {
  it('fails at once with a message naming the server when nothing listens on the port', async () => {
    const port = await closedPort();
    await expect(create({ connectionString: dsnAt(port), timeoutInSeconds: '2' })).rejects.toThrow(
      new RegExp(`MySQL at 127\\.0\\.0\\.1:${port} is unavailable: .*ECONNREFUSED`),
    );
  });

  it('gives up after the timeout when the server accepts connections but never answers', async () => {
    const silent = await silentServer();
    try {
      await expect(create({ connectionString: `${dsnAt(silent.port)}${mysqlDsn.includes('?') ? '&' : '?'}timeout=300ms` })).rejects.toThrow(
        new RegExp(`MySQL at 127\\.0\\.0\\.1:${silent.port} is unavailable: .*(timeout|timed out|ETIMEDOUT)`, 'i'),
      );
    } finally {
      await silent.close();
    }
  });

  it('fails calls with ERR_STATE_* while the server is gone, and recovers without losing acknowledged writes', async () => {
    const proxy = new TcpProxy(mysqlTarget);
    await proxy.start();
    const { tableName, metadataTableName } = tableNames('outage');
    const store = await create({ connectionString: dsnAt(proxy.port), tableName, metadataTableName, timeoutInSeconds: '2' });
    const state = service(store);
    try {
      await state.save([{ key: 'before', value: 'kept' }]);
      await proxy.stop();
      await expect(state.get('before')).rejects.toMatchObject({
        code: 'ERR_STATE_GET',
        message: expect.stringContaining(`MySQL at 127.0.0.1:${proxy.port} is unavailable`),
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
    const proxy = new TcpProxy(mysqlTarget);
    await proxy.start();
    const { tableName, metadataTableName } = tableNames('hang');
    const store = await create({ connectionString: dsnAt(proxy.port), tableName, metadataTableName, timeoutInSeconds: '1' });
    const state = service(store);
    try {
      await state.save([{ key: 'before', value: 'kept' }]);
      proxy.freeze();
      await expect(state.get('before')).rejects.toMatchObject({
        code: 'ERR_STATE_GET',
        message: expect.stringMatching(/MySQL at .* is unavailable: .*(timeout|timed out)/i),
      });
      proxy.thaw();
      expect(await state.getJson('before')).toBe('kept');
    } finally {
      await store.close();
      await proxy.stop();
    }
  });
});
