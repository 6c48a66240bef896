import { randomUUID } from 'node:crypto';
import { errorMessage, type Logger } from '@mecha/core';
import type { BrokerSubscription, MessageHandler, SubscribeRequest } from '@mecha/pubsub';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ConcurrencyMode } from './broker-options.ts';
import { pause, within } from './bounded-wait.ts';
import { deliveredMessage } from './delivered-message.ts';
import { declareTopology, type SubscriptionTopology } from './queue-topology.ts';
import type { RabbitMqConnection } from './rabbitmq-connection.ts';

/** How long closing waits for RabbitMQ to acknowledge the channel close (the close is sent either way). */
const CHANNEL_CLOSE_WAIT_MS = 2000;

export interface SubscriptionSettings {
  topic: string;
  topology: SubscriptionTopology;
  autoAck: boolean;
  /** Dead-letter a rejected message (nack without requeue) rather than requeue it. */
  deadLetterOnReject: boolean;
  prefetchCount: number;
  concurrency: ConcurrencyMode;
  /** Set for a bulk subscription: `single` then hands over a batch at a time, in order. */
  bulk?: NonNullable<SubscribeRequest['bulk']>;
  publishMessagePropertiesToMetadata: boolean;
  reconnectWaitMs: number;
  requeueDelayMs: number;
  drainTimeoutMs: number;
  subscribeTimeoutMs: number;
}

/**
 * One consumer on its own channel (so a channel error or a prefetch limit stays local).
 * It acknowledges a message only after the handler resolved; a rejection is requeued after
 * `requeueDelayMs` (or dead-lettered). Whenever its channel or consumer goes away (lost
 * connection, channel error, queue deleted) it declares its exchange, queue and bindings
 * again and consumes anew, without the caller subscribing again.
 */
export class RabbitMqSubscription implements BrokerSubscription {
  readonly #connection: RabbitMqConnection;
  readonly #settings: SubscriptionSettings;
  readonly #handler: MessageHandler;
  readonly #logger: Logger;
  readonly #onClosed: (subscription: RabbitMqSubscription) => void;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  #establishing = false;
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  /** The tail of the one-at-a-time queue in `single` concurrency mode. */
  #serial: Promise<void> = Promise.resolve();
  /** `single` mode, bulk subscription: deliveries waiting for the next batch, each a start. */
  #waiting: Array<() => Promise<void>> = [];
  #closing: Promise<void> | undefined;

  constructor(
    connection: RabbitMqConnection,
    settings: SubscriptionSettings,
    handler: MessageHandler,
    logger: Logger,
    onClosed: (subscription: RabbitMqSubscription) => void,
  ) {
    this.#connection = connection;
    this.#settings = settings;
    this.#handler = handler;
    this.#logger = logger.child({ topic: settings.topic, queue: settings.topology.queue.name });
    this.#onClosed = onClosed;
  }

  get queue(): string {
    return this.#settings.topology.queue.name;
  }

