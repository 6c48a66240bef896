import type { Binding, BindingRequest, BindingResponse, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options, type RecoveringChannelModel, type SocketOptions } from 'amqplib';
import { parseBrokerUrl, type BrokerUrl } from './broker-url.ts';
import { deliveryMetadata } from './delivery-metadata.ts';
import { publishOptions } from './publish-options.ts';

export interface RabbitMqBindingOptions {
  /** `amqp://user:password@host:port/vhost` (or `amqps://`). */
  host: string;
  queueName: string;
  durable?: boolean;
  /** Declare the queue auto-delete. */
  deleteWhenUnused?: boolean;
  exclusive?: boolean;
  /** Queue-level message time to live (`x-message-ttl`). */
  messageTtlMs?: number;
  /** Unacknowledged messages the broker sends ahead; 0 (default) is no limit. */
  prefetchCount?: number;
  /** Declare a priority queue (`x-max-priority`), 1 to 255. */
  maxPriority?: number;
  /** Content type of published messages whose request names none. Default `text/plain`. */
  contentType?: string;
  /** Delay between reconnection attempts. Default 5000. */
  reconnectWaitMs?: number;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  /** Log in with SASL EXTERNAL (the client certificate's identity). */
  externalSasl?: boolean;
  /** How long the first connection may take. Default 10000. */
  connectTimeoutMs?: number;
  /** How long a publish waits for the broker's confirmation. Default 10000. */
  publishTimeoutMs?: number;
  /** How long closing waits for a handler in progress. Default 5000. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

/** What one connection carries; rebuilt after every reconnect. */
interface Session {
  model: ChannelModel;
  publisher: ConfirmChannel;
  consumer?: Promise<Consumer | undefined>;
}

interface Consumer {
  channel: Channel;
  tag: string;
}

const empty: BindingResponse = { data: new Uint8Array(0), metadata: {} };

/**
 * `bindings.rabbitmq`: one queue, declared with the component's settings on every
 * (re)connection. The output binding's `create` publishes to it through the default exchange
 * on a confirm channel, so a call returns once RabbitMQ has taken the message. The input
 * binding consumes it with manual acknowledgement, one message at a time in queue order: a
 * message is acked after the handler resolved and nacked with requeue when it rejected (or
 * left to the broker, which requeues it, when the connection is lost first). A lost
 * connection is dialled again every `reconnectWaitMs`, and consuming resumes by itself.
 */
export class RabbitMqBinding implements Binding {
  readonly operations = ['create'] as const;
  readonly #options: RabbitMqBindingOptions;
  readonly #broker: BrokerUrl;
  readonly #logger: Logger;
  #connection: RecoveringChannelModel | undefined;
  #session: Session | undefined;
  #handler: InputBindingHandler | undefined;
  /** Deliveries are handled one after another, in the order RabbitMQ sent them. */
  #handling: Promise<void> = Promise.resolve();
  #lastError: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: RabbitMqBindingOptions) {
    this.#options = options;
    this.#broker = parseBrokerUrl(options.host);
    this.#logger = (options.logger ?? silentLogger()).child({ queue: options.queueName });
  }

