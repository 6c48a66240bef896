import { CommunicationProtocolEnum, DaprClient, LogLevel, StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/** The official SDK (HTTP protocol) against a real mechad process: state with ETags. */
describe('@dapr/dapr HTTP client: state', () => {
  let sidecar: MechadProcess;
  let client: DaprClient;

  beforeAll(async () => {
    sidecar = await startMechad({ appId: 'sdk-state' });
    client = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    });
  });

  afterAll(async () => {
    await client?.stop();
    await sidecar?.stop();
  });

  for (const store of ['statestore', 'memstore']) {
    describe(store, () => {
      it('saves, gets and deletes', async () => {
        const saved = await client.state.save(store, [
          { key: 'order-1', value: { id: 1, item: 'book' } },
          { key: 'greeting', value: 'héllo wörld ✓' },
        ]);
        expect(saved.error).toBeUndefined();
        expect(await client.state.get(store, 'order-1')).toEqual({ id: 1, item: 'book' });
        expect(await client.state.get(store, 'greeting')).toBe('héllo wörld ✓');
        await client.state.delete(store, 'order-1');
        // The SDK turns daprd's 204 for a missing key into "".
        expect(await client.state.get(store, 'order-1')).toBe('');
      });

      it('reads in bulk, missing keys included', async () => {
        await client.state.save(store, [
          { key: 'b1', value: 1 },
          { key: 'b2', value: { two: 2 } },
        ]);
        const items = (await client.state.getBulk(store, ['b1', 'b2', 'absent'])) as { key: string; data?: unknown; etag?: string }[];
        const byKey = Object.fromEntries(items.map((i) => [i.key, i]));
        expect(byKey['b1']!.data).toBe(1);
        expect(byKey['b2']!.data).toEqual({ two: 2 });
        expect(byKey['b1']!.etag).toBeTruthy();
        expect(byKey['absent']).toEqual({ key: 'absent' });
      });

      it('checks ETags on save and delete', async () => {
        await client.state.save(store, [{ key: 'counter', value: 1 }]);
        const [first] = (await client.state.getBulk(store, ['counter'])) as { etag: string }[];
        const etag = first!.etag;
        const ok = await client.state.save(store, [{ key: 'counter', value: 2, etag, options: { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG } }]);
        expect(ok.error).toBeUndefined();
        // The old ETag is now stale: the write must be refused and the value kept.
        const stale = await client.state.save(store, [{ key: 'counter', value: 3, etag, options: { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG } }]);
        expect(stale.error).toBeDefined();
        expect(String(stale.error)).toContain('409');
        expect(await client.state.get(store, 'counter')).toBe(2);
        await expect(client.state.delete(store, 'counter', { etag })).resolves.toMatchObject({ error: expect.anything() });
        expect(await client.state.get(store, 'counter')).toBe(2);
        const [current] = (await client.state.getBulk(store, ['counter'])) as { etag: string }[];
        await client.state.delete(store, 'counter', { etag: current!.etag });
        expect(await client.state.get(store, 'counter')).toBe('');
      });

      it('runs a transaction atomically', async () => {
        await client.state.save(store, [{ key: 'tx-a', value: 'old' }, { key: 'tx-gone', value: 'x' }]);
        await client.state.transaction(store, [
          { operation: 'upsert', request: { key: 'tx-a', value: 'new' } },
          { operation: 'upsert', request: { key: 'tx-b', value: { n: 1 } } },
          { operation: 'delete', request: { key: 'tx-gone' } },
        ]);
        expect(await client.state.get(store, 'tx-a')).toBe('new');
        expect(await client.state.get(store, 'tx-b')).toEqual({ n: 1 });
        expect(await client.state.get(store, 'tx-gone')).toBe('');

        // A stale ETag inside the transaction fails all of it.
        await expect(
          client.state.transaction(store, [
            { operation: 'upsert', request: { key: 'tx-a', value: 'should-not-land' } },
            { operation: 'upsert', request: { key: 'tx-b', value: 'x', etag: { value: '999999' } } },
          ]),
        ).rejects.toThrow();
        expect(await client.state.get(store, 'tx-a')).toBe('new');
        expect(await client.state.get(store, 'tx-b')).toEqual({ n: 1 });
      });
    });
  }

  it('metadata lists the components with their capabilities', async () => {
    const metadata = (await client.metadata.get()) as unknown as {
      id: string;
      components: { name: string; type: string; version: string; capabilities: string[] }[];
    };
    expect(metadata.id).toBe('sdk-state');
    const byName = Object.fromEntries(metadata.components.map((c) => [c.name, c]));
    expect(byName['statestore']).toMatchObject({ type: 'state.sqlite', version: 'v1' });
    expect(byName['statestore']!.capabilities).toEqual(expect.arrayContaining(['ETAG', 'TRANSACTIONAL', 'TTL', 'ACTOR']));
    expect(byName['memstore']).toMatchObject({ type: 'state.in-memory', version: 'v1' });
    expect(byName['pubsub']).toMatchObject({ type: 'pubsub.in-memory', version: 'v1' });
  });

  it('metadata set stores an extended attribute', async () => {
    await client.metadata.set('team', 'checkout');
    const metadata = (await client.metadata.get()) as unknown as { extended: Record<string, string> };
    expect(metadata.extended['team']).toBe('checkout');
  });
});
