import { errorMessage, silentLogger } from '@mecha/core';
import type { BrokerMessage, BrokerSubscription, MessageHandler, PubSubBroker, SubscribeRequest } from '@mecha/pubsub';
import { connect, type MqttClient } from 'mqtt';
import { parseBrokerUrl, type BrokerAddress } from './broker-address.ts';
import { publisherClientId } from './client-id.ts';
import { connectionOptions } from './connection-options.ts';
import { ConnectionWatch, endConnection } from './connection-watch.ts';
import { resolveMqtt3Options, type Mqtt3BrokerOptions, type ResolvedMqtt3Options } from './mqtt3-broker-options.ts';
import { Mqtt3Subscription } from './mqtt3-subscription.ts';
import { UnconfirmedPublishes } from './unconfirmed-publishes.ts';

/**
 * `pubsub.mqtt3`: MQTT 3.1.1 through mqtt.js. Publishes go over one connection with a clean
 * session; each subscription has its own connection and persistent session (see
 * `client-id.ts`), joins its consumer group as an MQTT shared subscription, and acknowledges
 * a message only once it was handled. mqtt.js reconnects by itself, the broker resends what
 * was not acknowledged, and a subscription the broker forgot is made again.
 */
export class Mqtt3Broker implements PubSubBroker {
  readonly #address: BrokerAddress;
  readonly #options: ResolvedMqtt3Options;
  readonly #publisher: MqttClient;
  readonly #watch: ConnectionWatch;
  readonly #unconfirmed: UnconfirmedPublishes;
  readonly #subscriptions = new Set<Mqtt3Subscription>();
  readonly #publishing = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  /**
   * After the publishing connection comes back, publishes wait until then: a broker that
   * restarted may have forgotten subscriptions (all of them without persistence, the shared
   * ones in Mosquitto before 2.0.19), and subscribers reconnecting at the same pace need a
   * moment to make them again, or what is published meanwhile reaches nobody.
   */
  #publishableAt = 0;

