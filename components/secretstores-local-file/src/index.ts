import { defineComponent, defineMetadata } from '@mecha/core';
import type { SecretStore, SecretStoreFeature } from '@mecha/secrets';
import { LocalFileSecretStore } from './local-file-secret-store.ts';

export { LocalFileSecretStore, type LocalFileSecretStoreOptions } from './local-file-secret-store.ts';

const metadata = defineMetadata({
  secretsFile: {
    type: 'string',
    required: true,
    description: 'The JSON file holding the secrets. A relative path is taken from the directory mechad runs in. Read once at start.',
    example: 'secrets.json',
  },
  nestedSeparator: {
    type: 'string',
    default: ':',
    description: 'Joins the keys of nested objects when the file is flattened: `{"db": {"password": "x"}}` gives `db:password`.',
  },
  multiValued: {
    type: 'boolean',
    default: false,
    description:
      'When true, each top-level key is one secret and the leaves under it (flattened) are its key/values; when false, each flattened key is a secret of one value.',
  },
});

export const definition = defineComponent<SecretStore, SecretStoreFeature, typeof metadata>({
  type: 'secretstores.local.file',
  version: 'v1',
  block: 'secretstores',
  description: 'Secrets from a local JSON file (nested keys, optionally several values per secret). For development.',
  metadata,
  // Several key/values per secret only with multiValued; the definition declares what the type can do.
  features: ['MULTIPLE_KEY_VALUES_PER_SECRET'],
  async create(values) {
    if (values.nestedSeparator === '') throw new Error('nestedSeparator must not be empty');
    return LocalFileSecretStore.open({ secretsFile: values.secretsFile, nestedSeparator: values.nestedSeparator, multiValued: values.multiValued });
  },
});
