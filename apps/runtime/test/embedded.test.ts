import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateService } from '@mecha/state';
import { SqliteStateStore, definition as sqlite } from '@mecha/state-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, tempDir, type MechadProcess } from './support/mechad-process.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

/**
 * Embedded mode: the README's in-process example runs as written, and the same sequence of
 * calls gives the same outcomes in-process and through a mechad sidecar.
 */
describe('embedded mode', () => {
  it('the README in-process example runs and prints what it promises', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- readme-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- readme-example:end -->/.exec(readme);
    expect(block, 'README example markers').not.toBeNull();
    // Written inside apps/runtime so the workspace packages resolve as they do for a user.
    const file = path.join(here, '.readme-example.ts');
    writeFileSync(file, block![1]!);
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    expect(output).toContain('ERR_STATE_SAVE conflict');
    expect(output).toContain("key: 'missing'");
    expect(output).toContain('received com.dapr.event.sent { qty: 3 }');
  });

  describe('same ETag and bulk behaviour in-process and through mechad', () => {
    let sidecar: MechadProcess;
    let embedded: StateService;

    beforeAll(async () => {
      sidecar = await startMechad({ appId: 'parity' });
      embedded = new StateService({
        store: new SqliteStateStore({ connectionString: path.join(tempDir(), 'embedded.db') }),
        features: sqlite.features,
        appId: 'parity',
      });
    });
    afterAll(async () => {
      await embedded?.close();
      await sidecar?.stop();
    });

    /** One scenario, two transports: each step's outcome as a comparable string. */
    const viaHttp = {
      save: async (key: string, value: unknown, etag?: string) => {
        const response = await fetch(`${sidecar.url}/v1.0/state/statestore`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ key, value, ...(etag === undefined ? {} : { etag }) }]),
        });
        if (response.status === 204) return 'ok';
        return `${((await response.json()) as { errorCode: string }).errorCode}`;
      },
      etag: async (key: string) => (await fetch(`${sidecar.url}/v1.0/state/statestore/${key}`)).headers.get('etag') ?? undefined,
      bulk: async (keys: string[]) => {
        const response = await fetch(`${sidecar.url}/v1.0/state/statestore/bulk`, { method: 'POST', body: JSON.stringify({ keys }) });
        const items = (await response.json()) as { key: string; data?: unknown; etag?: string }[];
        return items.map((i) => `${i.key}:${JSON.stringify(i.data)}:${i.etag ? 'etag' : 'none'}`);
      },
    };
    const inProcess = {
      save: async (key: string, value: unknown, etag?: string) => {
        try {
          await embedded.save([{ key, value, etag }]);
          return 'ok';
        } catch (error) {
          return (error as { code: string }).code;
        }
      },
      etag: async (key: string) => (await embedded.get(key))?.etag,
      bulk: async (keys: string[]) =>
        (await embedded.getBulk(keys)).map(
          (i) => `${i.key}:${i.value === undefined ? undefined : Buffer.from(i.value).toString()}:${i.etag ? 'etag' : 'none'}`,
        ),
    };

    async function scenario(api: typeof viaHttp): Promise<string[]> {
      const steps: string[] = [];
      steps.push(await api.save('p', { v: 1 }));
      const first = await api.etag('p');
      steps.push(await api.save('p', { v: 2 }, first));
      steps.push(await api.save('p', { v: 3 }, first)); // stale
      steps.push(await api.save('p', { v: 4 }, 'not-an-etag-anyone-has'));
      steps.push(...(await api.bulk(['p', 'nothing-here'])));
      return steps;
    }

    it('gives identical outcomes', async () => {
      const http = await scenario(viaHttp);
      const local = await scenario(inProcess);
      expect(local).toEqual(http);
      expect(http.slice(0, 4)).toEqual(['ok', 'ok', 'ERR_STATE_SAVE', 'ERR_STATE_SAVE']);
      expect(http.slice(4)).toEqual(['p:{"v":2}:etag', 'nothing-here:undefined:none']);
    });
  });
});
