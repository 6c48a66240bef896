import { describe, expect, it } from 'vitest';
import { LocalEnvSecretStore } from '../src/local-env-secret-store.ts';

const env = { DAPR_API_TOKEN: 't0ken', APP_API_TOKEN: 'app-t0ken', DAPR_HTTP_PORT: '3500', MYAPP_DB: 'x', MYAPP_: 'empty-name', OTHER: 'y' };

describe('LocalEnvSecretStore', () => {
  it("never serves the sidecar's own credentials", async () => {
    const store = new LocalEnvSecretStore({ env });
    expect(await store.get('DAPR_API_TOKEN')).toBeUndefined();
    expect(await store.get('APP_API_TOKEN')).toBeUndefined();
    const all = await store.bulkGet();
    expect(Object.keys(all).sort()).toEqual(['MYAPP_', 'MYAPP_DB', 'OTHER']);
  });

  it('with a prefix serves only those variables, without the prefix; a DAPR_ prefix serves nothing', async () => {
    const store = new LocalEnvSecretStore({ env, prefix: 'MYAPP_' });
    expect(await store.get('DB')).toEqual({ DB: 'x' });
    expect(await store.get('OTHER')).toBeUndefined();
    expect(await store.get('')).toBeUndefined();
    expect(await store.bulkGet()).toEqual({ DB: { DB: 'x' } });
    expect(await new LocalEnvSecretStore({ env, prefix: 'DAPR_' }).bulkGet()).toEqual({});
  });
});
