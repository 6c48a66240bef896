import { defineComponent, defineMetadata, parseDuration } from '@mecha/core';
import type { ConfigurationFeature, ConfigurationStore } from '@mecha/configuration';

const ignored = 'Accepted for compatibility with Dapr; no effect here (ioredis keeps one connection for commands and one for subscriptions).';

/** Field names as Dapr's `configuration.redis` (components-contrib `configuration/redis/metadata.yaml`). */
const metadata = defineMetadata({
  redisHost: {
    type: 'string',
    required: true,
    description: 'The Redis server as `host:port` (port 6379 when omitted). With `failover`, a comma-separated list of sentinels.',
    example: 'localhost:6379',
  },
  redisPort: { type: 'number', description: 'The port, for an address in `redisHost` that has none. It must match a port given there.', example: '6379' },
  redisUsername: { type: 'string', description: 'ACL user name (Redis 6 and later). Empty uses the default user.' },
  redisPassword: { type: 'string', sensitive: true, description: 'Password; usually a `secretKeyRef`.' },
  redisDB: { type: 'number', default: 0, description: 'Database holding the configuration items (also the one whose keyspace events are watched).' },
  redisType: {
    type: 'string',
    default: 'node',
    allowed: ['node', 'cluster'],
    description: '`node` only: `cluster` is refused, because keyspace notifications are published by each cluster node for its own keys.',
  },
  enableTLS: { type: 'boolean', default: false, description: 'Connect with TLS.' },
  insecureSkipTLSVerify: { type: 'boolean', default: false, description: "Don't verify the server's TLS certificate. For tests only." },
  clientCert: { type: 'string', description: 'PEM client certificate for TLS client authentication (with `clientKey`).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of `clientCert`.' },
  failover: { type: 'boolean', default: false, description: 'Find the primary through Redis Sentinel: `redisHost` lists the sentinels.' },
  sentinelMasterName: { type: 'string', description: "The primary's name in Sentinel. Required when `failover` is true.", example: 'mymaster' },
  sentinelUsername: { type: 'string', description: 'User name for the sentinels, when they require authentication.' },
  sentinelPassword: { type: 'string', sensitive: true, description: 'Password for the sentinels, when they require authentication.' },
  dialTimeout: { type: 'string', description: 'How long connecting may take (`5s`; a bare integer is milliseconds, as in Dapr). Default `5s`.', example: '5s' },
  readTimeout: { type: 'string', description: 'How long a command may wait for its answer; `-1`: no limit. Default `3s`.', example: '3s' },
  writeTimeout: { type: 'string', description: 'Accepted; the longer of `readTimeout` and this limits a command.', example: '3s' },
  redisMaxRetries: { type: 'number', description: ignored },
  redisMinRetryInterval: { type: 'string', description: ignored },
  redisMaxRetryInterval: { type: 'string', description: ignored },
  poolSize: { type: 'number', description: ignored },
  poolTimeout: { type: 'string', description: ignored },
  maxConnAge: { type: 'string', description: ignored },
  minIdleConns: { type: 'number', description: ignored },
  idleCheckFrequency: { type: 'string', description: ignored },
  idleTimeout: { type: 'string', description: ignored },
  useEntraID: { type: 'boolean', default: false, description: 'Microsoft Entra ID authentication: not supported, refused when true.' },
  useOIDC: { type: 'boolean', default: false, description: 'OIDC private_key_jwt authentication: not supported, refused when true.' },
});

/** Dapr's Redis durations: a bare integer is milliseconds (negative: no limit), anything else a Go duration. */
function redisDurationMs(field: string, text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const trimmed = text.trim();
  if (/^[+-]?\d+$/.test(trimmed)) return Number(trimmed) < 0 ? -1 : Number(trimmed);
  try {
    const ms = parseDuration(trimmed);
    return ms < 0 ? -1 : ms;
  } catch (error) {
    throw new Error(`metadata field '${field}': ${(error as Error).message}`);
  }
}

export const definition = defineComponent<ConfigurationStore, ConfigurationFeature, typeof metadata>({
  type: 'configuration.redis',
  version: 'v1',
  block: 'configuration',
  description: 'Configuration items in Redis (`value||version` strings) with change subscriptions through keyspace notifications.',
  metadata,
  features: [],
  async create(values, context) {
    if (values.redisType === 'cluster') {
      throw new Error("redisType 'cluster' is not supported by configuration.redis: keyspace notifications are per node; use a single server or sentinels (failover)");
    }
    if (values.useEntraID) throw new Error('useEntraID is not supported by configuration.redis here; authenticate with redisUsername/redisPassword');
    if (values.useOIDC) throw new Error('useOIDC is not supported by configuration.redis here; authenticate with redisUsername/redisPassword');
    if (!Number.isInteger(values.redisDB) || values.redisDB < 0) throw new Error(`redisDB must be a whole number of at least 0 (got ${values.redisDB})`);
    const dial = redisDurationMs('dialTimeout', values.dialTimeout);
    const read = redisDurationMs('readTimeout', values.readTimeout) ?? 3000;
    const write = redisDurationMs('writeTimeout', values.writeTimeout) ?? read;
    const { RedisConfigurationStore } = await import('./redis-configuration-store.ts');
    return RedisConfigurationStore.connect({
      redisHost: values.redisHost,
      ...(values.redisPort !== undefined ? { redisPort: values.redisPort } : {}),
      ...(values.redisUsername ? { redisUsername: values.redisUsername } : {}),
      ...(values.redisPassword ? { redisPassword: values.redisPassword } : {}),
      redisDB: values.redisDB,
      enableTLS: values.enableTLS,
      insecureSkipTLSVerify: values.insecureSkipTLSVerify,
      ...(values.clientCert ? { clientCert: values.clientCert } : {}),
      ...(values.clientKey ? { clientKey: values.clientKey } : {}),
      failover: values.failover,
      ...(values.sentinelMasterName ? { sentinelMasterName: values.sentinelMasterName } : {}),
      ...(values.sentinelUsername ? { sentinelUsername: values.sentinelUsername } : {}),
      ...(values.sentinelPassword ? { sentinelPassword: values.sentinelPassword } : {}),
      ...(dial !== undefined && dial > 0 ? { dialTimeoutMs: dial } : {}),
      commandTimeoutMs: read < 0 || write < 0 ? 0 : Math.max(read, write),
      logger: context.logger,
    });
  },
});
