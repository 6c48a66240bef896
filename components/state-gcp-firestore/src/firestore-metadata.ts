import { defineMetadata } from '@mecha/core';

/**
 * Field names as Dapr's `state.gcp.firestore` (components-contrib `state/gcp/firestore/metadata.yaml`):
 * the service-account JSON fields, `entity_kind`, the endpoint fields and `noIndex`; plus Mecha's
 * `emulatorHost` and `requestTimeout`.
 */
export const firestoreMetadata = defineMetadata({
  project_id: { type: 'string', required: true, description: 'The GCP project ID.', example: 'my-project' },
  type: { type: 'string', description: 'Service-account type, `service_account`.', example: 'service_account' },
  private_key_id: { type: 'string', sensitive: true, description: 'Private key ID from the service-account JSON.' },
  private_key: {
    type: 'string',
    sensitive: true,
    description: "Private key from the service-account JSON. With `client_email`; without both, Google's application default credentials are used.",
  },
  client_email: { type: 'string', description: 'Client email from the service-account JSON.', example: 'state@my-project.iam.gserviceaccount.com' },
  client_id: { type: 'string', description: 'Client ID from the service-account JSON.' },
  auth_uri: { type: 'string', description: 'Auth URI from the service-account JSON (accepted; the client library knows it).' },
  token_uri: { type: 'string', description: 'Token URI from the service-account JSON.' },
  auth_provider_x509_cert_url: { type: 'string', description: 'From the service-account JSON (accepted, unused).' },
  client_x509_cert_url: { type: 'string', description: 'From the service-account JSON (accepted, unused).' },
  entity_kind: { type: 'string', default: 'DaprState', description: 'The collection holding one document per state key.', example: 'dapr-state' },
  endpoint: { type: 'string', description: 'A custom Firestore endpoint (`host` or `host:port`, TLS).', example: 'firestore.googleapis.com' },
  connectionEndpoint: { type: 'string', description: 'The same as `endpoint` (Dapr accepts both names).' },
  noIndex: {
    type: 'boolean',
    default: false,
    description: 'Accepted for Dapr compatibility. Firestore (native mode) sets index exemptions on the database, not per write; exempt the `value` field there.',
  },
  emulatorHost: {
    type: 'string',
    description:
      'Mecha: `host:port` of a Firestore emulator (plaintext, no credentials). When absent, the `FIRESTORE_EMULATOR_HOST` environment variable is honoured as by the client library.',
    example: '127.0.0.1:8080',
  },
  requestTimeout: {
    type: 'duration',
    description: 'Mecha: how long a call may wait for Firestore before it fails (the client library would retry an unreachable server for a minute). Default `10s`.',
    example: '10s',
  },
});
