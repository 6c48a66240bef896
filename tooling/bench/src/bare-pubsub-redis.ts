import type { BarePubSub, BarePubSubOptions } from './bare-pubsub.ts';
import { componentClientLibrary } from './component-client-library.ts';
import type { BrokerServer } from './pubsub-brokers.ts';

/** The part of ioredis the baseline uses (loaded from pubsub.redis' folder, untyped here). */
interface RedisClient {
  connect(): Promise<void>;
  xadd(key: string, ...args: Array<string | Buffer>): Promise<string | null>;
  xack(key: string, group: string, id: Buffer | string): Promise<number>;
  xgroup(...args: string[]): Promise<unknown>;
  xreadgroupBuffer(...args: Array<string | number>): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  on(event: 'error', listener: (error: Error) => void): void;
  quit(): Promise<unknown>;
  disconnect(): void;
}
type RedisConstructor = new (options: Record<string, unknown>) => RedisClient;

/** Like pubsub.redis: the COUNT of each read and the most entries held unacknowledged. */
const queueDepth = 100;
const blockMs = 2000;

function client(server: BrokerServer, pipelining: boolean, commandTimeout: number): RedisClient {
  const Redis = (componentClientLibrary('pubsub-redis', 'ioredis') as { Redis: RedisConstructor }).Redis;
  const redis = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: pipelining,
    maxRetriesPerRequest: 0,
    commandTimeout,
  });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Redis Streams with ioredis, as pubsub.redis uses them: XADD of the payload as field `data`
 * on an auto-pipelined connection; a consumer group created from the start of the stream;
 * a blocking XREADGROUP (COUNT 100, BLOCK 2 s) on a connection of its own; each entry handed
 * to the handler, then XACK'd (auto-pipelined). No CloudEvent, no metadata field, no
 * redelivery of stalled entries (nothing stalls here).
 */
export async function openBareRedisStreams(options: BarePubSubOptions): Promise<BarePubSub> {
  const { server, topic, group, onMessage } = options;
  const commands = client(server, true, 3000);
  const reader = client(server, false, blockMs + 3000);
  await Promise.all([commands.connect(), reader.connect()]);
  try {
    await commands.xgroup('CREATE', topic, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!/BUSYGROUP/.test((error as Error).message)) throw error;
  }
  let closed = false;
  let held = 0;
  const consumer = `bench-bare-${process.pid}`;
  const loop = (async () => {
    while (!closed) {
      let reply: unknown;
      try {
        reply = await reader.xreadgroupBuffer('GROUP', group, consumer, 'COUNT', queueDepth - held, 'BLOCK', blockMs, 'STREAMS', topic, '>');
      } catch (error) {
        if (closed) return;
        throw error;
      }
      if (!Array.isArray(reply)) continue;
      for (const stream of reply as [Buffer, [Buffer, Buffer[]][]][]) {
        for (const [id, fields] of stream[1]) {
          held++;
          for (let i = 0; i + 1 < fields.length; i += 2) {
            if (fields[i]!.toString() === 'data') {
              onMessage(fields[i + 1]!);
              break;
            }
          }
          void commands.xack(topic, group, id).finally(() => held--);
        }
      }
    }
  })();
  loop.catch((error: unknown) => console.error(`bare ioredis consumer stopped: ${String(error)}`));
  return {
    async publish(body) {
      await commands.xadd(topic, '*', 'data', body);
    },
    async close() {
      closed = true;
      reader.disconnect();
      await loop.catch(() => undefined);
      await commands.quit().catch(() => commands.disconnect());
    },
  };
}

/** Deletes the run's streams (their consumer groups go with them). */
export async function removeObjects(server: BrokerServer, topics: readonly string[]): Promise<void> {
  const redis = client(server, false, 3000);
  await redis.connect();
  try {
    if (topics.length > 0) await redis.del(...topics);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
