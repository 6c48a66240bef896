import { defineMetadata } from '@mecha/core';

const noEffect = 'Accepted for compatibility with Dapr; ioredis keeps one multiplexed connection per node, so it has no effect.';

/** Field names as Dapr's `bindings.redis` (components-contrib `bindings/redis/metadata.yaml`). */
export const redisBindingMetadata = defineMetadata({
  redisHost: {
    type: 'string',
    required: true,
    description:
      'The Redis address as `host:port` (port 6379 when omitted). With `redisType: cluster`, or with `failover` (sentinels), a comma-separated list.',
    example: 'localhost:6379',
  },
  redisPort: {
    type: 'number',
    description: 'The port, for addresses in `redisHost` that have none. It must match a port given in `redisHost`.',
    example: '6379',
  },
  redisUsername: { type: 'string', description: 'ACL user name (Redis 6 and later). Empty uses the default user.' },
  redisPassword: { type: 'string', sensitive: true, description: 'Password of the Redis user; usually a `secretKeyRef`.' },
  redisDB: { type: 'number', default: 0, description: 'Database selected after connecting. Ignored with `redisType: cluster`.' },
  redisType: {
    type: 'string',
    default: 'node',
    allowed: ['node', 'cluster'],
    description: '`node` for a single server (or a sentinel-managed primary), `cluster` for Redis Cluster.',
  },
  enableTLS: { type: 'boolean', default: false, description: 'Connect with TLS.' },
  insecureSkipTLSVerify: { type: 'boolean', default: false, description: "Don't verify the server's TLS certificate. For tests only." },
  clientCert: { type: 'string', description: 'PEM client certificate for TLS client authentication (with `clientKey`).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of `clientCert`.' },
  failover: {
    type: 'boolean',
    default: false,
    description: 'Find the primary through Redis Sentinel: `redisHost` lists the sentinels and `sentinelMasterName` names the primary.',
  },
  sentinelMasterName: { type: 'string', description: "The primary's name in Sentinel. Required when `failover` is true.", example: 'mymaster' },
  sentinelUsername: { type: 'string', description: 'User name for the sentinels, when they require authentication.' },
  sentinelPassword: { type: 'string', sensitive: true, description: 'Password for the sentinels, when they require authentication.' },
  redisMaxRetries: {
    type: 'number',
    default: 3,
    description:
      'Accepted for compatibility. Commands are not retried inside the component (a retried `increment` could apply twice); resiliency policies retry calls.',
  },
  redisMinRetryInterval: {
    type: 'duration',
    description: 'First delay between reconnection attempts, doubled on each attempt. Default `100ms`. A bare integer is milliseconds, as in Dapr.',
    example: '100ms',
  },
  redisMaxRetryInterval: {
    type: 'duration',
    description: 'Longest delay between reconnection attempts. Default `2s`. A bare integer is milliseconds, as in Dapr.',
    example: '2s',
  },
  dialTimeout: { type: 'duration', description: 'How long connecting may take. Default `5s`. A bare integer is milliseconds.', example: '5s' },
  readTimeout: {
    type: 'duration',
    description: 'How long a command may wait for its answer. Default `3s`; `-1` for no limit. A bare integer is milliseconds.',
    example: '3s',
  },
  writeTimeout: { type: 'duration', description: 'ioredis has one timeout per command: the larger of `readTimeout` and `writeTimeout` applies.' },
  poolSize: { type: 'number', description: noEffect },
  poolTimeout: { type: 'duration', description: noEffect },
  maxConnAge: { type: 'duration', description: noEffect },
  minIdleConns: { type: 'number', description: noEffect },
  idleCheckFrequency: { type: 'duration', description: noEffect },
  idleTimeout: { type: 'duration', description: noEffect },
  useEntraID: { type: 'boolean', default: false, description: 'Microsoft Entra ID authentication: not supported; `true` is refused.' },
  useOIDC: { type: 'boolean', default: false, description: 'OIDC private_key_jwt authentication: not supported; `true` is refused.' },
});
