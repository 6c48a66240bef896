import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, validateMetadata } from '@mecha/core';
import { StateService, stateCommonMetadata, type StateStore, type TransactionOperation } from '@mecha/state';
import { DynamoDbStateStore, definition, maxTransactionItems } from '../src/index.ts';
import { adminClient, createTestTable, dynamoEndpoint, requireDynamo, testCredentials } from './fixtures/dynamodb-server.ts';
import { startTcpRelay } from './fixtures/tcp-relay.ts';

await requireDynamo();
const { table, drop } = await createTestTable();
const admin = adminClient();
afterAll(async () => {
  admin.destroy();
  await drop();
});

async function open(raw: Record<string, string> = {}): Promise<StateStore> {
  const metadata = { table, endpoint: dynamoEndpoint, ...testCredentials, ttlAttributeName: 'expiresAt', ...raw };
  return definition.create(validateMetadata(definition.metadata, metadata, { passthrough: stateCommonMetadata }), {
    name: 'statestore',
    appId: 'app',
    logger: silentLogger(),
    rawMetadata: metadata,
  });
}
const service = (store: StateStore, name = 'statestore') => new StateService({ name, store, features: definition.features, appId: 'app' });
const upsert = (key: string, value: string): TransactionOperation => ({
  operation: 'upsert',
  request: { key, value: new TextEncoder().encode(value), concurrency: 'last-write', consistency: 'strong', metadata: {} },
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function rawItem(key: string) {
  return (await admin.send(new GetItemCommand({ TableName: table, Key: { key: { S: key } }, ConsistentRead: true }))).Item;
}

describe('state.aws.dynamodb item layout', () => {
  it("writes Dapr's layout: key, value as a string for UTF-8, etag, expiry in epoch seconds", async () => {
    const state = service(await open());
    await state.save([{ key: 'layout', value: { a: 1 }, metadata: { ttlInSeconds: '60' } }]);
    const item = (await rawItem('app||layout'))!;
    expect(item.value).toEqual({ S: '{"a":1}' });
    expect(item.etag?.S).toMatch(/^[0-9a-f-]{36}$/);
    const expiresAt = Number(item.expiresAt?.N);
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 50);
    expect(expiresAt).toBeLessThan(Date.now() / 1000 + 70);
    await state.save([{ key: 'bytes', value: Uint8Array.of(0xff, 0x00, 0xfe) }]);
    expect((await rawItem('app||bytes'))!.value?.B).toEqual(Uint8Array.of(0xff, 0x00, 0xfe));
    await state.close();
  });

  it('reads items written by daprd (no etag) and hides expired ones the sweeper has not removed yet', async () => {
    const store = await open();
    const state = service(store);
    await admin.send(new PutItemCommand({ TableName: table, Item: { key: { S: 'app||from-dapr' }, value: { S: '"hi"' } } }));
    const past = String(Math.floor(Date.now() / 1000) - 10);
    await admin.send(new PutItemCommand({ TableName: table, Item: { key: { S: 'app||stale' }, value: { S: '1' }, etag: { S: 'e1' }, expiresAt: { N: past } } }));
    expect(await state.getJson('from-dapr')).toBe('hi');
    expect(await state.get('stale')).toBeUndefined();
    expect(await state.getBulk(['stale', 'from-dapr'])).toMatchObject([{ key: 'stale' }, { key: 'from-dapr', value: expect.any(Uint8Array) }]);
    // Still in the table, yet absent for ETags: its old ETag fails, first-write succeeds.
    expect(await rawItem('app||stale')).toBeDefined();
    await expect(state.save([{ key: 'stale', value: 2, etag: 'e1' }])).rejects.toMatchObject({ kind: 'conflict' });
    await state.save([{ key: 'stale', value: 3, options: { concurrency: 'first-write' } }]);
    expect(await state.getJson('stale')).toBe(3);
    await store.close();
  });

  it('stores a value over the 400 KB item limit in parts and removes replaced parts', async () => {
    const store = await open();
    const state = service(store);
    const big = Uint8Array.from({ length: 900 * 1024 }, (_, i) => (i * 31) % 251);
    const countParts = async () =>
      ((await admin.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []).filter((item) => item.key?.S?.startsWith('app||big||part||')).length;
    await state.save([{ key: 'big', value: big }]);
    expect(await countParts()).toBe(2);
    expect(Buffer.from((await state.get('big'))!.value).equals(Buffer.from(big))).toBe(true);
    const [bulk] = await state.getBulk(['big']);
    expect(bulk!.value!.byteLength).toBe(big.byteLength);
    const etag = (await state.get('big'))!.etag!;
    await state.save([{ key: 'big', value: big.subarray(0, 500 * 1024), etag }]);
    expect(await countParts()).toBe(1);
    expect((await state.get('big'))!.value.byteLength).toBe(500 * 1024);
    // A refused conditional write leaves neither its parts nor a change behind.
    await expect(state.save([{ key: 'big', value: big, etag }])).rejects.toMatchObject({ kind: 'conflict' });
    expect(await countParts()).toBe(1);
    await state.transaction([{ operation: 'upsert', request: { key: 'big', value: big } }]);
    expect((await state.get('big'))!.value.byteLength).toBe(big.byteLength);
    expect(await countParts()).toBe(2);
    await state.delete('big');
    expect(await countParts()).toBe(0);
    await store.close();
  });
});

describe('state.aws.dynamodb limits and misconfiguration', () => {
  it(`refuses a transaction over ${maxTransactionItems} items before applying anything`, async () => {
    const store = await open();
    const operations = Array.from({ length: maxTransactionItems + 1 }, (_, i) => upsert(`app||too-many-${i}`, 'x'));
    await expect(store.transact!(operations, {})).rejects.toThrow(/at most 100 items; this one changes 101 keys/);
    expect(await rawItem('app||too-many-0')).toBeUndefined();
    // Repeated keys fold into one write each, so 101 operations on 100 keys go through.
    await store.transact!([...operations.slice(0, maxTransactionItems), upsert('app||too-many-0', 'again')], {});
    expect((await rawItem('app||too-many-0'))!.value).toEqual({ S: 'again' });
    await store.close();
  });

  it('refuses ttlInSeconds when no ttlAttributeName is configured, but accepts -1', async () => {
    const state = service(await open({ ttlAttributeName: '' }));
    await expect(state.save([{ key: 'ttl-off', value: 1, metadata: { ttlInSeconds: '10' } }])).rejects.toMatchObject({
      code: 'ERR_STATE_SAVE',
      message: expect.stringContaining('ttlAttributeName'),
    });
    expect(await state.get('ttl-off')).toBeUndefined();
    await state.save([{ key: 'ttl-off', value: 1, metadata: { ttlInSeconds: '-1' } }]);
    expect(await state.getJson('ttl-off')).toBe(1);
    await state.close();
  });

  it('names the missing table', async () => {
    const state = service(await open({ table: 'no-such-table' }));
    await expect(state.get('x')).rejects.toMatchObject({ code: 'ERR_STATE_GET', message: expect.stringContaining('ResourceNotFoundException') });
    await state.close();
  });

  it('requires the table', () => {
    expect(() => validateMetadata(definition.metadata, {})).toThrow(/"table": is required/);
  });
});

describe('state.aws.dynamodb with the server down', () => {
  it('fails with a clear error while nothing listens, and works once the server is there', async () => {
    const port = await freePort();
    const state = service(await open({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: '2', requestTimeout: '1s' }));
    await expect(state.get('down')).rejects.toMatchObject({
      code: 'ERR_STATE_GET',
      message: expect.stringContaining(`DynamoDB unreachable for table ${table} at http://127.0.0.1:${port}`),
    });
    await expect(state.save([{ key: 'down', value: 1 }])).rejects.toMatchObject({
      code: 'ERR_STATE_SAVE',
      message: expect.stringContaining('may or may not have been applied'),
    });
    const back = await startTcpRelay(port, dynamoEndpoint);
    try {
      await state.save([{ key: 'down', value: 2 }]);
      expect(await state.getJson('down')).toBe(2);
    } finally {
      await state.close();
      await back.close();
    }
  });
});

describe('state.aws.dynamodb bulk get', () => {
  it('asks again for the keys DynamoDB left unprocessed', async () => {
    const calls: string[][] = [];
    const fake = {
      send: async (command: { input: { RequestItems: Record<string, { Keys: Array<{ key: { S: string } }> }> } }) => {
        const keys = command.input.RequestItems.t!.Keys.map((key) => key.key.S);
        calls.push(keys);
        const [first, ...rest] = keys;
        return {
          Responses: { t: [{ key: { S: first }, value: { S: `"${first}"` }, etag: { S: 'e' } }] },
          UnprocessedKeys: rest.length > 0 ? { t: { Keys: rest.map((key) => ({ key: { S: key } })) } } : {},
        };
      },
      destroy: () => {},
    } as unknown as DynamoDBClient;
    const store = new DynamoDbStateStore({ table: 't', client: fake });
    const result = await store.bulkGet!(['a', 'b', 'c', 'a'].map((key) => ({ key, consistency: 'eventual', metadata: {} })));
    expect(calls).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
    expect(result.map((entry) => [entry.key, new TextDecoder().decode(entry.item!.value)])).toEqual([
      ['a', '"a"'],
      ['b', '"b"'],
      ['c', '"c"'],
      ['a', '"a"'],
    ]);
  });
});
