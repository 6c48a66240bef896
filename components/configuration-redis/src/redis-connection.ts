import { Redis, type RedisOptions } from 'ioredis';

/** How to reach Redis, in ioredis terms rather than Dapr's metadata. */
export interface RedisConnectionOptions {
  /** `host:port`; with `failover`, a comma-separated list of sentinels. */
  redisHost: string;
  /** The port for addresses in `redisHost` that have none (default 6379). */
  redisPort?: number;
  redisUsername?: string;
  redisPassword?: string;
  redisDB?: number;
  enableTLS?: boolean;
  insecureSkipTLSVerify?: boolean;
  clientCert?: string;
  clientKey?: string;
  /** Find the primary through Redis Sentinel. */
  failover?: boolean;
  sentinelMasterName?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** How long connecting may take. Default 5000 ms. */
  dialTimeoutMs?: number;
  /** How long a command may wait for its answer; 0: no limit. Default 3000 ms. */
  commandTimeoutMs?: number;
}

export interface Address {
  host: string;
  port: number;
}

/** Splits `redisHost` as Dapr does: comma-separated `host[:port]`, IPv6 in brackets. */
export function parseAddresses(redisHost: string, redisPort?: number): Address[] {
  const entries = redisHost
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('redisHost is empty');
  return entries.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(entry);
    if (!match) throw new Error(`invalid redis address ${JSON.stringify(entry)}: expected host:port`);
    const given = match[3] === undefined ? undefined : Number(match[3]);
    if (given !== undefined && redisPort !== undefined && given !== redisPort) {
      throw new Error(`redis address ${JSON.stringify(entry)} has port ${given}, but redisPort is ${redisPort}; remove one of them`);
    }
    return { host: (match[1] ?? match[2])!, port: given ?? redisPort ?? 6379 };
  });
}

/**
 * An ioredis client (not yet connected). While Redis is unreachable commands fail at once
 * rather than queue (the caller gets ERR_CONFIGURATION_GET, not a hang); ioredis keeps
 * reconnecting in the background and a subscriber connection re-subscribes by itself.
 */
export function createRedisClient(options: RedisConnectionOptions, connectionName: string): { client: Redis; address: string } {
  const addresses = parseAddresses(options.redisHost, options.redisPort);
  const commandTimeout = options.commandTimeoutMs ?? 3000;
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.dialTimeoutMs ?? 5000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 10), 2000),
    connectionName,
    db: options.redisDB ?? 0,
    ...(commandTimeout > 0 ? { commandTimeout } : {}),
    ...(options.redisUsername ? { username: options.redisUsername } : {}),
    ...(options.redisPassword ? { password: options.redisPassword } : {}),
  };
  if (options.enableTLS) {
    common.tls = {
      rejectUnauthorized: !options.insecureSkipTLSVerify,
      ...(options.clientCert && options.clientKey ? { cert: options.clientCert, key: options.clientKey } : {}),
    };
  }
  if (options.failover) {
    if (!options.sentinelMasterName) throw new Error("metadata field 'sentinelMasterName' is required when 'failover' is true");
    const client = new Redis({
      ...common,
      sentinels: addresses,
      name: options.sentinelMasterName,
      ...(options.sentinelUsername ? { sentinelUsername: options.sentinelUsername } : {}),
      ...(options.sentinelPassword ? { sentinelPassword: options.sentinelPassword } : {}),
      ...(options.enableTLS ? { enableTLSForSentinelMode: true } : {}),
    });
    return { client, address: `sentinel master ${options.sentinelMasterName}` };
  }
  if (addresses.length > 1) throw new Error(`redisHost lists ${addresses.length} addresses; configuration.redis needs one Redis server (or failover: true with sentinels)`);
  const { host, port } = addresses[0]!;
  return { client: new Redis({ ...common, host, port }), address: `${host}:${port}` };
}
