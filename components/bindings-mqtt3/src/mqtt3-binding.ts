import { randomBytes } from 'node:crypto';
import type { Binding, BindingRequest, BindingResponse, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import { connect, type MqttClient } from 'mqtt';
import { parseBrokerUrl, type BrokerAddress } from './broker-url.ts';
import { clientOptions, endConnection, waitConnected, type ConnectionSettings, type TlsFiles } from './mqtt-connection.ts';
import { TopicReader } from './topic-reader.ts';

export interface Mqtt3BindingOptions extends TlsFiles {
  /** `tcp://[user[:password]@]host[:port]`, or a TLS scheme (`ssl`, `tls`, `tcps`, `mqtts`). */
  url: string;
  topic: string;
  consumerID: string;
  retain?: boolean;
  cleanSession?: boolean;
  /** Further attempts after a rejection before giving the message back to the broker; -1: no limit. Default 0. */
  backOffMaxRetries?: number;
  /** Delay between those attempts. Default 5000, as Dapr. */
  retryDelayMs?: number;
  /** Delay before dialling again after losing the connection. Default 1000. */
  reconnectPeriodMs?: number;
  /** How long connecting, subscribing and a publish may take. Default 10000, as Dapr. */
  timeoutMs?: number;
  /** How long closing waits for handlers in progress. Default 5000. */
  drainTimeoutMs?: number;
  logger?: Logger;
}

const empty: BindingResponse = { data: new Uint8Array(0), metadata: {} };

/**
 * `bindings.mqtt3`: an MQTT 3.1.1 topic as an input binding (see TopicReader) and an output
 * binding whose `create` publishes the data at QoS 1 to the component's topic, or to the
 * request's `topic`, and returns once the broker acknowledged it (PUBACK).
 */
export class Mqtt3Binding implements Binding {
  readonly operations = ['create'] as const;
  readonly #options: Mqtt3BindingOptions;
  readonly #address: BrokerAddress;
  readonly #settings: ConnectionSettings;
  readonly #logger: Logger;
  readonly #publisher: MqttClient;
  #reader: TopicReader | undefined;
  #reading = false;
  #closing: Promise<void> | undefined;

  private constructor(options: Mqtt3BindingOptions, address: BrokerAddress) {
    this.#options = options;
    this.#address = address;
    this.#logger = (options.logger ?? silentLogger()).child({ broker: address.display });
    this.#settings = {
      address,
      tls: { ...(options.caCert ? { caCert: options.caCert } : {}), ...(options.clientCert ? { clientCert: options.clientCert } : {}), ...(options.clientKey ? { clientKey: options.clientKey } : {}) },
      reconnectPeriodMs: options.reconnectPeriodMs ?? 1000,
      connectTimeoutMs: options.timeoutMs ?? 10_000,
    };
    // The publisher keeps no session worth resuming, and two instances must never share its id.
    const publisherId = `${options.consumerID}-producer-${randomBytes(4).toString('hex')}`;
    this.#publisher = connect(clientOptions(this.#settings, publisherId, true));
    this.#publisher.on('error', (error) => this.#logger.debug({ error: errorMessage(error) }, 'MQTT publisher connection error'));
  }

  /** Connects the publisher, failing fast (naming the broker) when it cannot. */
  static async connect(options: Mqtt3BindingOptions): Promise<Mqtt3Binding> {
    const address = parseBrokerUrl(options.url);
    if (!options.topic) throw new Error('metadata field "topic" is required');
    if (!options.consumerID) throw new Error('metadata field "consumerID" is required');
    const binding = new Mqtt3Binding(options, address);
    try {
      await waitConnected(binding.#publisher, `MQTT broker ${address.display}`, binding.#settings.connectTimeoutMs, true);
    } catch (error) {
      await binding.close();
      throw error;
    }
    return binding;
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    if (request.operation !== 'create') {
      throw new Error(`bindings.mqtt3 does not support the operation "${request.operation}" (supported: create)`);
    }
    if (this.#closing) throw new Error('the MQTT binding is closed');
    const topic = request.metadata['topic'] || this.#options.topic;
    if (/[+#]/.test(topic)) throw new Error(`cannot publish to "${topic}": a topic to publish to has no wildcards (+, #); set the request metadata "topic"`);
    const retain = retainFlag(request.metadata['retain'], this.#options.retain ?? false);
    const timeoutMs = this.#settings.connectTimeoutMs;
    await waitConnected(this.#publisher, `MQTT broker ${this.#address.display}`, timeoutMs, false);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the MQTT broker did not acknowledge the message within ${timeoutMs} ms (it may still be delivered)`)), timeoutMs);
        this.#publisher.publish(topic, Buffer.from(request.data), { qos: 1, retain }, (error) => {
          if (error) reject(new Error(`publishing to ${topic} failed: ${errorMessage(error)}`, { cause: error }));
          else resolve();
        });
      });
    } finally {
      clearTimeout(timer);
    }
    return empty;
  }

  /** Subscribes to the component's topic; resolves once the broker confirmed the subscription. */
  async read(handler: InputBindingHandler): Promise<void> {
    if (this.#closing) throw new Error('the MQTT binding is closed');
    if (this.#reading) throw new Error('the MQTT binding is already being read');
    this.#reading = true;
    const options = this.#options;
    try {
      this.#reader = await TopicReader.open({
        ...this.#settings,
        topic: options.topic,
        clientId: `${options.consumerID}-consumer`,
        cleanSession: options.cleanSession ?? false,
        backOffMaxRetries: options.backOffMaxRetries ?? 0,
        retryDelayMs: options.retryDelayMs ?? 5000,
        drainTimeoutMs: options.drainTimeoutMs ?? 5000,
        handler,
        logger: this.#logger,
      });
    } catch (error) {
      this.#reading = false;
      throw error;
    }
    if (this.#closing) await this.#reader.close();
  }

  /** Whether the input side is connected to the broker (for tests and diagnostics). */
  get readerConnected(): boolean {
    return this.#reader?.connected ?? false;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const drainMs = this.#options.drainTimeoutMs ?? 5000;
      await Promise.all([this.#reader?.close(), endConnection(this.#publisher, drainMs)]);
    })();
    return this.#closing;
  }
}

/** The request's `retain` ("true"/"false"), else the component's. */
function retainFlag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new Error(`metadata retain must be true or false (got ${JSON.stringify(value)})`);
}
