import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent, defineMetadata } from '@mecha/core';
import type { ServiceAccountKey } from './storage-client.ts';

// Dapr reads the service account fields in camelCase or as the key file spells them; both are accepted.
const keyField = (name: string, description: string, sensitive = false) => ({ type: 'string' as const, description: `${description} (or \`${name}\`).`, ...(sensitive ? { sensitive: true } : {}) });
const alias = (of: string, sensitive = false) => ({ type: 'string' as const, description: `Same as \`${of}\`, as the key file spells it.`, ...(sensitive ? { sensitive: true } : {}) });

const metadata = defineMetadata({
  bucket: { type: 'string', required: true, description: 'The bucket the binding reads and writes.', example: 'my-bucket' },
  projectID: { ...keyField('project_id', 'The Google Cloud project; required'), example: 'my-project' },
  project_id: alias('projectID'),
  endpoint: {
    type: 'string',
    description: 'Mecha addition: the Cloud Storage API endpoint, for emulators (`http://localhost:4443`) or a private endpoint. Default: STORAGE_EMULATOR_HOST (host:port, as daprd reads it), else Google\'s.',
  },
  decodeBase64: { type: 'boolean', default: false, description: '`create`: the data is base64 and is stored decoded (binary content). A request\'s `decodeBase64` metadata overrides it.' },
  encodeBase64: { type: 'boolean', default: false, description: '`get`/`bulkGet`: return the object base64-encoded. A request\'s `encodeBase64` metadata overrides it.' },
  contentType: { type: 'string', description: 'Content type of created objects; a request\'s `contentType` metadata overrides it. Default: left to Cloud Storage.', example: 'application/json' },
  signTTL: { type: 'duration', description: 'Default lifetime of `sign` URLs, such as `15m`; a request\'s `signTTL` overrides it.', example: '15m' },
  type: { type: 'string', description: 'Credential type of the service account key (`service_account`).', example: 'service_account' },
  privateKeyID: keyField('private_key_id', 'Service account key id', true),
  private_key_id: alias('privateKeyID', true),
  privateKey: keyField('private_key', 'Service account private key (PEM; `\\n` sequences are read as line breaks). With `clientEmail`, the binding uses this key; without it, Application Default Credentials', true),
  private_key: alias('privateKey', true),
  clientEmail: keyField('client_email', 'Service account e-mail'),
  client_email: alias('clientEmail'),
  clientID: keyField('client_id', 'Service account client id'),
  client_id: alias('clientID'),
  authURI: keyField('auth_uri', 'OAuth2 authorization endpoint of the key file'),
  auth_uri: alias('authURI'),
  tokenURI: keyField('token_uri', 'OAuth2 token endpoint of the key file'),
  token_uri: alias('tokenURI'),
  authProviderX509CertURL: keyField('auth_provider_x509_cert_url', 'Certificate URL of the auth provider, from the key file'),
  auth_provider_x509_cert_url: alias('authProviderX509CertURL'),
  clientX509CertURL: keyField('client_x509_cert_url', 'Certificate URL of the service account, from the key file'),
  client_x509_cert_url: alias('clientX509CertURL'),
});

export const definition = defineComponent<Binding, BindingFeature, typeof metadata>({
  type: 'bindings.gcp.bucket',
  version: 'v1',
  block: 'bindings',
  description: 'Objects of one Cloud Storage bucket as an output binding: create, get, delete, list, sign, bulkGet, copy, move and rename, through @google-cloud/storage.',
  metadata,
  features: ['OUTPUT'],
  async create(values) {
    const pick = (camel: string | undefined, snake: string | undefined) => (camel?.trim() ? camel.trim() : snake?.trim() ? snake.trim() : undefined);
    const projectId = pick(values.projectID, values.project_id);
    if (!projectId) throw new Error('metadata field "projectID" (or "project_id") is required');
    if (values.signTTL !== undefined && !(values.signTTL >= 1000 && values.signTTL <= 7 * 24 * 3_600_000)) throw new Error('metadata field "signTTL" must be from 1s to 168h');
    const privateKey = pick(values.privateKey, values.private_key);
    const privateKeyId = pick(values.privateKeyID, values.private_key_id);
    const clientEmail = pick(values.clientEmail, values.client_email);
    let key: ServiceAccountKey | undefined;
    if (privateKey || privateKeyId) {
      if (!privateKey) throw new Error('metadata field "privateKey" (or "private_key") is required with privateKeyID');
      if (!clientEmail) throw new Error('metadata field "clientEmail" (or "client_email") is required with privateKey');
      const pem = privateKey.includes('\n') ? privateKey : privateKey.replace(/\\n/g, '\n');
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new Error('metadata field "privateKey" is not a PEM private key (expected -----BEGIN PRIVATE KEY-----)');
      const optional: [keyof ServiceAccountKey, string | undefined][] = [
        ['private_key_id', privateKeyId],
        ['client_id', pick(values.clientID, values.client_id)],
        ['auth_uri', pick(values.authURI, values.auth_uri)],
        ['token_uri', pick(values.tokenURI, values.token_uri)],
        ['auth_provider_x509_cert_url', pick(values.authProviderX509CertURL, values.auth_provider_x509_cert_url)],
        ['client_x509_cert_url', pick(values.clientX509CertURL, values.client_x509_cert_url)],
      ];
      key = { type: values.type?.trim() || 'service_account', project_id: projectId, private_key: pem, client_email: clientEmail };
      for (const [name, value] of optional) if (value) Object.assign(key, { [name]: value });
    }
    // The client library loads with the first component of this type, not with the runtime.
    const [{ GcpBucketBinding }, { endpointUrl }] = await Promise.all([import('./gcp-bucket-binding.ts'), import('./storage-client.ts')]);
    return GcpBucketBinding.create({
      bucket: values.bucket,
      projectId,
      ...(values.endpoint?.trim() ? { endpoint: endpointUrl(values.endpoint.trim(), 'metadata field "endpoint"') } : {}),
      ...(key ? { key } : {}),
      decodeBase64: values.decodeBase64,
      encodeBase64: values.encodeBase64,
      ...(values.contentType ? { contentType: values.contentType } : {}),
      ...(values.signTTL !== undefined ? { signTtlMs: values.signTTL } : {}),
    });
  },
});
