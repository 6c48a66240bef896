import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMetadataTable, silentLogger, validateMetadata } from '@mecha/core';
import { defaultRegistryPath, definition, LocalNameResolver } from '../src/index.ts';

describe('definition', () => {
  it('is nameresolution.local v1', () => {
    expect(definition).toMatchObject({ type: 'nameresolution.local', version: 'v1', block: 'nameresolution', features: [] });
  });

  it('creates a working resolver from resource metadata', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mecha-nr-def-'));
    const metadata = validateMetadata(definition.metadata, { registryPath: dir, cacheTTL: '2s' });
    expect(metadata.cacheTTL).toBe(2000);
    const resolver = await definition.create(metadata, { name: 'mdns', appId: 'orders', logger: silentLogger(), rawMetadata: {} });
    try {
      expect(resolver).toBeInstanceOf(LocalNameResolver);
      expect((resolver as LocalNameResolver).registryPath).toBe(dir);
      await resolver.register({ appId: 'orders', host: '127.0.0.1', httpPort: 3500, pid: process.pid });
      expect((await resolver.resolve('orders')).httpPort).toBe(3500);
    } finally {
      await resolver.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a cacheTTL that is not a duration', () => {
    expect(() => validateMetadata(definition.metadata, { cacheTTL: 'soon' })).toThrow(/cacheTTL/);
  });

  it('README carries the current config table', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const table = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
    expect(table).toBe(renderMetadataTable(definition.metadata));
  });
});

describe('defaultRegistryPath', () => {
  it('is $MECHA_HOME/instances, with MECHA_HOME defaulting to ~/.mecha', () => {
    expect(defaultRegistryPath({ MECHA_HOME: '/srv/mecha' })).toBe(join('/srv/mecha', 'instances'));
    expect(defaultRegistryPath({})).toBe(join(homedir(), '.mecha', 'instances'));
    expect(defaultRegistryPath({ MECHA_HOME: '' })).toBe(join(homedir(), '.mecha', 'instances'));
  });
});
