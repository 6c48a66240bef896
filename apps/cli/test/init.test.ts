import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfiguration, loadResources } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';
import { captureIo } from './capture-io.ts';
import { useTempDirs } from './temp-dirs.ts';

const tempDir = useTempDirs();

describe('mecha init', () => {
  it('writes a SQLite state store, an in-memory pub/sub and a Configuration that core loads', async () => {
    const home = path.join(tempDir(), 'home');
    const io = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['init'], io)).toBe(0);
    const loaded = await loadResources([path.join(home, 'components')]);
    const byName = Object.fromEntries(loaded.components.map((component) => [component.name, component]));
    expect(byName.statestore).toMatchObject({
      type: 'state.sqlite',
      version: 'v1',
      metadata: [{ name: 'connectionString', value: path.join(home, 'data', 'state.db') }],
    });
    expect(byName.statestore!.metadata.some((item) => item.name === 'actorStateStore')).toBe(false);
    expect(byName.pubsub).toMatchObject({ type: 'pubsub.in-memory', version: 'v1' });
    expect(loaded.components).toHaveLength(2);
    const configuration = await loadConfiguration(path.join(home, 'config.yaml'));
    expect(configuration.name).toBe('daprConfig');
    expect(statSync(path.join(home, 'data')).isDirectory()).toBe(true);
    expect(io.out()).toContain(`Wrote ${path.join(home, 'components', 'statestore.yaml')}`);
    expect(io.out()).toContain(`Wrote ${path.join(home, 'config.yaml')}`);
  });

  it('keeps existing files unless --force', async () => {
    const home = path.join(tempDir(), 'home');
    expect(await main(['init'], captureIo({ MECHA_HOME: home }, '/'))).toBe(0);
    const file = path.join(home, 'components', 'pubsub.yaml');
    writeFileSync(file, '# mine\n');
    const again = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['init', '--slim'], again)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('# mine\n');
    expect(again.out()).toContain(`Kept existing ${file}`);
    expect(await main(['init', '--force'], captureIo({ MECHA_HOME: home }, '/'))).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('pubsub.in-memory');
  });

  it('accepts dapr init flags, refuses Kubernetes and stray arguments', async () => {
    const home = path.join(tempDir(), 'home');
    expect(await main(['init', '--runtime-version', '1.16.0', '--dev', '-s'], captureIo({ MECHA_HOME: home }, '/'))).toBe(0);
    const k8s = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['init', '-k'], k8s)).toBe(1);
    expect(k8s.err()).toMatch(/does not support Kubernetes/);
    const stray = captureIo({ MECHA_HOME: path.join(home, 'other') }, '/');
    expect(await main(['init', 'now'], stray)).toBe(1);
    expect(existsSync(path.join(home, 'other'))).toBe(false);
  });
});
