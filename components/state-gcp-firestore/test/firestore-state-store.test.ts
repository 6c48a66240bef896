import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, stateCommonMetadata, type StateStore, type TransactionOperation } from '@mecha/state';
import { definition, documentId, maxTransactionWrites } from '../src/index.ts';
import { emulatorHost, requireFirestore, startPatchedEmulator } from './fixtures/firestore-emulator.ts';

await requireFirestore();
const collection = `state-${randomUUID().slice(0, 8)}`;
const admin = new Firestore({ projectId: 'mecha-test', host: emulatorHost, ssl: false, customHeaders: { Authorization: 'Bearer owner' } });
afterAll(() => admin.terminate());

async function open(raw: Record<string, string> = {}): Promise<StateStore> {
  const metadata = { project_id: 'mecha-test', entity_kind: collection, emulatorHost, ...raw };
  return definition.create(validateMetadata(definition.metadata, metadata, { passthrough: stateCommonMetadata }), {
    name: 'statestore',
    appId: 'app',
    logger: silentLogger(),
    rawMetadata: metadata,
  });
}
const service = (store: StateStore) => new StateService({ store, features: definition.features, appId: 'app' });

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('state.gcp.firestore on the stock emulator (MECHA_TEST_FIRESTORE)', () => {
  it('keeps a document per key with key, value bytes, etag and expireAt', async () => {
    const state = service(await open());
    await state.save([{ key: 'a/b', value: { n: 1 }, metadata: { ttlInSeconds: '60' } }]);
    const doc = await admin.collection(collection).doc(documentId('app||a/b')).get();
    expect(doc.get('key')).toBe('app||a/b');
    expect(Buffer.from(doc.get('value') as Uint8Array).toString()).toBe('{"n":1}');
    expect(doc.get('etag')).toBe((await state.get('a/b'))!.etag);
    expect((doc.get('expireAt') as { toMillis(): number }).toMillis()).toBeGreaterThan(Date.now() + 50_000);
    await state.save([{ key: 'a/b', value: 2 }]);
    expect((await admin.collection(collection).doc(documentId('app||a/b')).get()).get('expireAt')).toBeNull();
    expect(await state.getJson('a/b')).toBe(2);
    await state.close();
  });

  it('checks ETags and first-write, and refuses a transaction with a stale ETag before writing anything', async () => {
    const state = service(await open());
    await state.save([{ key: 'e', value: 1 }]);
    const etag = (await state.get('e'))!.etag!;
    await state.save([{ key: 'e', value: 2, etag }]);
    await expect(state.save([{ key: 'e', value: 3, etag }])).rejects.toMatchObject({ kind: 'conflict' });
    await expect(state.save([{ key: 'e', value: 3, options: { concurrency: 'first-write' } }])).rejects.toMatchObject({ kind: 'conflict' });
    await expect(
      state.transaction([
        { operation: 'upsert', request: { key: 'tx-new', value: 1 } },
        { operation: 'delete', request: { key: 'e', etag } },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_STATE_TRANSACTION' });
    expect(await state.get('tx-new')).toBeUndefined();
    expect(await state.getJson('e')).toBe(2);
    await state.close();
  });

  it('hides an expired document Firestore has not deleted yet, and lets first-write replace it', async () => {
    const state = service(await open());
    await admin
      .collection(collection)
      .doc(documentId('app||old'))
      .set({ key: 'app||old', value: Buffer.from('1'), etag: 'e1', expireAt: new Date(Date.now() - 1000) });
    expect(await state.get('old')).toBeUndefined();
    expect(await state.getBulk(['old'])).toEqual([{ key: 'old' }]);
    await expect(state.save([{ key: 'old', value: 2, etag: 'e1' }])).rejects.toMatchObject({ kind: 'conflict' });
    await state.save([{ key: 'old', value: 3, options: { concurrency: 'first-write' } }]);
    expect(await state.getJson('old')).toBe(3);
    await state.close();
  });

  it('connects through FIRESTORE_EMULATOR_HOST when no emulatorHost is given', async () => {
    const saved = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = emulatorHost;
    try {
      const state = service(await open({ emulatorHost: '' }));
      await state.save([{ key: 'via-env', value: 'env' }]);
      expect(await state.getJson('via-env')).toBe('env');
      await state.close();
    } finally {
      if (saved === undefined) delete process.env.FIRESTORE_EMULATOR_HOST;
      else process.env.FIRESTORE_EMULATOR_HOST = saved;
    }
  });
});

describe('state.gcp.firestore limits and configuration', () => {
  it(`refuses a transaction over ${maxTransactionWrites} keys before writing`, async () => {
    const store = await open();
    const operations: TransactionOperation[] = Array.from({ length: maxTransactionWrites + 1 }, (_, i) => ({
      operation: 'upsert',
      request: { key: `app||many-${i}`, value: new Uint8Array(1), concurrency: 'last-write', consistency: 'strong', metadata: {} },
    }));
    await expect(store.transact!(operations, {})).rejects.toThrow(/at most 500 documents; this transaction changes 501 keys/);
    expect((await admin.collection(collection).doc(documentId('app||many-0')).get()).exists).toBe(false);
    await store.close();
  });

  it('needs both halves of service-account credentials, and a project', async () => {
    await expect(open({ private_key: 'k' })).rejects.toThrow(/both "private_key" and "client_email"/);
    expect(() => validateMetadata(definition.metadata, {})).toThrow(/"project_id": is required/);
  });
});

describe('documentId', () => {
  it('escapes what Firestore forbids in IDs and keeps distinct keys distinct', () => {
    expect(documentId('app||k')).toBe('app||k');
    expect(documentId('a/b')).toBe('a%2Fb');
    expect(documentId('a%2Fb')).toBe('a%252Fb');
    expect(documentId('.')).toBe('%2E');
    expect(documentId('..')).toBe('%2E%2E');
    expect(documentId('__x__')).toBe('%5F_x__');
    expect(() => documentId('')).toThrow(/empty/);
  });
});

describe('state.gcp.firestore with the server down', () => {
  it('fails within requestTimeout while nothing listens, and works once the emulator is there', async () => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const state = service(await open({ emulatorHost: host, requestTimeout: '1s' }));
    await expect(state.get('down')).rejects.toMatchObject({
      code: 'ERR_STATE_GET',
      message: expect.stringContaining(`Firestore did not answer within 1000 ms for collection ${collection} of project mecha-test at ${host}`),
    });
    await expect(state.save([{ key: 'down', value: 1 }])).rejects.toMatchObject({
      code: 'ERR_STATE_SAVE',
      message: expect.stringContaining('may or may not be applied'),
    });
    const emulator = await startPatchedEmulator(port);
    try {
      // The same store, once the server answers. (The write above was abandoned, not cancelled:
      // the client library may still deliver it, so this checks another key.)
      await state.save([{ key: 'back', value: 'again' }]);
      expect(await state.getJson('back')).toBe('again');
    } finally {
      await state.close();
      emulator.stop();
    }
  }, 30_000);
});
