import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import {
  SubscriptionQueue,
  type ConfigurationGetRequest,
  type ConfigurationItems,
  type ConfigurationStore,
  type ConfigurationSubscribeRequest,
  type ConfigurationUpdateHandler,
} from '@mecha/configuration';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import pg from 'pg';
import { parseChangeNotification } from './change-notification.ts';
import { connectionSettings, type ConnectionInput } from './connection-settings.ts';
import { checkChannelName, checkTableName, quotedName } from './identifiers.ts';
import { latestItems, type ConfigurationRow } from './latest-items.ts';
import { NotifyListener } from './notify-listener.ts';

export interface PostgresConfigurationStoreOptions extends ConnectionInput {
  /** The configuration table (Dapr's schema: KEY, VALUE, VERSION, METADATA), optionally `schema.table`. */
  table: string;
  /** The channel the table's trigger notifies; without it each subscribe request names one in `pgNotifyChannel`. */
  notifyChannel?: string;
  /** Limit for connecting and for each statement. Default 20000 ms. */
  timeoutMs?: number;
  /** Most pooled connections for reads; 0 or less: the greater of 4 and the number of CPUs. */
  maxConns?: number;
  /** How long an unused pooled connection stays open. Default 5 minutes. */
  connectionMaxIdleTimeMs?: number;
  logger?: Logger;
}

interface Watch {
  queue: SubscriptionQueue;
  keys: ReadonlySet<string> | null;
  channel: string;
}

interface SharedListener {
  users: number;
  ready: Promise<NotifyListener>;
  /** Set once `ready` has resolved. */
  listener?: NotifyListener;
}

/**
 * Configuration items in a PostgreSQL table laid out as Dapr's `configuration.postgresql`
 * documents it (KEY, VALUE, VERSION, METADATA columns, no unique key: the greatest numeric
 * version wins). Changes come from the table's own trigger through LISTEN/NOTIFY, with Dapr's
 * payload `{"table", "action", "data": <row>}`; the component never creates the table or the
 * trigger. One LISTEN connection per channel is shared by the subscriptions on it.
 */
export class PostgresConfigurationStore implements ConfigurationStore {
  readonly #pool: pg.Pool;
  readonly #config: pg.ClientConfig;
  readonly #address: string;
  readonly #table: string;
  readonly #sqlTable: string;
  readonly #notifyChannel: string | undefined;
  readonly #logger: Logger;
  readonly #watches = new Map<string, Watch>();
  readonly #listeners = new Map<string, SharedListener>();
  #closed = false;

  /** Connects and checks the table exists; fails naming the server or the table when not. */
  static async open(options: PostgresConfigurationStoreOptions): Promise<PostgresConfigurationStore> {
    const store = new PostgresConfigurationStore(options);
    try {
      await store.#checkTable();
    } catch (error) {
      await store.#pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  private constructor(options: PostgresConfigurationStoreOptions) {
    this.#table = checkTableName(options.table);
    this.#sqlTable = quotedName(this.#table);
    this.#notifyChannel = options.notifyChannel ? checkChannelName(options.notifyChannel) : undefined;
    this.#logger = options.logger ?? silentLogger();
    const timeout = options.timeoutMs ?? 20_000;
    if (timeout < 1000) throw new Error("invalid value for 'timeout': must be greater than 1s");
    const settings = connectionSettings(options);
    if (settings.ignored.length > 0) this.#logger.warn({ keywords: settings.ignored }, 'configuration.postgresql: ignoring connection string keywords node-postgres does not support');
    this.#address = settings.address;
    this.#config = { ...settings.config, connectionTimeoutMillis: settings.config.connectionTimeoutMillis ?? timeout, query_timeout: timeout, keepAlive: true };
    const maxConns = options.maxConns !== undefined && options.maxConns > 0 ? Math.floor(options.maxConns) : Math.max(4, cpus().length);
    this.#pool = new pg.Pool({ ...this.#config, max: settings.poolMaxConns ?? maxConns, idleTimeoutMillis: options.connectionMaxIdleTimeMs ?? 300_000 });
    // An idle connection the server drops is reported here; the pool replaces it. Unhandled, it would crash the process.
    this.#pool.on('error', (error) => this.#logger.warn({ error: errorMessage(error) }, 'configuration.postgresql: an idle connection failed'));
  }

  /** The server process ids of the LISTEN connections, by channel (for operators and tests). */
  listenerPids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#listeners.entries()].map(([channel, shared]) => [channel, shared.listener?.backendPid]));
  }

