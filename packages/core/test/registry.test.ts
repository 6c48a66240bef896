import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  MechaError} from '../src/index.ts';
import {
  ComponentRegistry,
  defineComponent,
  defineMetadata,
  instantiateComponent,
  isMechaError,
  loadResources,
  ResourceFileError,
  silentLogger,
} from '../src/index.ts';

const created: { metadata: unknown; name: string }[] = [];
const schema = defineMetadata({
  size: { type: 'number', default: 10, description: 'Size' },
  slow: { type: 'boolean', default: false, description: 'Take a second to start' },
  broken: { type: 'boolean', default: false, description: 'Fail to start' },
});
const demo = defineComponent({
  type: 'state.demo',
  version: 'v1',
  block: 'state',
  description: 'A demo store',
  metadata: schema,
  features: ['ETAG'],
  async create(metadata, context) {
    if (metadata.broken) throw new Error('backend refused the connection');
    if (metadata.slow) await new Promise((resolve) => setTimeout(resolve, 1000));
    created.push({ metadata, name: context.name });
    return { close: async () => undefined };
  },
});

async function resource(metadata: string, extraSpec = '') {
  const dir = mkdtempSync(path.join(tmpdir(), 'mecha-reg-'));
  writeFileSync(
    path.join(dir, 'c.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: demo
spec:
  type: state.demo
  version: v1
${extraSpec}  metadata:
${metadata}`,
  );
  return (await loadResources([dir])).components[0]!;
}

describe('ComponentRegistry', () => {
  it('finds definitions by type and version, v1 when none is given', () => {
    const registry = new ComponentRegistry().register(demo);
    expect(registry.find('state.demo')).toBe(demo);
    expect(registry.find('state.demo', 'v2')).toBeUndefined();
    expect(() => registry.register(demo)).toThrow(/registered twice/);
    expect(() => registry.get('state.nope')).toThrow(/known types: state.demo/);
  });
});

describe('instantiateComponent', () => {
  const registry = new ComponentRegistry().register(demo);
  const options = { appId: 'app', logger: silentLogger() };

  it('validates metadata and creates the component', async () => {
    const live = await instantiateComponent(registry, await resource('    - name: size\n      value: "42"\n'), options);
    expect(live.definition).toBe(demo);
    expect(created.at(-1)).toEqual({ metadata: { size: 42, slow: false, broken: false }, name: 'demo' });
  });

  it('names the field of a bad value as spec.metadata[i]', async () => {
    const error = await instantiateComponent(registry, await resource('    - name: size\n      value: big\n'), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceFileError);
    expect((error as ResourceFileError).field).toBe('spec.metadata[0]');
    expect((error as Error).message).toContain('"size"');
  });

  it('enforces spec.initTimeout', async () => {
    const error = await instantiateComponent(registry, await resource('    - name: slow\n      value: "true"\n', '  initTimeout: 100ms\n'), options).catch((e: unknown) => e);
    expect(isMechaError(error)).toBe(true);
    expect((error as MechaError).message).toMatch(/longer than 100 ms/);
  });

  it('wraps a backend failure in ERR_COMPONENT_INIT naming the component', async () => {
    const error = await instantiateComponent(registry, await resource('    - name: broken\n      value: "true"\n'), options).catch((e: unknown) => e);
    expect((error as MechaError).code).toBe('ERR_COMPONENT_INIT');
    expect((error as Error).message).toContain('demo (state.demo)');
    expect((error as Error).message).toContain('backend refused the connection');
  });
});
