import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFileSecretStore } from '../src/local-file-secret-store.ts';
import { definition } from '../src/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mecha-local-file-unit-'));
function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('LocalFileSecretStore', () => {
  it('flattens arrays by index and turns booleans, numbers and null into strings', async () => {
    const store = await LocalFileSecretStore.open({
      secretsFile: write('kinds.json', JSON.stringify({ hosts: ['a', 'b'], on: true, n: 1.5, none: null })),
    });
    expect(await store.bulkGet()).toEqual({
      'hosts:0': { 'hosts:0': 'a' },
      'hosts:1': { 'hosts:1': 'b' },
      on: { on: 'true' },
      n: { n: '1.5' },
      none: { none: '' },
    });
  });

  it('flattens deeper levels inside a multi-valued secret', async () => {
    const store = await LocalFileSecretStore.open({
      secretsFile: write('deep.json', JSON.stringify({ db: { primary: { user: 'u' }, port: 1 } })),
      multiValued: true,
    });
    expect(await store.get('db')).toEqual({ 'primary:user': 'u', port: '1' });
  });

  it('reads a relative path from the working directory', async () => {
    write('relative.json', '{"k":"v"}');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const store = await LocalFileSecretStore.open({ secretsFile: 'relative.json' });
      expect(await store.get('k')).toEqual({ k: 'v' });
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses a file that is not valid JSON without quoting its content', async () => {
    const file = write('broken.json', '{"password": "hunter2"');
    const error = (await LocalFileSecretStore.open({ secretsFile: file }).then(
      () => new Error('opened'),
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toContain(`secretsFile ${file} is not valid JSON`);
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a missing file and a file that is not an object, naming the file', async () => {
    await expect(LocalFileSecretStore.open({ secretsFile: path.join(dir, 'nope.json') })).rejects.toThrow(/cannot read secretsFile .*nope\.json/);
    await expect(LocalFileSecretStore.open({ secretsFile: write('array.json', '["a"]') })).rejects.toThrow(/must hold a JSON object/);
  });

  it('refuses an empty nestedSeparator through the component definition', async () => {
    await expect(
      definition.create({ secretsFile: write('ok.json', '{}'), nestedSeparator: '', multiValued: false }, {
        name: 's',
        appId: 'a',
        logger: { child: () => undefined } as never,
        rawMetadata: {},
      }),
    ).rejects.toThrow('nestedSeparator must not be empty');
  });
});
