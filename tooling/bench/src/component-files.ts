import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One Dapr component resource, as a user writes it in a resources folder. */
export interface ComponentSpec {
  name: string;
  type: string;
  metadata?: Record<string, string>;
}

export function sqliteState(name: string, file: string): ComponentSpec {
  return { name, type: 'state.sqlite', metadata: { connectionString: file } };
}

function componentYaml(spec: ComponentSpec): string {
  const entries = Object.entries(spec.metadata ?? {});
  const lines = [
    'apiVersion: dapr.io/v1alpha1',
    'kind: Component',
    'metadata:',
    `  name: ${spec.name}`,
    'spec:',
    `  type: ${spec.type}`,
    '  version: v1',
  ];
  if (entries.length > 0) {
    lines.push('  metadata:');
    for (const [name, value] of entries) lines.push(`    - name: ${name}`, `      value: ${JSON.stringify(value)}`);
  } else {
    lines.push('  metadata: []');
  }
  return `${lines.join('\n')}\n`;
}

/** Writes one file per component into `dir` (created) and returns `dir`. */
export function writeResources(dir: string, specs: readonly ComponentSpec[]): string {
  mkdirSync(dir, { recursive: true });
  for (const spec of specs) writeFileSync(path.join(dir, `${spec.name}.yaml`), componentYaml(spec));
  return dir;
}
