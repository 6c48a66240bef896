import { randomUUID } from 'node:crypto';
import {
  SubscriptionQueue,
  type ConfigurationGetRequest,
  type ConfigurationItem,
  type ConfigurationItems,
  type ConfigurationStore,
  type ConfigurationSubscribeRequest,
  type ConfigurationUpdateHandler,
} from '@mecha/configuration';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { Redis } from 'ioredis';
import { mergeKeyspaceEvents, requiredKeyspaceEvents } from './keyspace-events.ts';
import { createRedisClient, type RedisConnectionOptions } from './redis-connection.ts';
import { parseRedisValue } from './redis-value.ts';

export interface RedisConfigurationStoreOptions extends RedisConnectionOptions {
  logger?: Logger;
}

interface Watch {
  queue: SubscriptionQueue;
  /** The watched keys; null watches every key. */
  keys: ReadonlySet<string> | null;
}

/** A Redis channel (or pattern) several subscriptions may share, subscribed while any uses it. */
interface SharedChannel {
  users: number;
  ready: Promise<void>;
}

/** Keys read per MGET when reading everything. */
const readBatch = 500;

/**
 * Configuration items in Redis, laid out as Dapr's `configuration.redis`: one string key per
 * item holding `value||version`. Changes are watched through keyspace notifications
 * (`__keyspace@<db>__:<key>`), one channel per watched key or a pattern for every key, on one
 * subscriber connection shared by all subscriptions; each change is answered with the key's
 * value at the time it is read (an empty item once the key is gone). Like Redis pub/sub
 * itself, delivery is at most once: changes made while the subscriber is reconnecting are
 * not replayed.
 */
export class RedisConfigurationStore implements ConfigurationStore {
  readonly #client: Redis;
  readonly #address: string;
  readonly #options: RedisConfigurationStoreOptions;
  readonly #logger: Logger;
  readonly #channelPrefix: string;
  readonly #watches = new Map<string, Watch>();
  readonly #channels = new Map<string, SharedChannel>();
  readonly #name = `mecha-configuration-${randomUUID()}`;
  #subscriber: Promise<Redis> | undefined;
  #warnedAboutNotifications = false;
  #closed = false;

  private constructor(client: Redis, address: string, options: RedisConfigurationStoreOptions) {
    this.#client = client;
    this.#address = address;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#channelPrefix = `__keyspace@${options.redisDB ?? 0}__:`;
  }

