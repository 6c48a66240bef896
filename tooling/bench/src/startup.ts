import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { ChildProcesses } from './child-processes.ts';
import { sqliteState, writeResources, type ComponentSpec } from './component-files.ts';
import { startMechad } from './mechad-process.ts';

export interface StartupResult {
  /** Spawn → first 204 of `/v1.0/healthz`, per start, in ms. */
  startsMs: number[];
  medianMs: number;
  components: string[];
  pollMs: number;
  /** Spawn → exit of `node -e 0`, median: the part of a start that is Node's own. */
  nodeAloneMs: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The five components of the start-up figure: two SQLite stores, one in-memory store, two in-memory brokers. */
function startupComponents(dir: string): ComponentSpec[] {
  return [
    sqliteState('statestore', path.join(dir, 'orders.db')),
    sqliteState('archive', path.join(dir, 'archive.db')),
    { name: 'cache', type: 'state.in-memory' },
    { name: 'pubsub', type: 'pubsub.in-memory' },
    { name: 'events', type: 'pubsub.in-memory' },
  ];
}

/** Each start gets a fresh folder (new database files, empty MECHA_HOME): a first start, every time. */
export async function measureStartup(children: ChildProcesses, workDir: string, starts: number, pollMs = 5): Promise<StartupResult> {
  const startsMs: number[] = [];
  let components: string[] = [];
  for (let i = 0; i < starts; i++) {
    const dir = path.join(workDir, `startup-${i}`);
    const specs = startupComponents(dir);
    components = specs.map((s) => `${s.name} (${s.type})`);
    const resourcesDir = writeResources(path.join(dir, 'components'), specs);
    const server = await startMechad(children, { home: dir, resourcesDir, pollMs });
    startsMs.push(server.healthyAt - server.spawnedAt);
    await children.stop(server.child);
  }
  const nodeAlone: number[] = [];
  for (let i = 0; i < starts; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    nodeAlone.push(performance.now() - t0);
  }
  return { startsMs, medianMs: median(startsMs), components, pollMs, nodeAloneMs: median(nodeAlone) };
}
