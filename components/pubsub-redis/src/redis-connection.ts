import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** How to reach Redis, in the terms of the ioredis client rather than Dapr's metadata. */
export interface RedisConnectionOptions {
  /** `host:port`, or a comma-separated list for a cluster or for sentinels. */
  host: string;
  /** The port for addresses in `host` that have none (default 6379). */
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  type?: 'node' | 'cluster';
  /** `host` lists sentinels; `sentinelMasterName` names the primary. */
  failover?: boolean;
  sentinelMasterName?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  tls?: boolean;
  insecureSkipTLSVerify?: boolean;
  clientCert?: string;
  clientKey?: string;
  /** How long connecting may take. Default 5000. */
  dialTimeoutMs?: number;
  /** How long a command may wait for its answer; 0 or less: no limit. Default 3000. */
  commandTimeoutMs?: number;
  /** First reconnection delay, doubled on each attempt. Default 8. */
  minRetryIntervalMs?: number;
  /** Longest reconnection delay. Default 512. */
  maxRetryIntervalMs?: number;
  /** Shown by `CLIENT LIST`; lets an operator (or a test) tell this component's connections apart. */
  connectionName?: string;
}

export type RedisClient = Redis | Cluster;

export interface Address {
  host: string;
  port: number;
}

/** Splits `redisHost` the way Dapr does: comma-separated `host[:port]`, IPv6 in brackets. */
export function parseAddresses(host: string, port?: number): Address[] {
  const entries = host
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error("metadata field 'redisHost' is empty");
  return entries.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(entry);
    if (!match) {
      if (entry.includes(':') && !entry.startsWith('[') && entry.split(':').length === 2) {
        throw new Error(`metadata field 'redisHost': invalid address '${entry}' (the port must be a number)`);
      }
      return { host: entry.replace(/^\[|\]$/g, ''), port: port ?? 6379 };
    }
    const found = Number(match[3]);
    if (port !== undefined && port !== found) {
      throw new Error(`metadata field 'redisHost': '${entry}' already contains port ${found}, but redisPort is ${port}; remove one of them`);
    }
    return { host: (match[1] ?? match[2])!, port: found };
  });
}

/** Where the client points, for error messages. */
export function describeTarget(options: RedisConnectionOptions): string {
  const addresses = parseAddresses(options.host, options.port)
    .map((address) => (address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`))
    .join(',');
  if (options.type === 'cluster') return `redis cluster ${addresses}`;
  if (options.failover) return `redis primary '${options.sentinelMasterName ?? ''}' via sentinels ${addresses}`;
  return `redis at ${addresses}`;
}

/** Extra settings for one connection's role. */
export interface ClientRole {
  /** Overrides the command timeout (the blocking reader needs its block time on top). */
  commandTimeoutMs?: number;
  /** Off for the blocking reader: one read at a time, nothing to batch. */
  autoPipelining: boolean;
}

/**
 * Builds an ioredis client that fails fast rather than wait: while Redis is unreachable a
 * command is refused at once instead of being queued (a publish queued for minutes would be
 * reported late, a queued read would hold messages nobody handles), commands in flight when
 * the connection drops are rejected rather than sent again, and every command has a timeout.
 * ioredis keeps reconnecting in the background, so calls succeed again once Redis is back.
 */
export function createRedisClient(options: RedisConnectionOptions, role: ClientRole): RedisClient {
  const addresses = parseAddresses(options.host, options.port);
  const minDelay = Math.max(1, options.minRetryIntervalMs ?? 8);
  const maxDelay = Math.max(minDelay, options.maxRetryIntervalMs ?? 512);
  const reconnectDelay = (times: number): number => Math.min(maxDelay, minDelay * 2 ** Math.min(times - 1, 20));
  const commandTimeout = role.commandTimeoutMs ?? options.commandTimeoutMs ?? 3000;
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: role.autoPipelining,
    maxRetriesPerRequest: 0,
    connectTimeout: options.dialTimeoutMs ?? 5000,
    keepAlive: 10_000,
    retryStrategy: reconnectDelay,
    ...(commandTimeout > 0 ? { commandTimeout } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
  };
  if (options.tls) {
    common.tls = {
      rejectUnauthorized: !options.insecureSkipTLSVerify,
      ...(options.clientCert && options.clientKey ? { cert: options.clientCert, key: options.clientKey } : {}),
    };
  }

  if (options.type === 'cluster') {
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: role.autoPipelining,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: { ...common, lazyConnect: undefined, enableAutoPipelining: undefined },
    };
    return new Cluster(addresses, clusterOptions);
  }
  if (options.failover) {
    if (!options.sentinelMasterName) throw new Error("metadata field 'sentinelMasterName' is required when 'failover' is true");
    return new Redis({
      ...common,
      db: options.db ?? 0,
      sentinels: addresses,
      name: options.sentinelMasterName,
      sentinelRetryStrategy: reconnectDelay,
      ...(options.sentinelUsername ? { sentinelUsername: options.sentinelUsername } : {}),
      ...(options.sentinelPassword ? { sentinelPassword: options.sentinelPassword } : {}),
      ...(options.tls ? { enableTLSForSentinelMode: true } : {}),
    });
  }
  if (addresses.length > 1) {
    throw new Error("metadata field 'redisHost' lists several addresses; set redisType to cluster, or failover for sentinels");
  }
  return new Redis({ ...common, ...addresses[0]!, db: options.db ?? 0 });
}

/**
 * Connects, failing within the dial timeout with the address in the message (as Dapr fails
 * the component's init when Redis is unreachable). The client is closed on failure.
 */
export async function connectRedis(client: RedisClient, target: string, dialTimeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${dialTimeoutMs} ms`)), dialTimeoutMs + 500);
  });
  try {
    await Promise.race([client.connect(), timeout]);
    await Promise.race([client.ping(), timeout]);
  } catch (error) {
    client.disconnect();
    throw new Error(`redis streams: error connecting to ${target}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
