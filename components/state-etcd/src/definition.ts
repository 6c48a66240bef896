import { defineComponent, defineMetadata } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { EtcdStateStore } from './etcd-state-store.ts';

export const definition = defineComponent({
  type: 'state.etcd',
  version: 'v2',
  block: 'state',
  description: 'State in etcd v3 over its JSON gateway (no client library): ETags from revisions, TTL by leases, transactions.',
  metadata: defineMetadata({
    endpoints: {
      type: 'string',
      required: true,
      description: 'Comma-separated etcd members, `host:port` or `http(s)://host:port`; an unreachable member is skipped for the next.',
      example: 'localhost:2379',
    },
    keyPrefixPath: {
      type: 'string',
      description: 'Prepended, followed by `/`, to every key (so an empty prefix still stores `/<key>`, as Dapr does).',
    },
    tlsEnable: {
      type: 'boolean',
      default: false,
      description: 'Connect with TLS; then `ca`, `cert` and `key` are all required.',
    },
    ca: { type: 'string', sensitive: true, description: 'PEM certificate of the authority that signed the server certificate.' },
    cert: { type: 'string', sensitive: true, description: 'PEM client certificate.' },
    key: { type: 'string', sensitive: true, description: 'PEM private key of the client certificate.' },
    maxTxnOps: {
      type: 'number',
      default: 128,
      description: "Most operations one transaction may hold; match the server's `--max-txn-ops`.",
    },
    timeout: {
      type: 'duration',
      default: 5000,
      description: 'How long one request to etcd may take. Mecha addition; Dapr uses a fixed 5s.',
    },
  }),
  features: ['ETAG', 'TRANSACTIONAL', 'TTL', 'ACTOR'] satisfies StateFeature[],
  create: async (metadata): Promise<StateStore> => {
    const endpoints = metadata.endpoints
      .split(',')
      .map((endpoint) => endpoint.trim())
      .filter((endpoint) => endpoint !== '');
    if (metadata.tlsEnable && !(metadata.ca && metadata.cert && metadata.key)) {
      throw new Error('tls authentication information is incomplete: tlsEnable needs ca, cert and key');
    }
    if (!Number.isInteger(metadata.maxTxnOps) || metadata.maxTxnOps < 1) throw new Error(`maxTxnOps must be a positive integer, not ${metadata.maxTxnOps}`);
    const store = new EtcdStateStore({
      endpoints,
      timeoutMs: metadata.timeout,
      keyPrefixPath: metadata.keyPrefixPath ?? '',
      maxTxnOps: metadata.maxTxnOps,
      ...(metadata.tlsEnable && { tls: { ca: metadata.ca, cert: metadata.cert, key: metadata.key } }),
    });
    try {
      await store.ping();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  },
});

/**
 * The same store under Dapr's `v1` version, for component files that still say `version: v1`.
 * Both versions store the raw value bytes (see the README).
 */
export const definitionV1 = defineComponent({ ...definition, version: 'v1' });
