import { errorMessage, type Logger } from '@mecha/core';
import type { BrokerMessage, BrokerSubscription, MessageHandler } from '@mecha/pubsub';
import { connect, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { BrokerAddress } from './broker-address.ts';
import { subscriberClientId } from './client-id.ts';
import { connectionOptions } from './connection-options.ts';
import { ConnectionWatch, endConnection } from './connection-watch.ts';
import type { ResolvedMqtt3Options } from './mqtt3-broker-options.ts';
import { ACK_DEFERRED, writePuback } from './puback.ts';
import { claimSessionSlot, type SessionSlot } from './session-slot.ts';

export interface SubscriptionTarget {
  /** The topic (filter) as the app named it. */
  topic: string;
  group: string;
  /** Leave the subscription on close (Dapr's `unsubscribeOnClose` subscription metadata). */
  unsubscribeOnClose?: boolean;
}

/** A QoS 1 message being handled, by its packet id. */
interface Pending {
  /** The connection the broker expects the PUBACK on (a reconnect resends it under the same id). */
  epoch: number;
  /** Handled, but the PUBACK could not be sent yet (the connection was down). */
  handled: boolean;
}

/**
 * One subscription on its own MQTT connection and persistent session. Messages are handled
 * concurrently (the broker's in-flight window bounds how many), and each QoS 1 message is
 * acknowledged only once the handler resolved. A rejected message is handed to the handler
 * again after a growing delay, its PUBACK withheld, so the broker still holds it should this
 * process die; after `backOffMaxRetries` retries the connection is recycled, which makes the
 * broker resend every unacknowledged message.
 */
export class Mqtt3Subscription implements BrokerSubscription {
  readonly filter: string;
  readonly clientId: string;
  readonly #client: MqttClient;
  readonly #watch: ConnectionWatch;
  readonly #slot: SessionSlot;
  readonly #handler: MessageHandler;
  readonly #options: ResolvedMqtt3Options;
  readonly #logger: Logger;
  readonly #qos: 0 | 1;
  readonly #pending = new Map<number, Pending>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #epoch = 0;
  /** The broker confirmed the subscription on the current connection. */
  #subscribed = false;
  #closing: Promise<void> | undefined;
  readonly #onClosed: (subscription: Mqtt3Subscription) => void;
  readonly #unsubscribeOnClose: boolean;

  private constructor(
    filter: string,
    slot: SessionSlot,
    address: BrokerAddress,
    handler: MessageHandler,
    options: ResolvedMqtt3Options,
    unsubscribeOnClose: boolean,
    onClosed: (subscription: Mqtt3Subscription) => void,
  ) {
    this.filter = filter;
    this.clientId = slot.clientId;
    this.#slot = slot;
    this.#handler = handler;
    this.#options = options;
    this.#onClosed = onClosed;
    // Slot 0 keeps its subscription, so a group whose subscribers all left still collects
    // messages for the next one. Other slots leave, so scaling a group down does not strand
    // new messages in a session nobody resumes.
    this.#unsubscribeOnClose = unsubscribeOnClose || slot.slot > 0;
    this.#qos = options.qos === 0 ? 0 : 1;
    this.#logger = options.logger.child({ subscription: filter, clientId: slot.clientId });
    this.#client = connect(connectionOptions(address, options, slot.clientId, options.cleanSession));
    // Installed before any packet can arrive: a resumed session delivers right after CONNACK.
    this.#client.handleMessage = (packet, callback) => {
      this.#receive(packet);
      callback(packet.qos > 0 ? ACK_DEFERRED : undefined);
    };
    this.#client.on('connect', (connack: IConnackPacket) => this.#connected(connack));
    this.#watch = new ConnectionWatch(this.#client, `subscription ${filter} (client id ${slot.clientId})`, this.#logger);
  }

  /** Connects, subscribes, and resolves after the SUBACK. */
  static async open(
    target: SubscriptionTarget,
    address: BrokerAddress,
    handler: MessageHandler,
    options: ResolvedMqtt3Options,
    onClosed: (subscription: Mqtt3Subscription) => void,
  ): Promise<Mqtt3Subscription> {
    const filter = subscriptionFilter(target, options.sharedSubscriptions);
    const slot = await claimSessionSlot(`${address.host}:${address.port}`, (n) =>
      subscriberClientId(target.group, options.instanceName, filter, n),
    );
    const subscription = new Mqtt3Subscription(filter, slot, address, handler, options, target.unsubscribeOnClose ?? false, onClosed);
    try {
      await subscription.#watch.waitConnected(options.connectTimeoutMs, true);
      await subscription.#subscribe();
      subscription.#subscribed = true;
    } catch (error) {
      await subscription.close();
      throw error;
    }
    subscription.#logger.debug(`subscribed to ${filter} at QoS ${subscription.#qos}`);
    return subscription;
  }

  async #subscribe(): Promise<void> {
    const granted = await withTimeout(
      this.#client.subscribeAsync(this.filter, { qos: this.#qos }),
      this.#options.connectTimeoutMs,
      `the MQTT broker did not confirm the subscription to ${this.filter}`,
    );
    const refused = granted.find((grant) => grant.qos === 128);
    if (refused) {
      throw new Error(
        `the MQTT broker refused the subscription to ${this.filter}${this.filter.startsWith('$share/') ? ' (if it does not support shared subscriptions, set sharedSubscriptions to false)' : ''}`,
      );
    }
  }

  #connected(connack: IConnackPacket): void {
    this.#epoch += 1;
    this.#subscribed = false;
    // Without its session the broker will not resend what we had not acknowledged, and may
    // reuse those packet ids for new messages: forget them (their handlers still run, so a
    // message in progress is not abandoned, but it can no longer be acknowledged).
    if (!connack.sessionPresent) this.#pending.clear();
    // The first connection subscribes in `open`. After a reconnect, subscribe again when the
    // broker lost the session, and also for a shared subscription: Mosquitto before 2.0.19
    // restores a session from its persistence file without its shared subscriptions.
    if (this.#epoch === 1) return;
    if (connack.sessionPresent && !this.filter.startsWith('$share/')) {
      this.#subscribed = true;
      return;
    }
    const epoch = this.#epoch;
    this.#subscribe().then(
      () => {
        if (epoch === this.#epoch) this.#subscribed = true;
        this.#logger.info(`subscribed again to ${this.filter} after reconnecting`);
      },
      (error: unknown) => this.#logger.error(`subscribing again to ${this.filter} after reconnecting failed: ${errorMessage(error)}`),
    );
  }

  #receive(packet: IPublishPacket): void {
    const message: BrokerMessage = {
      topic: packet.topic,
      data: new Uint8Array(packet.payload as Buffer),
      metadata: { retained: String(packet.retain) },
    };
    if (packet.qos === 0 || packet.messageId === undefined) {
      if (!this.#closing) this.#track(this.#handle(message, undefined, undefined));
      return;
    }
    const id = packet.messageId;
    const known = this.#pending.get(id);
    if (known) {
      // The broker resent a message after a reconnect: the handling in progress answers for
      // it on this connection, or it is already handled and only needed its PUBACK.
      known.epoch = this.#epoch;
      if (known.handled) this.#acknowledge(id, known);
      return;
    }
    // While closing, a message stays unacknowledged: the session keeps it for the next connection.
    if (this.#closing) return;
    const pending: Pending = { epoch: this.#epoch, handled: false };
    this.#pending.set(id, pending);
    this.#track(this.#handle(message, id, pending));
  }

  #track(running: Promise<void>): void {
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  async #handle(message: BrokerMessage, id: number | undefined, pending: Pending | undefined): Promise<void> {
    for (let retry = 0; ; retry++) {
      try {
        await this.#handler({ ...message, metadata: { ...message.metadata } });
        if (id !== undefined && pending) {
          pending.handled = true;
          this.#acknowledge(id, pending);
        }
        return;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        if (this.#options.backOffMaxRetries >= 0 && retry >= this.#options.backOffMaxRetries) {
          this.#giveBack(message, id, pending, error, retry + 1);
          return;
        }
        const delay = Math.min(this.#options.maxRetryDelayMs, this.#options.retryDelayMs * 2 ** Math.min(retry, 30));
        // A message that keeps failing is retried every few seconds: warn now and then, not each time.
        const level = retry % 10 === 0 ? 'warn' : 'debug';
        this.#logger[level](
          { topic: message.topic, attempt: retry + 1, error: errorMessage(error) },
          `handling a message from ${message.topic} failed (attempt ${retry + 1}); handing it over again in ${delay} ms`,
        );
        if (!(await sleep(delay, this.#abort.signal))) return;
      }
    }
  }

  #acknowledge(id: number, pending: Pending): void {
    // Only on the connection the broker expects it on; otherwise the broker resends the
    // message after reconnecting and `#receive` acknowledges it then.
    if (this.#pending.get(id) !== pending || pending.epoch !== this.#epoch || !this.#client.connected) return;
    this.#pending.delete(id);
    writePuback(this.#client, id);
  }

  /** After the last retry: the broker resends an unacknowledged message only on a new connection. */
  #giveBack(message: BrokerMessage, id: number | undefined, pending: Pending | undefined, error: unknown, attempts: number): void {
    const detail = { topic: message.topic, attempts, error: errorMessage(error) };
    if (id === undefined || this.#options.cleanSession) {
      this.#logger.error(
        detail,
        `dropping a message from ${message.topic} after ${attempts} failed attempts: ${id === undefined ? 'it came with QoS 0' : 'with cleanSession the broker would not resend it'}`,
      );
      if (id !== undefined && this.#pending.get(id) === pending) this.#pending.delete(id);
      return;
    }
    if (this.#pending.get(id) === pending) this.#pending.delete(id);
    if (!this.#client.connected) return;
    this.#logger.warn(detail, `giving a message from ${message.topic} back to the MQTT broker after ${attempts} failed attempts (reconnecting)`);
    this.#client.stream.destroy();
  }

  /**
   * Stops taking messages, waits (up to `drainTimeoutMs`) for handlers in progress, and
   * disconnects. The session stays: what was not acknowledged, and what is published from
   * now on, waits there for the next subscriber that takes this client id.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Pending retries stop now; a handler still running gets the drain time to finish.
      this.#abort.abort();
      if (this.#running.size > 0) {
        await withTimeout(Promise.allSettled([...this.#running]), this.#options.drainTimeoutMs, '').catch(() => {
          this.#logger.warn(
            `closing subscription ${this.filter}: ${this.#running.size} handler(s) still running after ${this.#options.drainTimeoutMs} ms; their messages stay unacknowledged and will be delivered again`,
          );
        });
      }
      if (this.#unsubscribeOnClose && this.#client.connected) {
        await withTimeout(this.#client.unsubscribeAsync(this.filter), this.#options.drainTimeoutMs, '').catch(() => {});
      }
      await endConnection(this.#client, this.#options.drainTimeoutMs);
      await this.#slot.release();
      this.#onClosed(this);
    })();
    return this.#closing;
  }

  /** Whether the connection is up (for tests and diagnostics). */
  get connected(): boolean {
    return this.#watch.connected;
  }

  /** Whether the broker confirmed the subscription on the current connection. */
  get subscribed(): boolean {
    return this.#watch.connected && this.#subscribed;
  }
}

/** `$share/<group>/<topic>` unless shared subscriptions are off or the app wrote its own. */
export function subscriptionFilter(target: SubscriptionTarget, shared: boolean): string {
  if (!shared || target.topic.startsWith('$share/')) return target.topic;
  // A share name cannot hold the filter's separator or wildcards.
  return `$share/${target.group.replace(/[/+#]/g, '_')}/${target.topic}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
