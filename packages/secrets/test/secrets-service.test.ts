import { describe, expect, it } from 'vitest';
import type { SecretStore } from '../src/secret-store.ts';
import { SecretScope } from '../src/secret-scope.ts';
import { SecretsService } from '../src/secrets-service.ts';

const store = (failWith?: Error): SecretStore => ({
  get: async (name) => {
    if (failWith) throw failWith;
    return name === 'db' ? { user: 'u', password: 'p4ss' } : undefined;
  },
  bulkGet: async () => {
    if (failWith) throw failWith;
    return { db: { user: 'u', password: 'p4ss' }, api: { api: 'k3y' } };
  },
  close: async () => {},
});

describe('SecretsService', () => {
  it('wraps a store failure in ERR_SECRET_GET naming the secret and the store', async () => {
    const service = new SecretsService({ name: 'vault', store: store(new Error('connection refused')) });
    await expect(service.get('db')).rejects.toMatchObject({
      code: 'ERR_SECRET_GET',
      message: 'failed getting secret with key db from secret store vault: connection refused',
    });
    await expect(service.bulkGet()).rejects.toMatchObject({
      code: 'ERR_SECRET_GET',
      message: 'failed getting secrets from secret store vault: connection refused',
    });
  });

  it('answers a missing secret with ERR_SECRET_GET', async () => {
    await expect(new SecretsService({ name: 'vault', store: store() }).get('nope')).rejects.toMatchObject({
      code: 'ERR_SECRET_GET',
      message: 'failed getting secret with key nope from secret store vault: secret nope not found',
    });
  });

  it('read() ignores the scope (for secretKeyRef in component files); get() does not', async () => {
    const service = new SecretsService({ name: 'vault', store: store(), scope: new SecretScope({ storeName: 'vault', defaultAccess: 'deny' }) });
    await expect(service.get('db')).rejects.toMatchObject({ code: 'ERR_PERMISSION_DENIED', message: 'access denied by policy to get "db" from "vault"' });
    expect(await service.read('db')).toEqual({ user: 'u', password: 'p4ss' });
    expect(await service.bulkGet()).toEqual({});
  });
});
