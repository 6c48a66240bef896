import { listInstances } from '@mecha/nameresolution-local';
import type { MechaHome } from '../environment/mecha-home.ts';

/** A live sidecar as the registry folder describes it (written by mechad through nameresolution.local). */
export interface RunningInstance {
  appId: string;
  host: string;
  httpPort: number;
  grpcPort?: number;
  pid: number;
  /** `appPort`, `appCommand`, `cliPid`, `startedAt`, `runFile`, as mechad records them. */
  labels?: Record<string, string>;
}

/** Every live sidecar of this MECHA_HOME (dead pids are skipped by the reader). */
export async function runningInstances(home: MechaHome): Promise<RunningInstance[]> {
  return listInstances(home.instancesDir);
}

/** A positive integer label (a pid or port), or undefined. */
export function numericLabel(instance: RunningInstance, key: string): number | undefined {
  const raw = instance.labels?.[key];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value > 0 ? value : undefined;
}