  async get(request: ConfigurationGetRequest): Promise<ConfigurationItems> {
    const keys = [...new Set(request.keys)];
    const sql = `SELECT key, value, version, metadata FROM ${this.#sqlTable}${keys.length > 0 ? ' WHERE key = ANY($1::text[])' : ''}`;
    const { rows } = await this.#query<ConfigurationRow>(sql, keys.length > 0 ? [keys] : []);
    return latestItems(rows);
  }

  async subscribe(request: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string> {
    if (this.#closed) throw new Error('configuration store is closed');
    const channel = this.#channelFor(request.metadata);
    const id = randomUUID();
    await this.#join(channel);
    if (this.#closed) {
      this.#leave(channel);
      throw new Error('configuration store is closed');
    }
    const queue = new SubscriptionQueue(id, handler, (error) =>
      this.#logger.warn({ subscription: id, error: errorMessage(error) }, 'configuration.postgresql: delivering a change failed'),
    );
    this.#watches.set(id, { queue, keys: request.keys.length > 0 ? new Set(request.keys) : null, channel });
    return id;
  }

  async unsubscribe(id: string): Promise<void> {
    const watch = this.#watches.get(id);
    if (!watch) throw new Error(`unable to find subscription with ID : ${id}`);
    this.#watches.delete(id);
    watch.queue.end();
    this.#leave(watch.channel);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of this.#watches.values()) watch.queue.end();
    this.#watches.clear();
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all(listeners.map((shared) => shared.ready.then((listener) => listener.close()).catch(() => undefined)));
    await this.#pool.end().catch(() => undefined);
  }

  /** The component's notifyChannel; else the request's `pgNotifyChannel` (any case), as Dapr reads it. */
  #channelFor(metadata: Readonly<Record<string, string>>): string {
    let channel = this.#notifyChannel;
    if (!channel) {
      for (const [name, value] of Object.entries(metadata)) {
        if (name.toLowerCase() === 'pgnotifychannel') {
          channel = value;
          break;
        }
      }
    }
    if (!channel) throw new Error(`unable to subscribe to "${this.#table}". notifyChannel must be set in component metadata or request metadata`);
    return checkChannelName(channel);
  }

  async #join(channel: string): Promise<void> {
    let shared = this.#listeners.get(channel);
    if (shared) {
      shared.users++;
    } else {
      const ready = NotifyListener.open({
        channel,
        config: this.#config,
        address: this.#address,
        onNotification: (payload) => this.#notified(channel, payload),
        logger: this.#logger,
      });
      shared = { users: 1, ready };
      this.#listeners.set(channel, shared);
    }
    try {
      shared.listener = await shared.ready;
    } catch (error) {
      if (this.#listeners.get(channel) === shared) this.#listeners.delete(channel);
      throw new Error(`postgresql at ${this.#address}: cannot listen on channel ${channel}: ${errorMessage(error)}`, { cause: error });
    }
  }

  #leave(channel: string): void {
    const shared = this.#listeners.get(channel);
    if (!shared) return;
    shared.users--;
    if (shared.users > 0) return;
    this.#listeners.delete(channel);
    void shared.ready.then((listener) => listener.close()).catch(() => undefined);
  }

  #notified(channel: string, payload: string | undefined): void {
    const change = parseChangeNotification(payload);
    if (!change) {
      this.#logger.warn({ channel }, "configuration.postgresql: ignoring a notification that is not in Dapr's trigger format ({\"data\": <row>})");
      return;
    }
    for (const watch of this.#watches.values()) {
      if (watch.channel !== channel) continue;
      if (watch.keys !== null && !watch.keys.has(change.key)) continue;
      watch.queue.push({ [change.key]: { ...change.item, metadata: { ...change.item.metadata } } });
    }
  }

  async #checkTable(): Promise<void> {
    let exists: boolean;
    try {
      const { rows } = await this.#query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [this.#sqlTable]);
      exists = rows[0]?.exists === true;
    } catch (error) {
      throw new Error(`configuration.postgresql: cannot reach postgresql at ${this.#address}: ${errorMessage(error)}`, { cause: error });
    }
    if (!exists) throw new Error(`postgreSQL configuration table '${this.#table}' does not exist`);
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (error) {
      throw new Error(`postgresql at ${this.#address}: ${errorMessage(error)}`, { cause: error });
    }
  }
}
