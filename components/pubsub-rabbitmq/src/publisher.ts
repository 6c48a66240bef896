import { errorMessage, type Logger } from '@mecha/core';
import type { BrokerMessage, BulkPublishFailure } from '@mecha/pubsub';
import type { ConfirmChannel } from 'amqplib';
import { publishProperties, type PublishDefaults, type PublishProperties } from './publish-properties.ts';
import { declareExchange, topicExchange, type TopologySettings } from './queue-topology.ts';
import type { RabbitMqConnection } from './rabbitmq-connection.ts';

/** AMQP reply code of a channel closed because something (here: an exchange) does not exist. */
const NOT_FOUND = 404;

/** A confirm channel and what is known on it: the exchanges already declared, why it closed. */
interface PublishChannel {
  channel: ConfirmChannel;
  exchanges: Map<string, Promise<void>>;
  closed: boolean;
  /** Set when the broker closed the channel with an error (for example 404, exchange gone). */
  closeError?: Error & { code?: number };
}

interface Outgoing {
  index: number;
  message: BrokerMessage;
  properties: PublishProperties;
}

/**
 * Publishes on one confirm channel: a publish resolves only once RabbitMQ confirmed the
 * message, and rejects with a clear reason when it refused it or the connection went
 * away first. Each topic's exchange is declared once per channel. An auto-deleted exchange
 * closes the channel with 404; such publishes are tried once more on a fresh channel,
 * which declares the exchange again.
 */
export class Publisher {
  readonly #connection: RabbitMqConnection;
  readonly #settings: TopologySettings;
  readonly #defaults: PublishDefaults;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  #target: PublishChannel | undefined;
  #opening: Promise<PublishChannel> | undefined;
  #closed = false;

  constructor(
    connection: RabbitMqConnection,
    settings: TopologySettings,
    defaults: PublishDefaults,
    timeoutMs: number,
    logger: Logger,
  ) {
    this.#connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#settings = settings;
    this.#defaults = defaults;
    this.#logger = logger;
  }

  async publish(message: BrokerMessage): Promise<void> {
    const [failure] = await this.publishAll([message]);
    if (failure) throw new Error(failure.error);
  }

  /** Publishes every message (one topic or several) and reports the ones RabbitMQ did not confirm. */
  async publishAll(messages: BrokerMessage[]): Promise<BulkPublishFailure[]> {
    const warn = (text: string) => this.#logger.warn(text);
    let pending: Outgoing[] = messages.map((message, index) => ({
      index,
      message,
      properties: publishProperties(message, this.#defaults, warn),
    }));
    const failures: BulkPublishFailure[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      let target: PublishChannel;
      try {
        target = await this.#channel();
      } catch (error) {
        failures.push(...pending.map(({ index }) => ({ index, error: errorMessage(error) })));
        break;
      }
      const outcomes = await Promise.all(
        pending.map((item) => this.#send(target, item).then(
          () => null,
          (error: unknown) => error ?? new Error('publish failed'),
        )),
      );
      const retry: Outgoing[] = [];
      for (const [position, outcome] of outcomes.entries()) {
        if (outcome === null) continue;
        const item = pending[position]!;
        if (attempt === 1 && target.closeError?.code === NOT_FOUND && this.#connection.connected) retry.push(item);
        else failures.push({ index: item.index, error: this.#explain(outcome, target) });
      }
      pending = retry;
    }
    return failures.sort((a, b) => a.index - b.index);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#opening?.catch(() => undefined);
    const target = this.#target;
    this.#target = undefined;
    if (!target || target.closed) return;
    try {
      // Waits for outstanding confirms: RabbitMQ answers them before it acknowledges the close.
      await target.channel.close();
    } catch {
      // Already gone with its connection.
    }
  }

  /**
   * Declares the exchange if needed, publishes, and waits for the confirm, all within the
   * publish timeout: RabbitMQ stops reading from a connection it blocks (resource alarm)
   * before it says so, and without a bound such a publish would wait for the alarm to clear.
   */
  async #send(target: PublishChannel, item: Outgoing): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const blocked = this.#connection.blocked;
        reject(new Error(`RabbitMQ at ${this.#connection.display} did not confirm the message within ${this.#timeoutMs} ms${blocked ? ` (${blocked})` : ''}`));
      }, this.#timeoutMs);
    });
    try {
      await Promise.race([this.#sendNow(target, item), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #sendNow(target: PublishChannel, item: Outgoing): Promise<void> {
    const { message, properties } = item;
    await this.#exchange(target, message.topic);
    const blocked = this.#connection.blocked;
    if (blocked) throw new Error(blocked);
    const content = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    await new Promise<void>((resolve, reject) => {
      try {
        target.channel.publish(message.topic, properties.routingKey, content, properties.options, (error: unknown) => {
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  #exchange(target: PublishChannel, topic: string): Promise<void> {
    let declared = target.exchanges.get(topic);
    if (!declared) {
      declared = declareExchange(target.channel, topicExchange(topic, this.#settings));
      target.exchanges.set(topic, declared);
      declared.catch(() => target.exchanges.delete(topic));
    }
    return declared;
  }

  /** The current confirm channel, opening one when there is none (first use, or the last one closed). */
  #channel(): Promise<PublishChannel> {
    if (this.#closed) return Promise.reject(new Error('the RabbitMQ broker is closed'));
    if (this.#target && !this.#target.closed) return Promise.resolve(this.#target);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<PublishChannel> {
    const model = this.#connection.current();
    const channel = await model.createConfirmChannel();
    const target: PublishChannel = { channel, exchanges: new Map(), closed: false };
    channel.on('error', (error: Error & { code?: number }) => {
      target.closeError = error;
      this.#logger.debug({ error: errorMessage(error) }, 'RabbitMQ closed the publishing channel');
    });
    channel.on('close', () => {
      target.closed = true;
      if (this.#target === target) this.#target = undefined;
    });
    if (this.#closed) {
      await channel.close().catch(() => {});
      throw new Error('the RabbitMQ broker is closed');
    }
    this.#target = target;
    return target;
  }

  /** A failure in words a user can act on: what the broker said, or that the connection went. */
  #explain(error: unknown, target: PublishChannel): string {
    const text = errorMessage(error);
    if (text === 'message nacked') return 'RabbitMQ refused the message (basic.nack)';
    if (target.closed || /channel (closed|ended)/i.test(text)) {
      if (target.closeError) return `RabbitMQ closed the publishing channel: ${errorMessage(target.closeError)}`;
      if (!this.#connection.connected) return `not confirmed: ${this.#connection.lostReason()}`;
    }
    return text;
  }
}