  private constructor(address: BrokerAddress, options: ResolvedMqtt3Options) {
    this.#address = address;
    this.#options = options;
    const clientId = publisherClientId(options.publisherIdPrefix);
    this.#publisher = connect(connectionOptions(address, options, clientId, true));
    this.#watch = new ConnectionWatch(this.#publisher, `publisher (client id ${clientId})`, options.logger);
    this.#unconfirmed = new UnconfirmedPublishes(this.#publisher, address.display);
    let first = true;
    this.#publisher.on('connect', () => {
      if (!first) this.#publishableAt = Date.now() + options.reconnectGraceMs;
      first = false;
    });
  }

  /** Connects the publishing connection; rejects when the broker cannot be reached or refuses it. */
  static async connect(options: Mqtt3BrokerOptions): Promise<Mqtt3Broker> {
    const resolved = resolveMqtt3Options(options, options.logger ?? silentLogger());
    const broker = new Mqtt3Broker(parseBrokerUrl(options.url), resolved);
    try {
      await broker.#watch.waitConnected(resolved.connectTimeoutMs, true);
    } catch (error) {
      await broker.close();
      throw new Error(`cannot connect to the MQTT broker at ${broker.#address.display}: ${errorMessage(error)}`, { cause: error });
    }
    return broker;
  }

  /**
   * Publishes with the configured QoS and retain flag (`metadata.retain` overrides the
   * latter) and resolves on the broker's acknowledgement. While the connection is down it
   * waits for it up to `publishTimeoutMs`, then fails naming the cause; the acknowledgement
   * may take `publishTimeoutMs` more. When the connection drops before the acknowledgement,
   * it fails rather than let mqtt.js send the message again (see `UnconfirmedPublishes`).
   * MQTT 3.1.1 has no headers: the content type and metadata are not carried (the block's
   * CloudEvent envelope carries what subscribers need).
   */
  async publish(message: BrokerMessage): Promise<void> {
    this.#ensureOpen();
    checkTopicName(message.topic);
    const retain = retainFlag(message.metadata['retain'], this.#options.retain);
    const started = Date.now();
    const deadline = started + this.#options.publishTimeoutMs;
    const publishing = (async () => {
      // Handed to mqtt.js only on a connection that is up and past its grace: the connection
      // may drop during the grace, and mqtt.js would keep a message handed to it meanwhile
      // and send it first thing after the reconnect, ahead of the grace.
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0 && !this.#publisher.connected) {
          throw new Error(`${this.#watch.describeDown()} (waited ${this.#options.publishTimeoutMs} ms)`);
        }
        await this.#watch.waitConnected(Math.max(1, left));
        const grace = Math.min(this.#publishableAt, deadline) - Date.now();
        if (grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
        this.#ensureOpen();
        if (this.#publisher.connected) break;
      }
      await this.#unconfirmed.send(message.topic, Buffer.from(message.data), { qos: this.#options.qos, retain }, this.#options.publishTimeoutMs);
    })();
    this.#publishing.add(publishing);
    try {
      await publishing;
    } finally {
      this.#publishing.delete(publishing);
    }
  }

  /**
   * Joins `request.consumerGroup` on `request.topic` (wildcards `+` and `#` allowed) and
   * resolves once the broker confirmed the subscription. With `unsubscribeOnClose` in the
   * request metadata, closing the subscription also leaves it on the broker.
   */
  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    this.#ensureOpen();
    checkTopicFilter(request.topic);
    if (!request.consumerGroup) throw new Error('a subscription needs a consumer group (consumerID)');
    const subscription: Mqtt3Subscription = await Mqtt3Subscription.open(
      {
        topic: request.topic,
        group: request.consumerGroup,
        unsubscribeOnClose: truthy(request.metadata['unsubscribeOnClose']),
      },
      this.#address,
      handler,
      this.#options,
      (closed) => this.#subscriptions.delete(closed),
    );
    this.#subscriptions.add(subscription);
    if (this.#closing) {
      await subscription.close();
      throw new Error('the MQTT pub/sub component is closed');
    }
    return subscription;
  }

  /** Rejects while the broker is unreachable; otherwise makes one round trip to it. */
  async ping(): Promise<void> {
    this.#ensureOpen();
    if (!this.#watch.connected) {
      throw new Error(`MQTT broker ${this.#address.display} is unreachable: ${this.#watch.describeDown()}`);
    }
    // UNSUBSCRIBE from a filter nobody uses: harmless, and answered only by a live broker.
    const answered = this.#publisher.unsubscribeAsync('$mecha/ping');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        answered,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`MQTT broker ${this.#address.display} did not answer within 5000 ms`)), 5000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every subscription (handlers in progress get `drainTimeoutMs`), then the publisher. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
      if (this.#publishing.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.#publishing]),
          new Promise((resolve) => (timer = setTimeout(resolve, this.#options.drainTimeoutMs))),
        ]);
        clearTimeout(timer);
      }
      await endConnection(this.#publisher, this.#options.drainTimeoutMs);
    })();
    return this.#closing;
  }

  #ensureOpen(): void {
    if (this.#closing) throw new Error('the MQTT pub/sub component is closed');
  }
}

function checkTopicName(topic: string): void {
  if (!topic) throw new Error('the topic name is empty');
  if (topic.includes('+') || topic.includes('#') || topic.includes('\u0000')) throw new Error(`cannot publish to "${topic}": a topic name may not contain +, # or NUL`);
}

function checkTopicFilter(topic: string): void {
  if (!topic) throw new Error('the topic name is empty');
  if (topic.includes('\u0000')) throw new Error('a topic may not contain NUL');
  const levels = topic.split('/');
  levels.forEach((level, index) => {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      throw new Error(`invalid topic filter "${topic}": # must be a whole last level`);
    }
    if (level.includes('+') && level !== '+') {
      throw new Error(`invalid topic filter "${topic}": + must be a whole level`);
    }
  });
}

const truthyWords = ['true', '1', 't', 'yes', 'y', 'on'];

function truthy(value: string | undefined): boolean {
  return value !== undefined && truthyWords.includes(value.trim().toLowerCase());
}

function retainFlag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const text = value.trim().toLowerCase();
  if (truthyWords.includes(text)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(text)) return false;
  throw new Error(`request metadata 'retain' must be true or false (got "${value}")`);
}