  /** Connects and declares the queue; rejects, naming the broker, when either fails. */
  static async connect(options: RabbitMqBindingOptions): Promise<RabbitMqBinding> {
    if (!options.queueName) throw new Error('metadata field "queueName" is required');
    const binding = new RabbitMqBinding(options);
    await binding.#open();
    return binding;
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    if (request.operation !== 'create') {
      throw new Error(`bindings.rabbitmq does not support the operation "${request.operation}" (supported: create)`);
    }
    const properties = publishOptions(request.metadata, this.#options.contentType ?? 'text/plain');
    const session = this.#session;
    if (this.#closing) throw new Error('the RabbitMQ binding is closed');
    if (!session) throw new Error(`RabbitMQ at ${this.#broker.display} is unreachable${this.#lastError ? ` (${this.#lastError})` : ''}; reconnecting`);
    const timeoutMs = this.#options.publishTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`RabbitMQ did not confirm the message within ${timeoutMs} ms (it may still be delivered)`)), timeoutMs);
        session.publisher.sendToQueue(this.#options.queueName, Buffer.from(request.data), properties, (error: unknown) => {
          if (error) reject(new Error(`RabbitMQ refused the message for queue ${this.#options.queueName}: ${errorMessage(error)}`));
          else resolve();
        });
      });
    } catch (error) {
      if (error instanceof Error && /closed/i.test(error.message)) throw new Error(`the connection to RabbitMQ was lost while publishing: ${error.message}`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return empty;
  }

  /** Starts consuming the queue; resolves once RabbitMQ accepted the consumer (or, while disconnected, at once). */
  async read(handler: InputBindingHandler): Promise<void> {
    if (this.#closing) throw new Error('the RabbitMQ binding is closed');
    if (this.#handler) throw new Error('the RabbitMQ binding is already being read');
    this.#handler = handler;
    const session = this.#session;
    if (!session) return;
    try {
      await this.#consume(session);
    } catch (error) {
      this.#handler = undefined;
      throw new Error(`cannot consume queue ${this.#options.queueName} at ${this.#broker.display}: ${errorMessage(error)}`, { cause: error });
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const consumer = await this.#session?.consumer?.catch(() => undefined);
      // Stop deliveries first, then give the message in progress time to be acknowledged on
      // its channel; those not started stay unacknowledged and RabbitMQ requeues them.
      if (consumer) await consumer.channel.cancel(consumer.tag).catch(() => {});
      const closeTimeoutMs = this.#options.closeTimeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#handling, new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)))]);
      clearTimeout(timer);
      this.#session = undefined;
      await this.#connection?.close().catch(() => {});
    })();
    return this.#closing;
  }

  async #open(): Promise<void> {
    const options = this.#options;
    const waitMs = Math.max(50, options.reconnectWaitMs ?? 5000);
    const socket: SocketOptions = { timeout: options.connectTimeoutMs ?? 10_000, noDelay: true };
    if (options.caCert) socket.ca = [options.caCert];
    if (options.clientCert) socket.cert = options.clientCert;
    if (options.clientKey) socket.key = options.clientKey;
    if (options.externalSasl) socket.credentials = amqp.credentials.external();
    const connection = await amqp.connect(this.#broker.url, {
      ...socket,
      recovery: {
        initialDelay: waitMs,
        maxDelay: waitMs,
        factor: 1,
        jitter: 0,
        // The first connection fails at once (the component does not start); later losses are retried forever.
        initialMaxRetries: 0,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.#setup(model),
      },
    });
    this.#connection = connection;
    connection.on('error', (error: Error) => {
      this.#lastError = errorMessage(error);
    });
    connection.on('disconnect', (error: Error) => {
      this.#session = undefined;
      this.#lastError = errorMessage(error);
      if (!this.#closing) this.#logger.warn({ broker: this.#broker.display, error: errorMessage(error) }, `lost the RabbitMQ connection; reconnecting every ${waitMs} ms`);
    });
    connection.on('connect-failed', (error: Error) => {
      this.#lastError = errorMessage(error);
      this.#logger.debug({ broker: this.#broker.display, error: errorMessage(error) }, 'connecting to RabbitMQ failed');
    });
    connection.on('connect', () => {
      if (this.#lastError !== undefined) this.#logger.info({ broker: this.#broker.display }, 'reconnected to RabbitMQ');
      this.#lastError = undefined;
    });
    try {
      await connection.waitForConnect();
    } catch (error) {
      await connection.close().catch(() => {});
      throw new Error(`cannot connect to RabbitMQ at ${this.#broker.display}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Runs on every connection before it is used: declare the queue, open the channels. */
  async #setup(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (error: Error) => {
      this.#lastError = errorMessage(error);
    });
    await publisher.assertQueue(this.#options.queueName, this.#queueOptions());
    // A channel RabbitMQ closes on its own (a refused publish, the queue deleted) is renewed
    // with the whole connection, which declares the queue again.
    publisher.on('close', () => this.#renew(model));
    const session: Session = { model, publisher };
    if (this.#handler) await this.#consume(session);
    // Only a complete session is used: when a step above fails, recovery drops this connection.
    this.#session = session;
  }

  #queueOptions(): Options.AssertQueue {
    const { durable = false, deleteWhenUnused = false, exclusive = false, messageTtlMs, maxPriority } = this.#options;
    const args: Record<string, number> = {};
    if (messageTtlMs !== undefined) args['x-message-ttl'] = Math.round(messageTtlMs);
    if (maxPriority !== undefined) args['x-max-priority'] = Math.min(255, maxPriority);
    return { durable, autoDelete: deleteWhenUnused, exclusive, arguments: args };
  }

  /** Starts the consumer of a session once (both `read` and a reconnect may ask for it). */
  #consume(session: Session): Promise<Consumer | undefined> {
    session.consumer ??= (async () => {
      const handler = this.#handler;
      if (!handler || this.#closing) return undefined;
      const channel = await session.model.createChannel();
      channel.on('error', (error: Error) => {
        this.#lastError = errorMessage(error);
      });
      channel.on('close', () => this.#renew(session.model));
      await channel.prefetch(this.#options.prefetchCount ?? 0);
      const { consumerTag } = await channel.consume(
        this.#options.queueName,
        (message) => {
          // null: RabbitMQ cancelled the consumer (the queue was deleted); start over.
          if (message === null) this.#renew(session.model);
          else this.#enqueue(channel, message, handler);
        },
        { noAck: false },
      );
      return { channel, tag: consumerTag };
    })();
    return session.consumer;
  }

  #enqueue(channel: Channel, message: ConsumeMessage, handler: InputBindingHandler): void {
    this.#handling = this.#handling.then(() => this.#deliver(channel, message, handler));
  }

  async #deliver(channel: Channel, message: ConsumeMessage, handler: InputBindingHandler): Promise<void> {
    // Closing: leave it unacknowledged; RabbitMQ requeues it when the channel closes.
    if (this.#closing) return;
    let handled: boolean;
    try {
      await handler({ data: new Uint8Array(message.content), metadata: deliveryMetadata(message) });
      handled = true;
    } catch (error) {
      handled = false;
      this.#logger.debug({ error: errorMessage(error) }, 'the handler rejected a message; it goes back to the queue');
    }
    try {
      if (handled) channel.ack(message);
      else channel.nack(message, false, true);
    } catch (error) {
      // The channel is gone: RabbitMQ already requeued the message and delivers it again.
      this.#logger.debug({ error: errorMessage(error) }, 'could not settle a message on a closed channel; RabbitMQ delivers it again');
    }
  }

  /** Drops a connection whose channels broke, so recovery builds everything again. */
  #renew(model: ChannelModel): void {
    if (this.#closing || this.#session?.model !== model) return;
    this.#session = undefined;
    this.#logger.warn({ broker: this.#broker.display, error: this.#lastError }, 'a RabbitMQ channel closed; reconnecting');
    model.close().catch(() => {});
  }
}
