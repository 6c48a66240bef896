import { errorMessage, type Logger } from '@mecha/core';
import amqp, { type ChannelModel, type SocketOptions } from 'amqplib';
import type { RabbitMqBrokerOptions } from './broker-options.ts';
import { withHeartbeat } from './connection-url.ts';

/** Told when the connection comes back (after a loss) and when it is lost. */
export interface ConnectionWatcher {
  up?(model: ChannelModel): void;
  down?(error: Error): void;
}

/**
 * One AMQP connection that comes back by itself. amqplib gives up a connection for good
 * when it closes; this dials again every `reconnectWaitMs` until it succeeds or is closed,
 * and tells its watchers (the publisher, each subscription) so they can rebuild their
 * channels, exchanges, queues and consumers.
 */
export class RabbitMqConnection {
  readonly display: string;
  readonly #url: string;
  readonly #socketOptions: SocketOptions;
  readonly #reconnectWaitMs: number;
  readonly #logger: Logger;
  readonly #watchers = new Set<ConnectionWatcher>();
  #model: ChannelModel | undefined;
  #lastError: Error | undefined;
  #blocked: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RabbitMqBrokerOptions, logger: Logger) {
    this.display = options.target.display;
    this.#url = withHeartbeat(options.target.url, options.heartbeatSeconds ?? 10);
    this.#reconnectWaitMs = options.reconnectWaitMs ?? 3000;
    this.#logger = logger;
    const socketOptions: SocketOptions = {
      timeout: options.connectTimeoutMs ?? 10_000,
      noDelay: true,
      clientProperties: options.clientName ? { connection_name: options.clientName } : {},
    };
    if (options.target.credentials) {
      socketOptions.credentials = amqp.credentials.plain(options.target.credentials.username, options.target.credentials.password);
    }
    const tls = options.tls;
    if (tls) {
      if (tls.caCert) socketOptions.ca = [tls.caCert];
      if (tls.clientCert) socketOptions.cert = tls.clientCert;
      if (tls.clientKey) socketOptions.key = tls.clientKey;
      if (tls.saslExternal) socketOptions.credentials = amqp.credentials.external();
    }
    this.#socketOptions = socketOptions;
  }

  /** Dials the first time; rejects with a message naming the broker when that fails. */
  async open(): Promise<void> {
    try {
      await this.#dial();
    } catch (error) {
      throw new Error(`cannot connect to RabbitMQ at ${this.display}: ${errorMessage(error)}`, { cause: error });
    }
  }

  get connected(): boolean {
    return this.#model !== undefined;
  }

  /** The open connection, or an error saying why there is none (and that a reconnect is under way). */
  current(): ChannelModel {
    if (this.#closed) throw new Error(`the RabbitMQ connection to ${this.display} is closed`);
    if (!this.#model) {
      const why = this.#lastError ? `: ${errorMessage(this.#lastError)}` : '';
      throw new Error(`RabbitMQ at ${this.display} is unreachable${why} (reconnecting every ${this.#reconnectWaitMs} ms)`);
    }
    return this.#model;
  }

  /** Why publishing cannot proceed right now though connected (RabbitMQ's resource alarms), if it cannot. */
  get blocked(): string | undefined {
    return this.#blocked === undefined ? undefined : `RabbitMQ at ${this.display} blocked the connection: ${this.#blocked}`;
  }

  /** Explains a failure caused by losing the connection, with the connection's own reason. */
  lostReason(): string {
    if (this.#closed) return `the RabbitMQ connection to ${this.display} was closed`;
    const why = this.#lastError ? `: ${errorMessage(this.#lastError)}` : '';
    return `the connection to RabbitMQ at ${this.display} was lost${why}`;
  }

  watch(watcher: ConnectionWatcher): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watchers.clear();
    const model = this.#model;
    this.#model = undefined;
    if (model) {
      try {
        await model.close();
      } catch {
        // Already closing or gone: nothing left to release.
      }
    }
  }

  async #dial(): Promise<void> {
    const model = await amqp.connect(this.#url, this.#socketOptions);
    if (this.#closed) {
      await model.close().catch(() => {});
      throw new Error(`the RabbitMQ connection to ${this.display} is closed`);
    }
    model.on('error', (error: Error) => {
      this.#lastError = error;
    });
    model.on('close', (error?: Error) => this.#onClose(model, error));
    model.on('blocked', (reason: string) => {
      this.#blocked = reason || 'resource alarm';
      this.#logger.warn({ broker: this.display, reason }, 'RabbitMQ blocked the connection');
    });
    model.on('unblocked', () => {
      this.#blocked = undefined;
      this.#logger.info({ broker: this.display }, 'RabbitMQ unblocked the connection');
    });
    this.#model = model;
    this.#lastError = undefined;
    this.#blocked = undefined;
  }

  #onClose(model: ChannelModel, error: Error | undefined): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    this.#blocked = undefined;
    if (this.#closed) return;
    const reason = error ?? this.#lastError ?? new Error('connection closed');
    this.#lastError = reason;
    this.#logger.warn(
      { broker: this.display, error: errorMessage(reason), retryInMs: this.#reconnectWaitMs },
      'lost the RabbitMQ connection; reconnecting',
    );
    for (const watcher of [...this.#watchers]) watcher.down?.(reason);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    // A floor keeps a refused connection from turning into a busy loop.
    this.#timer = setTimeout(() => void this.#reconnect(), Math.max(50, this.#reconnectWaitMs));
  }

  async #reconnect(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed || this.#model) return;
    try {
      await this.#dial();
    } catch (error) {
      if (this.#closed) return;
      this.#lastError = error instanceof Error ? error : new Error(String(error));
      this.#logger.debug({ broker: this.display, error: errorMessage(error) }, 'reconnecting to RabbitMQ failed; trying again');
      this.#scheduleReconnect();
      return;
    }
    this.#logger.info({ broker: this.display }, 'reconnected to RabbitMQ');
    const model = this.#model;
    if (!model) return;
    for (const watcher of [...this.#watchers]) watcher.up?.(model);
  }
}