  /**
   * Resolves once the queue is declared and bound and the consumer registered. While
   * RabbitMQ is unreachable it keeps trying for `subscribeTimeoutMs`; a declaration the
   * broker refuses (a queue that exists with other arguments, access denied) rejects at once.
   */
  async start(): Promise<void> {
    const deadline = Date.now() + this.#settings.subscribeTimeoutMs;
    for (;;) {
      if (this.#closed) throw new Error('the subscription was closed before it started');
      try {
        this.#establishing = true;
        await this.#establish();
        break;
      } catch (error) {
        if (refusedByBroker(error)) throw new Error(`RabbitMQ refused the subscription: ${errorMessage(error)}`, { cause: error });
        if (Date.now() + this.#settings.reconnectWaitMs > deadline) {
          throw new Error(`cannot subscribe to RabbitMQ at ${this.#connection.display}: ${errorMessage(error)}`, { cause: error });
        }
        await pause(Math.max(50, this.#settings.reconnectWaitMs), this.#abort.signal);
      } finally {
        this.#establishing = false;
      }
    }
    this.#started = true;
    this.#unwatch = this.#connection.watch({ up: () => this.#recoverNow() });
    // The channel may have gone between the consumer starting and now.
    if (!this.#channel) this.#scheduleRecovery();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  get #closed(): boolean {
    return this.#abort.signal.aborted;
  }

  async #close(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#unwatch?.();
    const channel = this.#channel;
    const consumerTag = this.#consumerTag;
    // One budget for stopping deliveries and letting handlers in progress settle.
    const deadline = Date.now() + this.#settings.drainTimeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    if (channel && consumerTag) await within(channel.cancel(consumerTag), left());
    await within(Promise.allSettled([...this.#inFlight]), left());
    if (channel) {
      this.#channel = undefined;
      // Whatever is still unacknowledged goes back to the queue for the group's other consumers.
      await within(channel.close(), CHANNEL_CLOSE_WAIT_MS);
    }
    this.#onClosed(this);
  }

  async #establish(): Promise<void> {
    const settings = this.#settings;
    const channel = await this.#connection.current().createChannel();
    channel.on('error', (error: Error) => {
      this.#logger.warn({ error: errorMessage(error) }, 'RabbitMQ closed the subscription channel');
    });
    channel.on('close', () => this.#onChannelClose(channel));
    try {
      if (settings.prefetchCount > 0) await channel.prefetch(settings.prefetchCount);
      await declareTopology(channel, settings.topology);
      if (this.#closed) throw new Error('the subscription was closed');
      // Current before consuming: deliveries of a non-empty queue can arrive before consume resolves.
      this.#channel = channel;
      // A fresh tag each time: RabbitMQ refuses to reuse one on a channel.
      const { consumerTag } = await channel.consume(
        settings.topology.queue.name,
        (delivery) => this.#onDelivery(channel, delivery),
        { noAck: settings.autoAck, consumerTag: `${settings.topology.queue.name}-${randomUUID()}`.slice(-255) },
      );
      this.#consumerTag = consumerTag;
    } catch (error) {
      if (this.#channel === channel) this.#channel = undefined;
      await channel.close().catch(() => {});
      throw error;
    }
  }

  #onChannelClose(channel: Channel): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#consumerTag = undefined;
    // Before `start` succeeded, its own loop retries.
    if (this.#started) this.#scheduleRecovery();
  }

  /** A consumer RabbitMQ cancelled (its queue was deleted): drop the channel and start over. */
  #onCancelled(channel: Channel): void {
    if (this.#channel !== channel) return;
    this.#logger.warn('RabbitMQ cancelled the consumer (queue deleted?); declaring it again');
    this.#channel = undefined;
    this.#consumerTag = undefined;
    channel.close().catch(() => {});
    if (this.#started) this.#scheduleRecovery();
  }

  #scheduleRecovery(): void {
    if (this.#closed || !this.#started || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#recover();
    }, Math.max(50, this.#settings.reconnectWaitMs));
  }

  /** The connection is back: rebuild at once (the reconnect already waited). */
  #recoverNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#recover();
  }

  async #recover(): Promise<void> {
    // Without a connection, the connection's `up` brings us back here.
    if (this.#closed || this.#establishing || this.#channel || !this.#connection.connected) return;
    this.#establishing = true;
    try {
      await this.#establish();
      this.#logger.info('subscription re-established');
    } catch (error) {
      if (this.#closed) return;
      this.#logger.warn({ error: errorMessage(error) }, 'cannot re-establish the subscription yet; trying again');
      this.#scheduleRecovery();
    } finally {
      this.#establishing = false;
    }
  }

  #onDelivery(channel: Channel, delivery: ConsumeMessage | null): void {
    if (delivery === null) return this.#onCancelled(channel);
    // Unacknowledged, it returns to the queue when this channel closes.
    if (this.#closed || this.#channel !== channel) return;
    const handling =
      this.#settings.concurrency === 'parallel'
        ? this.#handle(channel, delivery)
        : this.#settings.bulk
          ? this.#inBatch(channel, delivery)
          : (this.#serial = this.#serial.then(() => this.#handle(channel, delivery)));
    this.#inFlight.add(handling);
    void handling.finally(() => this.#inFlight.delete(handling));
  }

  /**
   * `single` mode for a bulk subscription: one batch at a time, in delivery order. The
   * messages of a batch wait for the batch, so handing them over one by one would fill each
   * batch with one message; the whole batch is settled (retries included) before the next.
   */
  #inBatch(channel: Channel, delivery: ConsumeMessage): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiting.push(() => this.#handle(channel, delivery).finally(resolve));
      // The first waiting delivery schedules a run; the rest of its burst joins it.
      if (this.#waiting.length === 1) this.#serial = this.#serial.then(() => this.#runBatches());
    });
  }

  async #runBatches(): Promise<void> {
    const bulk = this.#settings.bulk!;
    // Let the burst this delivery came in arrive first, so it goes out as one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#waiting.length > 0) {
      const handling = this.#waiting.splice(0, Math.max(1, bulk.maxMessages)).map((start) => start());
      bulk.flush();
      await Promise.allSettled(handling);
    }
  }

  async #handle(channel: Channel, delivery: ConsumeMessage): Promise<void> {
    // Queued behind others in single mode: a message of a channel since lost is redelivered anyway.
    if (this.#closed || this.#channel !== channel) return;
    const settings = this.#settings;
    const message = deliveredMessage(settings.topic, delivery, settings.publishMessagePropertiesToMetadata);
    let failure: unknown;
    try {
      await this.#handler(message);
    } catch (error) {
      failure = error ?? new Error('rejected');
    }
    if (settings.autoAck) {
      if (failure !== undefined) this.#logger.error({ error: errorMessage(failure) }, 'handling failed; with autoAck the message is gone');
      return;
    }
    if (failure === undefined) return settle(() => channel.ack(delivery));
    if (settings.deadLetterOnReject) {
      this.#logger.warn({ error: errorMessage(failure) }, 'handling failed; dead-lettering the message');
      return settle(() => channel.nack(delivery, false, false));
    }
    this.#logger.debug({ error: errorMessage(failure) }, 'handling failed; requeueing the message');
    // A pause first, so a message that keeps failing does not spin; closing cuts it short.
    await pause(settings.requeueDelayMs, this.#abort.signal).catch(() => {});
    settle(() => channel.nack(delivery, false, true));
  }
}

/** Acks or nacks unless the channel is gone, in which case RabbitMQ requeues the message itself. */
function settle(answer: () => void): void {
  try {
    answer();
  } catch {
    // Channel closed: the broker has already put the message back.
  }
}

/** An error the broker answered with (a reply code on a channel close), as opposed to a lost connection. */
function refusedByBroker(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 400 && code < 600 && code !== 320;
}
