import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SidecarInstance } from '@mecha/invocation';
import { isProcessAlive } from './process-alive.ts';

/**
 * One JSON file per sidecar instance, `<appId>-<pid>.json` (the app id URI-encoded so any
 * id is a safe file name). Written to a temporary name and renamed, so a reader never sees
 * half a file.
 */
const instanceFilePattern = /^(.+)-(\d+)\.json$/;

export function instanceFileName(appId: string, pid: number): string {
  return `${encodeURIComponent(appId)}-${pid}.json`;
}

/** The app id and pid a file name announces, or undefined for other files (temporaries start with a dot). */
function parseInstanceFileName(name: string): { appId: string; pid: number } | undefined {
  if (name.startsWith('.')) return undefined;
  const match = instanceFilePattern.exec(name);
  if (!match) return undefined;
  try {
    return { appId: decodeURIComponent(match[1]!), pid: Number(match[2]) };
  } catch {
    return undefined;
  }
}

export async function writeInstanceFile(registryPath: string, instance: SidecarInstance): Promise<string> {
  await mkdir(registryPath, { recursive: true });
  const name = instanceFileName(instance.appId, instance.pid);
  const file = join(registryPath, name);
  const temporary = join(registryPath, `.${name}.${randomUUID()}.tmp`);
  const record: SidecarInstance & { registeredAt: string } = { ...instance, registeredAt: new Date().toISOString() };
  try {
    await writeFile(temporary, JSON.stringify(record, null, 2) + '\n');
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return file;
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) <= 65535;
}

/** The instance in a parsed file, or undefined when the file does not describe one. */
function toInstance(value: unknown): SidecarInstance | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['appId'] !== 'string' || typeof v['host'] !== 'string' || !isPort(v['httpPort'])) return undefined;
  if (!Number.isInteger(v['pid'])) return undefined;
  const instance: SidecarInstance = { appId: v['appId'], host: v['host'], httpPort: v['httpPort'], pid: v['pid'] as number };
  if (isPort(v['grpcPort'])) instance.grpcPort = v['grpcPort'];
  if (isPort(v['internalGrpcPort'])) instance.internalGrpcPort = v['internalGrpcPort'];
  if (typeof v['labels'] === 'object' && v['labels'] !== null) {
    const labels: Record<string, string> = {};
    for (const [key, label] of Object.entries(v['labels'])) if (typeof label === 'string') labels[key] = label;
    instance.labels = labels;
  }
  return instance;
}

export interface ReadInstancesResult {
  instances: SidecarInstance[];
  /** Files skipped because they are not valid instance records. */
  invalid: string[];
}

/**
 * The live instances in a registry folder, for one app id or all of them. Entries whose
 * process is gone are deleted on the way (whoever reads first cleans up).
 */
export async function readInstances(registryPath: string, appId?: string): Promise<ReadInstancesResult> {
  let names: string[];
  try {
    names = await readdir(registryPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { instances: [], invalid: [] };
    throw error;
  }
  const result: ReadInstancesResult = { instances: [], invalid: [] };
  await Promise.all(
    names.map(async (name) => {
      const announced = parseInstanceFileName(name);
      if (!announced || (appId !== undefined && announced.appId !== appId)) return;
      const file = join(registryPath, name);
      if (!isProcessAlive(announced.pid)) {
        await unlink(file).catch(() => undefined);
        return;
      }
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        return; // Removed between readdir and read: its sidecar just closed.
      }
      let instance: SidecarInstance | undefined;
      try {
        instance = toInstance(JSON.parse(text));
      } catch {
        instance = undefined;
      }
      if (!instance || instance.appId !== announced.appId || instance.pid !== announced.pid) {
        result.invalid.push(file);
        return;
      }
      result.instances.push(instance);
    }),
  );
  // A stable order, so round-robin walks the instances the same way on every reload.
  result.instances.sort((a, b) => (a.appId === b.appId ? a.pid - b.pid : a.appId < b.appId ? -1 : 1));
  return result;
}
