import type { StateService } from '@mecha/state';
import type { BareStore } from './bare-store.ts';
import { statePath, type Workload } from './workload.ts';

const batch = 100;

/** Writes every GET key over the HTTP API, in batches, and checks one read comes back intact. */
export async function seedOverHttp(port: number, workload: Workload, who: string): Promise<void> {
  for (let i = 0; i < workload.getKeys.length; i += batch) {
    const items = workload.getKeys.slice(i, i + batch).map((key) => `{"key":${JSON.stringify(key)},"value":${workload.valueJson}}`);
    const res = await fetch(`http://127.0.0.1:${port}${statePath()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${items.join(',')}]` });
    const text = await res.text();
    if (res.status !== 204) throw new Error(`${who}: seeding answered ${res.status}: ${text.slice(0, 300)}`);
  }
  const key = workload.getKeys[workload.getKeys.length - 1]!;
  const res = await fetch(`http://127.0.0.1:${port}${statePath(key)}`);
  const body = await res.text();
  if (res.status !== 200 || body !== workload.valueJson) {
    throw new Error(`${who}: GET ${key} after seeding answered ${res.status} with ${body.length} bytes, expected 200 with the ${workload.valueJson.length}-byte value`);
  }
}

export async function seedInProcess(state: StateService, workload: Workload): Promise<void> {
  for (let i = 0; i < workload.getKeys.length; i += batch) {
    await state.save(workload.getKeys.slice(i, i + batch).map((key) => ({ key, value: workload.value })));
  }
  const key = workload.getKeys[workload.getKeys.length - 1]!;
  const value = await state.getJson(key);
  if (value !== workload.value) throw new Error(`in-process: ${key} did not read back after seeding`);
}

/** Writes every GET key with a database's bare client, and checks one read comes back intact. */
export async function seedBare(store: BareStore, workload: Workload, who: string): Promise<void> {
  for (let i = 0; i < workload.getKeys.length; i += batch) {
    await Promise.all(workload.getKeys.slice(i, i + batch).map((key) => store.set(key, workload.valueJson)));
  }
  const key = workload.getKeys[workload.getKeys.length - 1]!;
  const found = await store.get(key);
  if (found?.value.toString('utf8') !== workload.valueJson) throw new Error(`${who}: ${key} did not read back after seeding`);
}