  /** Connects and checks the server answers; fails naming the address when it does not. */
  static async connect(options: RedisConfigurationStoreOptions): Promise<RedisConfigurationStore> {
    if (options.redisDB !== undefined && (!Number.isInteger(options.redisDB) || options.redisDB < 0)) {
      throw new Error(`redisDB must be a whole number of at least 0 (got ${options.redisDB})`);
    }
    const { client, address } = createRedisClient(options, 'mecha-configuration');
    client.on('error', () => {
      // Reconnection is automatic; each call reports its own failure.
    });
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw new Error(`configuration.redis: cannot connect to redis at ${address}: ${errorMessage(error)}`, { cause: error });
    }
    return new RedisConfigurationStore(client, address, options);
  }

  /** The name of the subscriber connection (`CLIENT LIST` shows it), for operators and tests. */
  get subscriberName(): string {
    return this.#name;
  }

  async get(request: ConfigurationGetRequest): Promise<ConfigurationItems> {
    const keys = request.keys.length > 0 ? [...new Set(request.keys)] : await this.#allKeys();
    const items: ConfigurationItems = {};
    for (let start = 0; start < keys.length; start += readBatch) {
      const batch = keys.slice(start, start + readBatch);
      // MGET answers nil for a missing key and for a key that is not a string, which Dapr skips too.
      const values = await this.#call(() => this.#client.mget(batch));
      batch.forEach((key, i) => {
        const stored = values[i];
        if (stored === null || stored === undefined) return;
        const item = parseRedisValue(stored);
        if (item.value !== '') items[key] = item;
      });
    }
    return items;
  }

  async subscribe(request: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string> {
    if (this.#closed) throw new Error('the configuration store is closed');
    const id = randomUUID();
    const keys = request.keys.length > 0 ? new Set(request.keys) : null;
    const channels = keys ? [...keys].map((key) => this.#channelPrefix + key) : [`${this.#channelPrefix}*`];
    await this.#enableNotifications();
    const subscriber = await this.#subscriberConnection();
    const joined: string[] = [];
    try {
      for (const channel of channels) {
        joined.push(channel);
        await this.#join(subscriber, channel, keys === null);
      }
    } catch (error) {
      for (const channel of joined) this.#leave(subscriber, channel, keys === null);
      throw new Error(`redis at ${this.#address}: ${errorMessage(error)}`, { cause: error });
    }
    const queue = new SubscriptionQueue(id, handler, (error) =>
      this.#logger.warn({ subscription: id, error: errorMessage(error) }, 'configuration.redis: delivering a change failed'),
    );
    this.#watches.set(id, { queue, keys });
    return id;
  }

  async unsubscribe(id: string): Promise<void> {
    const watch = this.#watches.get(id);
    if (!watch) throw new Error(`subscription with id ${id} does not exist`);
    this.#watches.delete(id);
    watch.queue.end();
    const subscriber = await this.#subscriber?.catch(() => undefined);
    if (!subscriber) return;
    if (watch.keys === null) this.#leave(subscriber, `${this.#channelPrefix}*`, true);
    else for (const key of watch.keys) this.#leave(subscriber, this.#channelPrefix + key, false);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const watch of this.#watches.values()) watch.queue.end();
    this.#watches.clear();
    const subscriber = await this.#subscriber?.catch(() => undefined);
    await Promise.all([quit(this.#client), subscriber ? quit(subscriber) : undefined]);
  }

  /** Every key of the database, by SCAN (Dapr uses KEYS *, which blocks the server on a large database). */
  async #allKeys(): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.#call(() => this.#client.scan(cursor, 'COUNT', 1000));
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    return [...keys];
  }

  /** The item a change notification stands for: the key's current value, or an empty item once it is gone. */
  async #itemAfterChange(key: string): Promise<ConfigurationItems> {
    const items = await this.get({ keys: [key], metadata: {} });
    const empty: ConfigurationItem = { value: '', version: '', metadata: {} };
    return { [key]: items[key] ?? empty };
  }

  /**
   * Turns on the keyspace events subscriptions need, as Dapr's component does on every
   * subscribe, but merged into the server's setting instead of replacing it. A server that
   * refuses CONFIG (a managed Redis) is told about once in the log; it must have the events on.
   */
  async #enableNotifications(): Promise<void> {
    try {
      const reply = (await this.#client.config('GET', 'notify-keyspace-events')) as string[];
      const current = reply[1] ?? '';
      const wanted = mergeKeyspaceEvents(current);
      if (wanted !== current) await this.#client.config('SET', 'notify-keyspace-events', wanted);
    } catch (error) {
      if (this.#warnedAboutNotifications) return;
      this.#warnedAboutNotifications = true;
      this.#logger.warn(
        { address: this.#address, error: errorMessage(error) },
        `configuration.redis: could not turn on keyspace notifications; set notify-keyspace-events to include ${requiredKeyspaceEvents} on the server, or subscriptions see no changes`,
      );
    }
  }

  /** The shared subscriber connection, opened with the first subscription. */
  #subscriberConnection(): Promise<Redis> {
    this.#subscriber ??= (async () => {
      const { client } = createRedisClient(this.#options, this.#name);
      client.on('error', () => {
        // Reconnection (and re-subscription) is automatic.
      });
      client.on('message', (channel: string) => this.#changed(channel, false));
      client.on('pmessage', (_pattern: string, channel: string) => this.#changed(channel, true));
      try {
        await client.connect();
      } catch (error) {
        client.disconnect();
        throw new Error(`configuration.redis: cannot connect to redis at ${this.#address}: ${errorMessage(error)}`, { cause: error });
      }
      return client;
    })();
    const opening = this.#subscriber;
    // A failed connection is retried by the next subscription rather than remembered.
    opening.catch(() => {
      if (this.#subscriber === opening) this.#subscriber = undefined;
    });
    return opening;
  }

  #changed(channel: string, viaPattern: boolean): void {
    if (!channel.startsWith(this.#channelPrefix)) return;
    const key = channel.slice(this.#channelPrefix.length);
    // One read per notification, shared by the subscriptions it concerns, each in its own turn.
    let read: Promise<ConfigurationItems> | undefined;
    const items = () => (read ??= this.#itemAfterChange(key));
    for (const watch of this.#watches.values()) {
      const concerned = viaPattern ? watch.keys === null : watch.keys?.has(key) === true;
      if (concerned) watch.queue.push(items);
    }
  }

  async #join(subscriber: Redis, channel: string, pattern: boolean): Promise<void> {
    const shared = this.#channels.get(channel);
    if (shared) {
      shared.users++;
      return shared.ready;
    }
    const ready = (pattern ? subscriber.psubscribe(channel) : subscriber.subscribe(channel)).then(() => undefined);
    const entry = { users: 1, ready };
    this.#channels.set(channel, entry);
    ready.catch(() => {
      if (this.#channels.get(channel) === entry) this.#channels.delete(channel);
    });
    return ready;
  }

  #leave(subscriber: Redis, channel: string, pattern: boolean): void {
    const shared = this.#channels.get(channel);
    if (!shared) return;
    shared.users--;
    if (shared.users > 0) return;
    this.#channels.delete(channel);
    // Nothing is delivered for a channel no subscription watches, so a failure here only leaves a quiet channel.
    const leaving = pattern ? subscriber.punsubscribe(channel) : subscriber.unsubscribe(channel);
    leaving.catch(() => undefined);
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new Error(`redis at ${this.#address}: ${errorMessage(error)}`, { cause: error });
    }
  }
}

async function quit(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
