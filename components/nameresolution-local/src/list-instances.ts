import type { SidecarInstance } from '@mecha/invocation';
import { defaultRegistryPath } from './default-registry-path.ts';
import { readInstances } from './instance-file.ts';

/** Every live sidecar instance in the registry folder, with its labels, sorted by app id then pid (for `mecha list`). */
export async function listInstances(registryPath: string = defaultRegistryPath()): Promise<SidecarInstance[]> {
  return (await readInstances(registryPath)).instances;
}
