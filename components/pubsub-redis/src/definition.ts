import { defineComponent } from '@mecha/core';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { redisDurationMs } from './dapr-redis-duration.ts';
import { redisPubSubMetadata } from './redis-pubsub-metadata.ts';

type DurationField =
  | 'processingTimeout'
  | 'redeliverInterval'
  | 'nackRedeliverDelay'
  | 'streamTTL'
  | 'dialTimeout'
  | 'readTimeout'
  | 'writeTimeout'
  | 'redisMinRetryInterval'
  | 'redisMaxRetryInterval';

export const definition = defineComponent({
  type: 'pubsub.redis',
  version: 'v1',
  block: 'pubsub',
  description:
    'Redis Streams (node, cluster or sentinel) through ioredis: consumer groups, acknowledgement after handling, redelivery of rejected and stalled messages, recovery from a Redis that lost its data, native bulk publish.',
  metadata: redisPubSubMetadata,
  features: ['BULK_PUBSUB'] satisfies PubSubFeature[],
  create: async (metadata, context): Promise<PubSubBroker> => {
    const raw = context.rawMetadata;
    const duration = (name: DurationField) => redisDurationMs(metadata[name], raw[name]);
    const wholeNumber = (name: 'queueDepth' | 'concurrency' | 'maxLenApprox' | 'redisDB', value: number | undefined, least: number) => {
      if (value !== undefined && (!Number.isInteger(value) || value < least)) {
        throw new Error(`metadata field '${name}' must be a whole number of at least ${least} (got ${value})`);
      }
    };
    wholeNumber('queueDepth', metadata.queueDepth, 1);
    wholeNumber('concurrency', metadata.concurrency, 1);
    wholeNumber('maxLenApprox', metadata.maxLenApprox, 0);
    wholeNumber('redisDB', metadata.redisDB, 0);
    for (const name of ['processingTimeout', 'redeliverInterval', 'nackRedeliverDelay', 'streamTTL'] as const) {
      const value = duration(name);
      if (value !== undefined && value < 0) throw new Error(`metadata field '${name}' must not be negative`);
    }
    if (metadata.failover && !metadata.sentinelMasterName) {
      throw new Error("metadata field 'sentinelMasterName' is required when 'failover' is true");
    }
    if (metadata.useEntraID) throw new Error("metadata field 'useEntraID': Entra ID authentication is not supported by Mecha's pubsub.redis");
    if (metadata.useOIDC) throw new Error("metadata field 'useOIDC': OIDC authentication is not supported by Mecha's pubsub.redis");
    const maxLenApprox = metadata.maxLenApprox ?? 0;
    const streamTtl = duration('streamTTL') ?? 0;
    if (maxLenApprox > 0 && streamTtl > 0) {
      context.logger.warn("metadata fields 'maxLenApprox' and 'streamTTL' are both set; streams are trimmed by maxLenApprox only");
    }
    const read = duration('readTimeout') ?? 3000;
    const write = duration('writeTimeout') ?? read;
    const nackDelay = duration('nackRedeliverDelay') ?? 1000;
    // The client library loads with the first component of this type, not with the runtime.
    const { RedisStreamsBroker } = await import('./redis-streams-broker.ts');
    return RedisStreamsBroker.connect({
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
      ...positive('minRetryIntervalMs', duration('redisMinRetryInterval')),
      ...positive('maxRetryIntervalMs', duration('redisMaxRetryInterval')),
      connectionName: connectionName(context.appId, context.name),
      processingTimeoutMs: duration('processingTimeout') ?? 60_000,
      redeliverIntervalMs: duration('redeliverInterval') ?? 15_000,
      nackRedeliverDelayMs: Math.max(1, nackDelay),
      queueDepth: metadata.queueDepth,
      concurrency: metadata.concurrency,
      maxLenApprox,
      streamTtlMs: streamTtl,
      logger: context.logger,
    });
  },
});

function positive<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value !== undefined && value > 0 ? ({ [key]: value } as Record<K, number>) : {};
}

/** `CLIENT LIST` shows which app and component a connection belongs to (no spaces allowed). */
function connectionName(appId: string, component: string): string {
  return `mecha:${appId}:${component}`.replace(/[^\x21-\x7e]/g, '_');
}
