import { defineComponent } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { redisDurationMs } from './dapr-redis-duration.ts';
import { redisMetadata } from './redis-metadata.ts';

export const definition = defineComponent({
  type: 'state.redis',
  version: 'v1',
  block: 'state',
  description: 'A state store on Redis (node, cluster or sentinel) through ioredis: atomic ETags and transactions in Lua, TTL, native bulk.',
  metadata: redisMetadata,
  features: ['ETAG', 'TRANSACTIONAL', 'TTL'] satisfies StateFeature[],
  create: async (metadata, context): Promise<StateStore> => {
    // The client library loads with the first component of this type, not with the runtime.
    const { RedisStateStore } = await import('./redis-state-store.ts');
    const raw = context.rawMetadata;
    const duration = (name: 'dialTimeout' | 'readTimeout' | 'writeTimeout' | 'redisMinRetryInterval' | 'redisMaxRetryInterval') =>
      redisDurationMs(metadata[name], raw[name]);
    if (metadata.failover && !metadata.sentinelMasterName) throw new Error("metadata field 'sentinelMasterName' is required when 'failover' is true");
    if (metadata.ttlInSeconds !== undefined && (!Number.isInteger(metadata.ttlInSeconds) || metadata.ttlInSeconds < -1)) {
      throw new Error("metadata field 'ttlInSeconds' must be an integer of -1 or more");
    }
    const read = duration('readTimeout') ?? 3000;
    const write = duration('writeTimeout') ?? read;
    const legacyMinRetry = metadata.maxRetryBackoff === undefined ? undefined : metadata.maxRetryBackoff / 1e6;
    const minRetry = duration('redisMinRetryInterval') ?? legacyMinRetry;
    const maxRetry = duration('redisMaxRetryInterval');
    return RedisStateStore.connect({
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
      maxRetries: raw.redisMaxRetries === undefined && metadata.maxRetries !== undefined ? metadata.maxRetries : metadata.redisMaxRetries,
      ...(metadata.ttlInSeconds !== undefined ? { defaultTtlSeconds: metadata.ttlInSeconds } : {}),
      logger: context.logger,
    });
  },
});
