import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, type StateStore } from '@mecha/state';
import { definition, parseConnectionString, type SqliteStateStore } from '../src/index.ts';
import { tempDir } from './fixtures/temp-db.ts';

const files = tempDir();
afterAll(() => files.remove());

async function open(raw: Record<string, string>): Promise<StateStore> {
  return definition.create(validateMetadata(definition.metadata, raw), { name: 'statestore', appId: 'app', logger: silentLogger(), rawMetadata: raw });
}
const service = (store: StateStore) => new StateService({ store, features: definition.features, appId: 'app' });

describe('state.sqlite persistence', () => {
  it('keeps data across close and reopen, and shows it to a second connection at once', async () => {
    const file = files.file();
    const first = service(await open({ connectionString: file }));
    await first.save([{ key: 'order', value: { id: 1 } }]);
    const second = service(await open({ connectionString: `file:${file}` }));
    expect(await second.getJson('order')).toEqual({ id: 1 });
    await second.save([{ key: 'order', value: { id: 2 } }]);
    expect(await first.getJson('order')).toEqual({ id: 2 });
    const etag = (await first.get('order'))!.etag;
    await first.close();
    await second.close();
    const reopened = service(await open({ connectionString: file }));
    expect(await reopened.getJson('order')).toEqual({ id: 2 });
    expect((await reopened.get('order'))!.etag).toBe(etag);
    await reopened.close();
  });

  it('works with other processes writing the same file under ETag concurrency', async () => {
    const file = files.file();
    const state = new StateService({ store: await open({ connectionString: file }), features: definition.features, appId: 'shared' });
    const child = fileURLToPath(new URL('./fixtures/child-writer.ts', import.meta.url));
    const run = promisify(execFile);
    // Two processes and this one increment the same counter at the same time.
    const local = (async () => {
      for (let i = 0; i < 10; i++) {
        for (;;) {
          const current = await state.get('counter');
          const next = current ? Number(new TextDecoder().decode(current.value)) + 1 : 1;
          try {
            await state.save([{ key: 'counter', value: next, etag: current?.etag, options: { concurrency: 'first-write' } }]);
            break;
          } catch (error) {
            if ((error as { kind?: string }).kind !== 'conflict') throw error;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await Promise.all([run(process.execPath, [child, file, 'counter', '10']), run(process.execPath, [child, file, 'counter', '10']), local]);
    expect(await state.getJson('counter')).toBe(30);
    await state.close();
  });

  it("reads rows in Dapr's layout: base64 binary rows, text rows and second-precision expiry", async () => {
    const file = files.file();
    const store = await open({ connectionString: file });
    const db = new DatabaseSync(file);
    const insert = db.prepare('INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES (?, ?, ?, ?, ?)');
    insert.run('app||binary', Buffer.from('{"from":"dapr"}').toString('base64'), 1, 'e1', null);
    insert.run('app||text', '"plain"', 0, 'e2', '2999-01-02 03:04:05');
    insert.run('app||expired', '"old"', 0, 'e3', '2000-01-01 00:00:00');
    db.close();
    const state = service(store);
    expect(await state.getJson('binary')).toEqual({ from: 'dapr' });
    expect(await state.get('text')).toMatchObject({ etag: 'e2', metadata: { ttlExpireTime: '2999-01-02T03:04:05Z' } });
    expect(await state.get('expired')).toBeUndefined();
    // An expired row counts as absent for first-write, and the cleanup removes it.
    expect((store as SqliteStateStore).cleanupExpired()).toBe(1);
    await state.save([{ key: 'text', value: 'new', etag: 'e2' }]);
    expect(await state.getJson('text')).toBe('new');
    await state.close();
  });

  it('creates tables with the configured names and refuses unsafe ones', async () => {
    const file = files.file();
    const store = await open({ connectionString: file, tableName: 'orders_state', metadataTableName: 'orders_meta' });
    await service(store).save([{ key: 'k', value: 1 }]);
    await store.close();
    const db = new DatabaseSync(file);
    expect(db.prepare('SELECT count(*) AS n FROM orders_state').get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT value FROM orders_meta WHERE key = 'migrations'").get()).toEqual({ value: '1' });
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
    await expect(open({ connectionString: files.file(), tableName: 'state; DROP TABLE x' })).rejects.toThrow(/invalid table name/);
  });

  it('honours disableWAL and read-only mode', async () => {
    const file = files.file();
    const store = await open({ connectionString: file, disableWAL: 'true' });
    await service(store).save([{ key: 'k', value: 1 }]);
    await store.close();
    const db = new DatabaseSync(file);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'delete' });
    db.close();
    const readOnly = service(await open({ connectionString: `file:${file}?mode=ro` }));
    expect(await readOnly.getJson('k')).toBe(1);
    await expect(readOnly.save([{ key: 'k', value: 2 }])).rejects.toMatchObject({ code: 'ERR_STATE_SAVE', kind: 'internal' });
    await readOnly.close();
    await expect(open({ connectionString: `file:${files.file('missing.db')}?mode=rw` })).rejects.toThrow(/does not exist/);
  });

  it('refuses a timeout under one second', async () => {
    await expect(open({ connectionString: ':memory:', timeout: '500ms' })).rejects.toThrow(/timeout/);
  });

  it('closes idempotently', async () => {
    const store = await open({ connectionString: ':memory:' });
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe('parseConnectionString', () => {
  it('reads paths, file: URIs and in-memory forms', () => {
    expect(parseConnectionString(':memory:')).toMatchObject({ path: ':memory:', memory: true });
    expect(parseConnectionString('file::memory:?cache=shared')).toMatchObject({ memory: true });
    expect(parseConnectionString('/tmp/a.db')).toMatchObject({ path: '/tmp/a.db', memory: false, readOnly: false });
    expect(parseConnectionString('file:/tmp/a%20b.db?_txlock=immediate')).toMatchObject({ path: '/tmp/a b.db' });
    expect(parseConnectionString('file:///tmp/a.db?mode=ro')).toMatchObject({ path: '/tmp/a.db', readOnly: true });
    expect(parseConnectionString('file:/tmp/a.db?immutable=1').readOnly).toBe(true);
    expect(parseConnectionString('file:/tmp/a.db?mode=rw').mustExist).toBe(true);
    expect(parseConnectionString('file:/tmp/a.db?_pragma=synchronous(NORMAL)').pragmas).toEqual([['synchronous', 'NORMAL']]);
  });

  it('refuses what it cannot honour', () => {
    expect(() => parseConnectionString('')).toThrow(/missing/);
    expect(() => parseConnectionString('file:/tmp/a.db?_pragma=busy_timeout(10)')).toThrow(/forbidden/);
    expect(() => parseConnectionString('file:/tmp/a.db?_pragma=journal_mode(WAL)')).toThrow(/forbidden/);
    expect(() => parseConnectionString('file:/tmp/a.db?_pragma=x;drop')).toThrow(/invalid _pragma/);
    expect(() => parseConnectionString('file:/tmp/a.db?mode=weird')).toThrow(/mode/);
  });
});
