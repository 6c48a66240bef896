import type { InputBindingEvent, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, type Logger } from '@mecha/core';
import { connect, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import { clientOptions, endConnection, waitConnected, type ConnectionSettings } from './mqtt-connection.ts';
import { PUBACK_DEFERRED, sendPuback } from './puback.ts';

export interface TopicReaderSettings extends ConnectionSettings {
  topic: string;
  clientId: string;
  cleanSession: boolean;
  /** Further attempts within the connection after a rejection; -1: no limit. */
  backOffMaxRetries: number;
  retryDelayMs: number;
  /** How long closing waits for handlers in progress. */
  drainTimeoutMs: number;
  handler: InputBindingHandler;
  logger: Logger;
}

/** A QoS 1 message being handled, by packet id. */
interface Pending {
  /** The connection the broker expects its PUBACK on: a reconnect resends it under the same id. */
  epoch: number;
  /** Handled, but the PUBACK could not be sent yet (the connection was down). */
  handled: boolean;
}

/**
 * The input side: one connection with the client id `<consumerID>-consumer`, subscribed at
 * QoS 1. Messages are handled concurrently (the broker's in-flight window bounds how many);
 * a message's PUBACK is sent only after the handler resolved. A rejected message is handed
 * over again `backOffMaxRetries` times, then given back to the broker by reconnecting, which
 * makes it resend every unacknowledged message (with a persistent session; with
 * `cleanSession` the broker would not, so the message is dropped with an error).
 */
export class TopicReader {
  readonly #settings: TopicReaderSettings;
  readonly #client: MqttClient;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #epoch = 0;
  #closing: Promise<void> | undefined;

  private constructor(settings: TopicReaderSettings) {
    this.#settings = settings;
    this.#logger = settings.logger.child({ topic: settings.topic, clientId: settings.clientId });
    this.#client = connect(clientOptions(settings, settings.clientId, settings.cleanSession));
    // Installed before any packet arrives: a resumed session delivers right after CONNACK.
    this.#client.handleMessage = (packet, callback) => {
      this.#receive(packet);
      callback(packet.qos > 0 ? PUBACK_DEFERRED : undefined);
    };
    this.#client.on('connect', (connack: IConnackPacket) => this.#connected(connack));
    this.#client.on('error', (error) => this.#logger.debug({ error: errorMessage(error) }, 'MQTT connection error'));
    this.#client.on('offline', () => {
      if (!this.#closing) this.#logger.warn(`lost the connection to the MQTT broker at ${settings.address.display}; reconnecting`);
    });
  }

  /** Connects, subscribes, and resolves once the broker confirmed the subscription. */
  static async open(settings: TopicReaderSettings): Promise<TopicReader> {
    const reader = new TopicReader(settings);
    try {
      await waitConnected(reader.#client, `MQTT broker ${settings.address.display}`, settings.connectTimeoutMs, true);
      await reader.#subscribe();
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  async #subscribe(): Promise<void> {
    const { topic, connectTimeoutMs } = this.#settings;
    let timer: NodeJS.Timeout | undefined;
    const granted = await Promise.race([
      this.#client.subscribeAsync(topic, { qos: 1 }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the MQTT broker did not confirm the subscription to ${topic} within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (granted.some((grant) => grant.qos === 128)) throw new Error(`the MQTT broker refused the subscription to ${topic}`);
  }

  #connected(connack: IConnackPacket): void {
    this.#epoch += 1;
    // Without its session the broker resends nothing and may reuse the packet ids: forget them.
    if (!connack.sessionPresent) this.#pending.clear();
    if (this.#epoch === 1) return;
    this.#logger.info('reconnected to the MQTT broker');
    if (connack.sessionPresent) return;
    this.#subscribe().catch((error: unknown) => this.#logger.error(`subscribing again to ${this.#settings.topic} failed: ${errorMessage(error)}`));
  }

  #receive(packet: IPublishPacket): void {
    const event: InputBindingEvent = { data: new Uint8Array(packet.payload as Buffer), metadata: { topic: packet.topic } };
    const id = packet.messageId;
    if (packet.qos === 0 || id === undefined) {
      if (!this.#closing) this.#track(this.#handle(event, undefined, undefined));
      return;
    }
    const known = this.#pending.get(id);
    if (known) {
      // Resent after a reconnect: the handling in progress answers for it on this connection.
      known.epoch = this.#epoch;
      if (known.handled) this.#acknowledge(id, known);
      return;
    }
    // While closing, it stays unacknowledged in the session for the next connection.
    if (this.#closing) return;
    const pending: Pending = { epoch: this.#epoch, handled: false };
    this.#pending.set(id, pending);
    this.#track(this.#handle(event, id, pending));
  }

  #track(running: Promise<void>): void {
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  async #handle(event: InputBindingEvent, id: number | undefined, pending: Pending | undefined): Promise<void> {
    const { backOffMaxRetries, retryDelayMs, handler } = this.#settings;
    for (let attempt = 1; ; attempt++) {
      try {
        await handler({ data: event.data, metadata: { ...event.metadata } });
        if (id !== undefined && pending) {
          pending.handled = true;
          this.#acknowledge(id, pending);
        }
        return;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        if (backOffMaxRetries >= 0 && attempt > backOffMaxRetries) {
          this.#giveBack(event, id, pending, error, attempt);
          return;
        }
        this.#logger.debug({ attempt, error: errorMessage(error) }, `a message from ${event.metadata['topic']} was rejected; handing it over again in ${retryDelayMs} ms`);
        if (!(await sleep(retryDelayMs, this.#abort.signal))) return;
      }
    }
  }

  #acknowledge(id: number, pending: Pending): void {
    // Only on the connection the broker expects it on; otherwise it resends and `#receive` acknowledges then.
    if (this.#pending.get(id) !== pending || pending.epoch !== this.#epoch || !this.#client.connected) return;
    this.#pending.delete(id);
    sendPuback(this.#client, id);
  }

  #giveBack(event: InputBindingEvent, id: number | undefined, pending: Pending | undefined, error: unknown, attempts: number): void {
    const detail = { attempts, error: errorMessage(error) };
    // The entry may already belong to a newer message that reused the id (after a lost session).
    if (id !== undefined && this.#pending.get(id) === pending) this.#pending.delete(id);
    if (id === undefined || this.#settings.cleanSession) {
      this.#logger.error(detail, `dropping a message from ${event.metadata['topic']} after ${attempts} rejections: ${id === undefined ? 'it came with QoS 0' : 'with cleanSession the broker would not resend it'}`);
      return;
    }
    if (!this.#client.connected) return;
    this.#logger.warn(detail, `giving a message from ${event.metadata['topic']} back to the MQTT broker after ${attempts} rejections (reconnecting)`);
    this.#client.stream.destroy();
  }

  /**
   * Stops handing messages over, waits (up to `drainTimeoutMs`) for handlers in progress, and
   * disconnects. The broker keeps the session: what was not acknowledged waits there.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      if (this.#running.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.#running]),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#settings.drainTimeoutMs))),
        ]);
        clearTimeout(timer);
      }
      await endConnection(this.#client, this.#settings.drainTimeoutMs);
    })();
    return this.#closing;
  }

  get connected(): boolean {
    return this.#client.connected;
  }
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
