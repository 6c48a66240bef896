import { errorMessage } from '@mecha/core';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** How to reach Redis, in ioredis's terms rather than Dapr's metadata. */
export interface RedisTarget {
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
  /** How long a command may wait for its answer; 0: no limit. Default 3000. */
  commandTimeoutMs?: number;
  /** First reconnection delay, doubled on each attempt. Default 100. */
  minRetryIntervalMs?: number;
  /** Longest reconnection delay. Default 2000. */
  maxRetryIntervalMs?: number;
}

export type RedisClient = Redis | Cluster;

interface Address {
  host: string;
  port: number;
}

/** Splits `redisHost` as Dapr does: comma-separated `host[:port]`, IPv6 in brackets. */
export function parseRedisAddresses(host: string, port?: number): Address[] {
  const entries = host
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('metadata field "redisHost" is empty');
  return entries.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(entry);
    if (!match) {
      if (/^[^[\]]*:[^:]*$/.test(entry)) throw new Error(`metadata field "redisHost": the port of '${entry}' is not a number`);
      return { host: entry.replace(/^\[|\]$/g, ''), port: port ?? 6379 };
    }
    const found = Number(match[3]);
    if (port !== undefined && port !== found) {
      throw new Error(`metadata field "redisPort" is ${port} but redisHost '${entry}' names port ${found}; remove one of them`);
    }
    return { host: (match[1] ?? match[2])!, port: found };
  });
}

/** Where the client points, for error messages. */
export function describeRedisTarget(target: RedisTarget): string {
  const addresses = parseRedisAddresses(target.host, target.port)
    .map((address) => (address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`))
    .join(',');
  if (target.type === 'cluster') return `redis cluster ${addresses}`;
  if (target.failover) return `redis primary '${target.sentinelMasterName ?? ''}' via sentinels ${addresses}`;
  return `redis at ${addresses}`;
}

/**
 * Builds the ioredis client, set to fail fast: while Redis is unreachable a command is
 * refused at once instead of queued, and a command whose connection dropped is not sent
 * again (an `increment` must not apply twice). ioredis reconnects in the background.
 */
export function createRedisClient(target: RedisTarget): RedisClient {
  const addresses = parseRedisAddresses(target.host, target.port);
  const minDelay = Math.max(1, target.minRetryIntervalMs ?? 100);
  const maxDelay = Math.max(minDelay, target.maxRetryIntervalMs ?? 2000);
  const reconnectDelay = (times: number): number => Math.min(maxDelay, minDelay * 2 ** Math.min(times - 1, 20));
  const commandTimeout = target.commandTimeoutMs ?? 3000;
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: target.dialTimeoutMs ?? 5000,
    retryStrategy: reconnectDelay,
    ...(commandTimeout > 0 ? { commandTimeout } : {}),
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
  };
  if (target.tls) {
    common.tls = {
      rejectUnauthorized: !target.insecureSkipTLSVerify,
      ...(target.clientCert && target.clientKey ? { cert: target.clientCert, key: target.clientKey } : {}),
    };
  }
  if (target.type === 'cluster') {
    const options: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: { ...common, lazyConnect: undefined },
    };
    return new Cluster(addresses, options);
  }
  if (target.failover) {
    if (!target.sentinelMasterName) throw new Error('metadata field "sentinelMasterName" is required when failover is true');
    return new Redis({
      ...common,
      db: target.db ?? 0,
      sentinels: addresses,
      name: target.sentinelMasterName,
      sentinelRetryStrategy: reconnectDelay,
      ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true } : {}),
    });
  }
  if (addresses.length > 1) throw new Error('metadata field "redisHost" lists several addresses; set redisType to cluster, or failover to true for sentinels');
  return new Redis({ ...common, ...addresses[0]!, db: target.db ?? 0 });
}

/** Connects and pings within the dial timeout, naming the target when that fails (the client is then closed). */
export async function connectRedisClient(client: RedisClient, target: string, dialTimeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${dialTimeoutMs} ms`)), dialTimeoutMs + 500);
  });
  try {
    await Promise.race([client.connect(), timeout]);
    await Promise.race([client.ping(), timeout]);
  } catch (error) {
    client.disconnect();
    throw new Error(`bindings.redis: cannot connect to ${target}: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
