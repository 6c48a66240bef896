import { defineMetadata } from '@mecha/core';

const noPool = 'Accepted for compatibility with Dapr, no effect: ioredis keeps one multiplexed connection per node (plus one per subscription for its blocking reads).';
const integerMs = 'A bare integer is milliseconds, as in Dapr.';

/**
 * Field names as Dapr's `pubsub.redis` (components-contrib `pubsub/redis/metadata.yaml` and
 * the shared Redis settings). `consumerID` is read by the pub/sub block, not here.
 */
export const redisPubSubMetadata = defineMetadata({
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
  redisUsername: {
    type: 'string',
    description: 'ACL user name (Redis 6 and later). Empty uses the default user.',
    example: 'my-user',
  },
  redisPassword: {
    type: 'string',
    sensitive: true,
    description: 'Password of the Redis user.',
    example: 'KeFg23!',
  },
  redisDB: {
    type: 'number',
    default: 0,
    description: 'Database selected after connecting. Ignored with `redisType: cluster`.',
  },
  redisType: {
    type: 'string',
    default: 'node',
    allowed: ['node', 'cluster'],
    description: '`node` for a single server (or a sentinel-managed primary), `cluster` for Redis Cluster (each topic is one stream key, so one slot).',
  },
  enableTLS: { type: 'boolean', default: false, description: 'Connect with TLS.' },
  insecureSkipTLSVerify: {
    type: 'boolean',
    default: false,
    description: "Don't verify the server's TLS certificate. For tests only.",
  },
  clientCert: {
    type: 'string',
    description: 'PEM client certificate for TLS client authentication (with `clientKey`).',
  },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of `clientCert`.' },
  failover: {
    type: 'boolean',
    default: false,
    description: 'Find the primary through Redis Sentinel: `redisHost` lists the sentinels and `sentinelMasterName` names the primary.',
  },
  sentinelMasterName: {
    type: 'string',
    description: "The primary's name in Sentinel. Required when `failover` is true.",
    example: 'mymaster',
  },
  sentinelUsername: { type: 'string', description: 'User name for the sentinels, when they require authentication.' },
  sentinelPassword: {
    type: 'string',
    sensitive: true,
    description: 'Password for the sentinels, when they require authentication.',
  },
  processingTimeout: {
    type: 'duration',
    default: 60_000,
    description: `How long a message may stay unacknowledged before another subscriber of the group (or a restarted one) claims and redelivers it; it covers subscribers that died mid-handling. \`0\` turns claiming off. ${integerMs}`,
    example: '30s',
  },
  redeliverInterval: {
    type: 'duration',
    default: 15_000,
    description: `How often each subscription looks for messages pending longer than \`processingTimeout\` (and once when it starts). \`0\` turns claiming off. ${integerMs}`,
    example: '5s',
  },
  nackRedeliverDelay: {
    type: 'duration',
    default: 1000,
    description: `Mecha only. A message the subscriber rejected is delivered again by the same subscription after this delay, doubled on each further rejection up to \`processingTimeout\` (at least this delay). ${integerMs}`,
    example: '500ms',
  },
  queueDepth: {
    type: 'number',
    default: 100,
    description: 'How many messages one subscription holds at most (read and not yet acknowledged, including rejected ones waiting for redelivery); also the COUNT of each read. Raised to `maxMessagesCount` for a bulk subscription.',
    example: '1000',
  },
  concurrency: {
    type: 'number',
    default: 10,
    description: 'How many messages the component hands to subscribers at once, across all its subscriptions; a bulk subscription has its own limit of at least its `maxMessagesCount`.',
    example: '15',
  },
  maxLenApprox: {
    type: 'number',
    description:
      'Trim each stream to about this many entries on publish (`XADD MAXLEN ~`). Entries trimmed before they were acknowledged are lost. Unlimited when absent or 0.',
    example: '10000',
  },
  streamTTL: {
    type: 'duration',
    description: `Trim entries older than this on publish (\`XADD MINID ~\`). Ignored (with a warning) when \`maxLenApprox\` is set. ${integerMs}`,
    example: '24h',
  },
  dialTimeout: { type: 'duration', description: `How long connecting may take. Default \`5s\`. ${integerMs}`, example: '5s' },
  readTimeout: {
    type: 'duration',
    description: `How long a command may wait for its answer before it fails; the blocking reads get this on top of their 2 s block. Default \`3s\`; \`-1\` for no limit. ${integerMs}`,
    example: '3s',
  },
  writeTimeout: {
    type: 'duration',
    description: 'ioredis has one timeout per command: the larger of `readTimeout` and `writeTimeout` applies.',
    example: '3s',
  },
  redisMaxRetries: {
    type: 'number',
    description:
      'Accepted for compatibility, no effect: a failed publish is not retried inside the component (a retried XADD could add the message twice); resiliency policies retry. Acknowledgements are retried until they succeed.',
  },
  redisMinRetryInterval: {
    type: 'duration',
    description: `First delay between reconnection attempts, doubled on each attempt. Default \`8ms\`. ${integerMs}`,
    example: '8ms',
  },
  redisMaxRetryInterval: {
    type: 'duration',
    description: `Longest delay between reconnection attempts, so the component is back at most this long after Redis is. Default \`512ms\`. ${integerMs}`,
    example: '5s',
  },
  poolSize: { type: 'number', description: noPool },
  poolTimeout: { type: 'duration', description: noPool },
  maxConnAge: { type: 'duration', description: noPool },
  minIdleConns: { type: 'number', description: noPool },
  idleCheckFrequency: { type: 'duration', description: noPool },
  idleTimeout: { type: 'duration', description: noPool },
  useEntraID: {
    type: 'boolean',
    default: false,
    description: 'Microsoft Entra ID authentication (Azure Cache for Redis). Not supported: `true` is refused.',
  },
  useOIDC: {
    type: 'boolean',
    default: false,
    description: 'OIDC private_key_jwt authentication. Not supported: `true` is refused.',
  },
});
