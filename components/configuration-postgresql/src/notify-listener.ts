import { errorMessage, type Logger } from '@mecha/core';
import pg from 'pg';

export interface NotifyListenerOptions {
  /** A validated channel name (lower-case letters, digits, `.`, `/`, `_`). */
  channel: string;
  config: pg.ClientConfig;
  /** `host:port`, for messages. */
  address: string;
  onNotification: (payload: string | undefined) => void;
  logger: Logger;
}

const quoted = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * A dedicated connection LISTENing on one channel. When the connection is lost it reconnects
 * with backoff and LISTENs again, logging the gap: NOTIFY is not queued for a listener that is
 * away, so changes made meanwhile are not delivered.
 */
export class NotifyListener {
  readonly channel: string;
  readonly #options: NotifyListenerOptions;
  #client: pg.Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #attempt = 0;

  private constructor(options: NotifyListenerOptions) {
    this.channel = options.channel;
    this.#options = options;
  }

  /** Resolves once the channel is being listened to. */
  static async open(options: NotifyListenerOptions): Promise<NotifyListener> {
    const listener = new NotifyListener(options);
    await listener.#listen();
    return listener;
  }

  /** The server process id of the listening connection (for operators and tests). */
  get backendPid(): number | undefined {
    return (this.#client as unknown as { processID?: number } | undefined)?.processID;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    try {
      await client.query(`UNLISTEN ${quoted(this.channel)}`);
    } catch {
      // The connection is going away anyway.
    }
    await client.end().catch(() => undefined);
  }

  /** Connects and LISTENs; the connection becomes the current one before this resolves. */
  async #listen(): Promise<void> {
    const client = new pg.Client(this.#options.config);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.#options.onNotification(message.payload);
    });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      void client.end().catch(() => undefined);
      if (this.#closed || this.#client !== client) return;
      this.#client = undefined;
      this.#options.logger.warn(
        { channel: this.channel, address: this.#options.address, error: error ? errorMessage(error) : 'connection ended' },
        'configuration.postgresql: lost the LISTEN connection; reconnecting (changes meanwhile are not delivered)',
      );
      this.#scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${quoted(this.channel)}`);
    } catch (error) {
      lost = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    if (lost) throw new Error('the connection was lost right after LISTEN');
    this.#client = client;
  }

  #scheduleReconnect(): void {
    const delay = Math.min(250 * 2 ** this.#attempt, 5000);
    this.#attempt++;
    this.#retry = setTimeout(() => {
      this.#listen().then(
        () => {
          if (this.#closed) return;
          this.#attempt = 0;
          this.#options.logger.info({ channel: this.channel }, 'configuration.postgresql: listening again');
        },
        () => {
          if (!this.#closed) this.#scheduleReconnect();
        },
      );
    }, delay);
    this.#retry.unref();
  }
}
