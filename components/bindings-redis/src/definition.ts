import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent } from '@mecha/core';
import { redisBindingMetadata } from './redis-binding-metadata.ts';
import { redisDurationMs } from './redis-duration.ts';

export const definition = defineComponent<Binding, BindingFeature, typeof redisBindingMetadata>({
  type: 'bindings.redis',
  version: 'v1',
  block: 'bindings',
  description: 'An output binding on Redis strings (create with TTL, get, get-and-delete, delete, increment) through ioredis.',
  metadata: redisBindingMetadata,
  features: ['OUTPUT'],
  async create(metadata, context) {
    if (metadata.useEntraID) throw new Error('metadata field "useEntraID": Microsoft Entra ID authentication is not supported by this component');
    if (metadata.useOIDC) throw new Error('metadata field "useOIDC": OIDC authentication is not supported by this component');
    if (!Number.isInteger(metadata.redisDB) || metadata.redisDB < 0) throw new Error(`metadata field "redisDB" must be a whole number of at least 0 (got ${metadata.redisDB})`);
    if (metadata.redisPort !== undefined && (!Number.isInteger(metadata.redisPort) || metadata.redisPort < 1 || metadata.redisPort > 65535)) {
      throw new Error(`metadata field "redisPort" must be a port number (got ${metadata.redisPort})`);
    }
    if (metadata.failover && !metadata.sentinelMasterName) throw new Error('metadata field "sentinelMasterName" is required when failover is true');
    if (Boolean(metadata.clientCert) !== Boolean(metadata.clientKey)) {
      throw new Error(`metadata field "${metadata.clientCert ? 'clientKey' : 'clientCert'}" is required with ${metadata.clientCert ? 'clientCert' : 'clientKey'}`);
    }
    const raw = context.rawMetadata;
    const duration = (name: 'dialTimeout' | 'readTimeout' | 'writeTimeout' | 'redisMinRetryInterval' | 'redisMaxRetryInterval') =>
      redisDurationMs(metadata[name], raw[name]);
    const read = duration('readTimeout') ?? 3000;
    const write = duration('writeTimeout') ?? read;
    const minRetry = duration('redisMinRetryInterval');
    const maxRetry = duration('redisMaxRetryInterval');
    // The client library loads with the first component of this type, not with the runtime.
    const { RedisBinding } = await import('./redis-binding.ts');
    return RedisBinding.connect({
      host: metadata.redisHost,
      ...(metadata.redisPort !== undefined ? { port: metadata.redisPort } : {}),
      ...(metadata.redisUsername ? { username: metadata.redisUsername } : {}),
      ...(metadata.redisPassword ? { password: metadata.redisPassword } : {}),
      db: metadata.redisDB,
      type: metadata.redisType === 'cluster' ? 'cluster' : 'node',
      failover: metadata.failover,
      ...(metadata.sentinelMasterName ? { sentinelMasterName: metadata.sentinelMasterName } : {}),
      ...(metadata.sentinelUsername ? { sentinelUsername: metadata.sentinelUsername } : {}),
      ...(metadata.sentinelPassword ? { sentinelPassword: metadata.sentinelPassword } : {}),
      tls: metadata.enableTLS,
      insecureSkipTLSVerify: metadata.insecureSkipTLSVerify,
      ...(metadata.clientCert ? { clientCert: metadata.clientCert } : {}),
      ...(metadata.clientKey ? { clientKey: metadata.clientKey } : {}),
      dialTimeoutMs: Math.max(1, duration('dialTimeout') ?? 5000),
      // -1 on either disables the limit, as in Dapr; otherwise the longer of the two.
      commandTimeoutMs: read < 0 || write < 0 ? 0 : Math.max(read, write),
      ...(minRetry !== undefined && minRetry > 0 ? { minRetryIntervalMs: minRetry } : {}),
      ...(maxRetry !== undefined && maxRetry > 0 ? { maxRetryIntervalMs: maxRetry } : {}),
      logger: context.logger,
    });
  },
});
