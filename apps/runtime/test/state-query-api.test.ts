import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, requireServer, runId } from './backends/backends.ts';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/** Dapr's query API through mechad on PostgreSQL, with a query exactly as Dapr's docs write it. */
describe('state query API on PostgreSQL through mechad', () => {
  const postgres = backends.find((b) => b.name === 'postgresql')!;
  let sidecar: MechadProcess;

  beforeAll(async () => {
    await requireServer(postgres);
    sidecar = await startMechad({ appId: `query-${runId()}`, resources: { 'statestore.yaml': postgres.componentYaml(runId()) } });
    const people = [
      { key: 'p1', value: { person: { org: 'Dev Ops', id: 1036 }, city: 'Seattle', state: 'WA' } },
      { key: 'p2', value: { person: { org: 'Hardware', id: 1028 }, city: 'Portland', state: 'OR' } },
      { key: 'p3', value: { person: { org: 'Dev Ops', id: 1071 }, city: 'Sacramento', state: 'CA' } },
      { key: 'p4', value: { person: { org: 'Finance', id: 1007 }, city: 'San Francisco', state: 'CA' } },
    ];
    const saved = await fetch(`${sidecar.url}/v1.0/state/statestore`, { method: 'POST', body: JSON.stringify(people), headers: { 'content-type': 'application/json' } });
    expect(saved.status).toBe(204);
  });
  afterAll(async () => {
    await sidecar?.stop();
  });

  const query = (body: unknown) => fetch(`${sidecar.url}/v1.0-alpha1/state/statestore/query`, { method: 'POST', body: JSON.stringify(body) });

  it('filters, sorts and pages like daprd', async () => {
    const document = {
      filter: { OR: [{ EQ: { 'person.org': 'Dev Ops' } }, { AND: [{ EQ: { 'person.org': 'Finance' } }, { IN: { state: ['CA', 'WA'] } }] }] },
      sort: [{ key: 'state', order: 'DESC' }, { key: 'person.id' }],
    };
    const response = await query({ ...document, page: { limit: 2 } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { key: string; data: { person: { id: number } }; etag: string }[]; token?: string };
    // WA first, then the two CA rows by person.id: Finance (1007) before Dev Ops (1071).
    expect(body.results.map((r) => r.key)).toEqual(['p1', 'p4']);
    expect(body.results[0]!.data.person.id).toBe(1036);
    expect(body.results[0]!.etag).toBeTruthy();
    expect(body.token).toBeTruthy();
    const next = (await (await query({ ...document, page: { limit: 2, token: body.token } })).json()) as { results: { key: string }[] };
    expect(next.results.map((r) => r.key)).toEqual(['p3']);
  });

  it('answers 204 for no match and ERR_STATE_QUERY for a malformed query', async () => {
    expect((await query({ filter: { EQ: { city: 'Nowhere' } } })).status).toBe(204);
    const bad = await query({ filter: { LIKE: { city: 'x' } } });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { errorCode: string }).errorCode).toBe('ERR_STATE_QUERY');
  });
});
