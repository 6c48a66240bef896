import { CommunicationProtocolEnum, DaprClient, LogLevel, StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, requireServer, runId } from './backends/backends.ts';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/**
 * One matrix: the same Dapr component YAML a Dapr user has for each database, loaded by a real
 * mechad, driven by the official SDK over HTTP and gRPC with the same calls — and the outcomes
 * must be identical across every store.
 */
type Outcome = string;

/** JSON with object keys sorted: PostgreSQL's jsonb returns keys in its own order, as with daprd. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** The SDK's HTTP client returns `{ error }` from a failed save while its gRPC client throws: one shape for both. */
function saveOutcome(attempt: Promise<{ error?: unknown }>): Promise<'ok' | 'refused'> {
  return attempt.then(
    (result) => (result.error ? 'refused' : 'ok'),
    () => 'refused',
  );
}

async function scenario(client: DaprClient): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const store = 'statestore';
  const strong = { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG };
  const saved = await saveOutcome(
    client.state.save(store, [
      { key: 'order-1', value: { item: 'book', qty: 2 } },
      { key: 'greeting', value: 'héllo ✓' },
    ]),
  );
  out.push(`save: ${saved}`);
  out.push(`get: ${canonical(await client.state.get(store, 'order-1'))}`);
  out.push(`get text: ${canonical(await client.state.get(store, 'greeting'))}`);
  const bulk = (await client.state.getBulk(store, ['order-1', 'greeting', 'missing'])) as { key: string; data?: unknown; etag?: string }[];
  out.push(`bulk: ${canonical(bulk.map((b) => [b.key, b.data ?? null, Boolean(b.etag)]).sort())}`);
  const etag = bulk.find((b) => b.key === 'order-1')!.etag!;
  out.push(`save with current etag: ${await saveOutcome(client.state.save(store, [{ key: 'order-1', value: { qty: 3 }, etag, options: strong }]))}`);
  out.push(`save with stale etag: ${await saveOutcome(client.state.save(store, [{ key: 'order-1', value: { qty: 4 }, etag, options: strong }]))}`);
  out.push(`after stale: ${canonical(await client.state.get(store, 'order-1'))}`);
  await client.state.transaction(store, [
    { operation: 'upsert', request: { key: 'tx-a', value: 'a' } },
    { operation: 'delete', request: { key: 'greeting' } },
  ]);
  out.push(`tx: ${canonical([await client.state.get(store, 'tx-a'), await client.state.get(store, 'greeting')])}`);
  const failed = await client.state
    .transaction(store, [
      { operation: 'upsert', request: { key: 'tx-a', value: 'must-not-land' } },
      { operation: 'upsert', request: { key: 'order-1', value: 'x', etag: { value: etag } } },
    ])
    .then(
      () => 'committed',
      () => 'rolled back',
    );
  out.push(`tx with stale etag: ${failed} → ${canonical(await client.state.get(store, 'tx-a'))}`);
  await client.state.delete(store, 'order-1');
  out.push(`deleted: ${canonical(await client.state.get(store, 'order-1'))}`);
  return out;
}

describe('state stores on real databases through mechad, with @dapr/dapr', () => {
  const results = new Map<string, Outcome[]>();
  const sidecars: MechadProcess[] = [];

  afterAll(async () => {
    await Promise.all(sidecars.map((s) => s.stop()));
  });

  for (const backend of backends) {
    for (const protocol of [CommunicationProtocolEnum.HTTP, CommunicationProtocolEnum.GRPC]) {
      const label = `${backend.name} over ${protocol === CommunicationProtocolEnum.HTTP ? 'HTTP' : 'gRPC'}`;
      describe(label, () => {
        let client: DaprClient;
        beforeAll(async () => {
          await requireServer(backend);
          const run = runId();
          await backend.prepare?.(run);
          const sidecar = await startMechad({ appId: `matrix-${run}`, resources: { 'statestore.yaml': backend.componentYaml(run) }, env: backend.env });
          sidecars.push(sidecar);
          client = new DaprClient({
            daprHost: '127.0.0.1',
            daprPort: String(protocol === CommunicationProtocolEnum.HTTP ? sidecar.httpPort : sidecar.grpcPort),
            communicationProtocol: protocol,
            logger: { level: LogLevel.Error },
          });
        });

        it('runs the scenario', async () => {
          const outcome = await scenario(client);
          results.set(label, outcome);
          expect(outcome).toContain('save with stale etag: refused');
          expect(outcome).toContain('tx with stale etag: rolled back → "a"');
        });
      });
    }
  }

  // Per protocol, because the SDK itself shapes a missing bulk item differently over HTTP
  // (no data) and gRPC (empty data), exactly as it does against daprd.
  for (const protocol of ['HTTP', 'gRPC']) {
    it(`every store gives identical outcomes over ${protocol}`, () => {
      const entries = [...results.entries()].filter(([label]) => label.endsWith(`over ${protocol}`));
      expect(entries).toHaveLength(backends.length);
      const [, reference] = entries[0]!;
      for (const [label, outcome] of entries.slice(1)) expect({ label, outcome }).toEqual({ label, outcome: reference });
    });
  }
});
