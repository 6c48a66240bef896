import { readFileSync } from 'node:fs';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type {
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  PubSubBroker,
  SubscribeRequest,
} from '@mecha/pubsub';
import {
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JetStreamPublishOptions,
} from '@nats-io/jetstream';
import {
  connect,
  headers,
  jwtAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import type { JetStreamBrokerOptions } from './broker-options.ts';
import { DurableSubscription } from './durable-subscription.ts';
import { isNoResponders } from './jetstream-errors.ts';
import { consumerNameFor } from './jetstream-names.ts';
import { StreamCatalog } from './stream-catalog.ts';

const CLOUDEVENT_MEDIA_TYPE = 'application/cloudevents+json';
const PUBLISH_FORBIDDEN = /[\s*>]/;

/**
 * `pubsub.jetstream`: topics are subjects stored in JetStream streams; each consumer group
 * is a durable pull consumer per topic. Publishing waits for the stream's acknowledgement.
 * The NATS client reconnects by itself (without a limit on attempts), and subscriptions
 * pull again, re-creating a consumer or stream the server lost.
 */
export class JetStreamBroker implements PubSubBroker {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #catalog: StreamCatalog;
  readonly #options: JetStreamBrokerOptions;
  readonly #logger: Logger;
  readonly #subscriptions = new Set<DurableSubscription>();
  readonly #servers: string;
  #connected = true;
  #closing: Promise<void> | undefined;

  private constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    options: JetStreamBrokerOptions,
    logger: Logger,
  ) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jsm.jetstream();
    this.#options = options;
    this.#logger = logger;
    this.#servers = options.servers.join(',');
    this.#catalog = new StreamCatalog(jsm, {
      ...(options.streamName ? { streamName: options.streamName } : {}),
      memoryStorage: options.consumer?.memoryStorage ?? false,
      ...(options.consumer?.replicas !== undefined ? { replicas: options.consumer.replicas } : {}),
      logger,
    });
    void this.#watchConnection();
  }

  /** Connects and checks that JetStream answers; fails (naming the server) when either does not. */
  static async connect(options: JetStreamBrokerOptions): Promise<JetStreamBroker> {
    const logger = options.logger ?? silentLogger();
    const servers = options.servers.join(',');
    let nc: NatsConnection;
    try {
      nc = await connect(connectionOptions(options));
    } catch (error) {
      throw new Error(`pubsub.jetstream: cannot connect to NATS at ${servers}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    try {
      const jsm = await jetstreamManager(nc, {
        timeout: options.requestTimeoutMs ?? 5000,
        ...(options.domain ? { domain: options.domain } : {}),
        ...(options.apiPrefix ? { apiPrefix: options.apiPrefix } : {}),
      });
      return new JetStreamBroker(nc, jsm, options, logger);
    } catch (error) {
      await nc.close().catch(() => {});
      throw new Error(`pubsub.jetstream: JetStream is not available at ${servers}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  async publish(message: BrokerMessage): Promise<void> {
    this.#ensureOpen();
    await this.#publish(message);
  }

  /**
   * Sends every message without waiting for the previous acknowledgement, then waits for
   * all of them; each message that the stream did not acknowledge is reported on its own.
   */
  async bulkPublish(messages: BrokerMessage[]): Promise<BulkPublishFailure[]> {
    this.#ensureOpen();
    const results = await Promise.allSettled(messages.map((message) => this.#publish(message)));
    const failures: BulkPublishFailure[] = [];
    results.forEach((result, index) => {
      if (result.status === 'rejected') failures.push({ index, error: errorMessage(result.reason) });
    });
    return failures;
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    this.#ensureOpen();
    const { durableName } = this.#options;
    const concurrency = this.#options.concurrency ?? 'single';
    const subscription = new DurableSubscription({
      js: this.#js,
      jsm: this.#jsm,
      catalog: this.#catalog,
      topic: request.topic,
      consumerName: durableName || consumerNameFor(request.consumerGroup, request.topic),
      ...(durableName ? { consumerNameSource: 'durableName' } : {}),
      settings: this.#options.consumer ?? {},
      handler,
      concurrency,
      ...(request.bulk ? { bulk: request.bulk } : {}),
      // Room for a whole batch of a bulk subscription, or it could never fill.
      prefetch: Math.max(this.#options.prefetch ?? (concurrency === 'single' ? 20 : 100), request.bulk?.maxMessages ?? 0),
      ...(this.#options.heartbeatMs ? { heartbeatMs: this.#options.heartbeatMs } : {}),
      redeliveryDelayMs: this.#options.redeliveryDelayMs ?? 1000,
      closeTimeoutMs: this.#options.closeTimeoutMs ?? 5000,
      connectionClosed: () => this.#nc.isClosed(),
      logger: this.#logger,
    });
    await subscription.open();
    if (this.#closing) {
      // The broker closed while the consumer was being set up.
      await subscription.close();
      this.#ensureOpen();
    }
    this.#subscriptions.add(subscription);
    return {
      close: async () => {
        // Known to the broker until closed: closing the broker meanwhile must wait for its
        // handlers, since their acks and naks need the connection the broker then drains.
        try {
          await subscription.close();
        } finally {
          this.#subscriptions.delete(subscription);
        }
      },
    };
  }

  /** Rejects while the connection is down or JetStream does not answer within `pingTimeoutMs`. */
  async ping(): Promise<void> {
    if (this.#closing || this.#nc.isClosed()) throw new Error('pubsub.jetstream: the connection is closed');
    if (!this.#connected) {
      throw new Error(`pubsub.jetstream: not connected to NATS at ${this.#servers} (reconnecting)`);
    }
    const timeoutMs = this.#options.pingTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#jsm.getAccountInfo(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      throw new Error(`pubsub.jetstream: JetStream at ${this.#servers} is not answering: ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every subscription (handlers in progress finish, within a bound), then the connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
      this.#subscriptions.clear();
      // Drain flushes the acknowledgements still buffered; a connection that is down cannot.
      const drained = this.#connected
        ? await Promise.race([
            this.#nc.drain().then(
              () => true,
              () => false,
            ),
            new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
          ])
        : false;
      if (!drained) await this.#nc.close().catch(() => {});
    })();
    return this.#closing;
  }

  #ensureOpen(): void {
    if (this.#closing) throw new Error('pubsub.jetstream: the component is closed');
  }

  /** Publishes one message; when no stream captures its topic yet, creates one and tries again. */
  async #publish(message: BrokerMessage): Promise<void> {
    if (message.topic === '' || PUBLISH_FORBIDDEN.test(message.topic)) {
      throw new Error(
        `pubsub.jetstream: cannot publish to topic '${message.topic}': a NATS subject has no whitespace or wildcards`,
      );
    }
    const options = publishOptions(message, this.#options.requestTimeoutMs ?? 5000);
    try {
      await this.#js.publish(message.topic, message.data, options);
    } catch (error) {
      if (!isNoResponders(error)) throw describePublishError(message.topic, error);
      // What was known about the topic's stream is stale: it is gone, or never existed.
      this.#catalog.forget(message.topic);
      try {
        await this.#catalog.streamFor(message.topic);
      } catch (streamError) {
        throw describePublishError(message.topic, streamError);
      }
      try {
        await this.#js.publish(message.topic, message.data, options);
      } catch (retryError) {
        throw describePublishError(message.topic, retryError);
      }
    }
  }

  async #watchConnection(): Promise<void> {
    try {
      await this.#followStatus();
    } catch (error) {
      this.#logger.debug({ error: errorMessage(error) }, 'stopped following the NATS connection status');
    }
  }

  async #followStatus(): Promise<void> {
    for await (const status of this.#nc.status()) {
      switch (status.type) {
        case 'disconnect':
          this.#connected = false;
          this.#logger.warn({ server: status.server }, `disconnected from NATS at ${status.server}; reconnecting`);
          break;
        case 'reconnect':
          this.#connected = true;
          this.#logger.info({ server: status.server }, `reconnected to NATS at ${status.server}`);
          for (const subscription of this.#subscriptions) subscription.reconnected();
          break;
        case 'error':
          this.#logger.warn({ error: errorMessage(status.error) }, 'NATS connection error');
          break;
        default:
          break;
      }
    }
  }
}

function connectionOptions(options: JetStreamBrokerOptions): NodeConnectionOptions {
  const result: NodeConnectionOptions = {
    servers: options.servers,
    name: options.connectionName ?? 'dapr.io - pubsub.jetstream',
    // Never give up: the subscriptions must come back whenever the server does.
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectWaitMs ?? 1000,
    waitOnFirstConnect: false,
    timeout: options.requestTimeoutMs ?? 5000,
    pingInterval: 10_000,
    maxPingOut: 2,
    // Otherwise the client builds two Error objects (stack traces included) for every request
    // (each publish) just in case it fails: about a tenth of the component's CPU per message.
    // Failures still say what failed; this component names the operation in its own errors.
    noAsyncTraces: true,
  };
  if (options.jwt && options.seedKey) {
    result.authenticator = jwtAuthenticator(options.jwt, new TextEncoder().encode(options.seedKey));
  } else if (options.token) {
    result.token = options.token;
  }
  if (options.tlsClientCert && options.tlsClientKey) {
    result.tls = { cert: pemText(options.tlsClientCert), key: pemText(options.tlsClientKey) };
  }
  return result;
}

/** Dapr reads these as file paths; PEM text given inline is accepted too. */
function pemText(value: string): string {
  return value.trimStart().startsWith('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

function publishOptions(message: BrokerMessage, timeout: number): Partial<JetStreamPublishOptions> {
  const options: Partial<JetStreamPublishOptions> = { timeout };
  if (message.contentType) {
    const h = headers();
    h.set('Content-Type', message.contentType);
    options.headers = h;
  }
  const id = cloudEventId(message);
  // The stream drops a second message with the same id within its duplicate window. The
  // topic is part of the id so a dead letter (same event, other topic) is never dropped.
  if (id !== undefined) options.msgID = `${message.topic}:${id}`;
  return options;
}

function cloudEventId(message: BrokerMessage): string | undefined {
  const mediaType = (message.contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== CLOUDEVENT_MEDIA_TYPE) return undefined;
  try {
    const id = (JSON.parse(new TextDecoder().decode(message.data)) as { id?: unknown }).id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

function describePublishError(topic: string, error: unknown): Error {
  const reason = isNoResponders(error)
    ? 'no stream captures the topic, or JetStream is not running'
    : errorMessage(error);
  return new Error(`pubsub.jetstream: publishing to '${topic}' failed: ${reason}`, { cause: error });
}

