import { defineComponent, defineMetadata } from '@mecha/core';
import type { SecretStore, SecretStoreFeature } from '@mecha/secrets';
import { LocalEnvSecretStore } from './local-env-secret-store.ts';

export { LocalEnvSecretStore, type LocalEnvSecretStoreOptions } from './local-env-secret-store.ts';

const metadata = defineMetadata({
  prefix: {
    type: 'string',
    description:
      'Serve only environment variables starting with this prefix, named without it. Variables starting with `DAPR_` and `APP_API_TOKEN` are never served.',
    example: 'MYAPP_',
  },
});

export const definition = defineComponent<SecretStore, SecretStoreFeature, typeof metadata>({
  type: 'secretstores.local.env',
  version: 'v1',
  block: 'secretstores',
  description: "The sidecar's environment variables as secrets (optional prefix). For development.",
  metadata,
  features: [],
  async create(values) {
    return new LocalEnvSecretStore({ prefix: values.prefix ?? '' });
  },
});
