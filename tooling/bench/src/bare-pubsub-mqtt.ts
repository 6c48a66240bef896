import type { BarePubSub, BarePubSubOptions } from './bare-pubsub.ts';
import { componentClientLibrary } from './component-client-library.ts';
import type { BrokerServer } from './pubsub-brokers.ts';

/** The part of mqtt.js the baseline uses (loaded from pubsub.mqtt3's folder, untyped here). */
interface PublishPacket {
  payload: Buffer | string;
}
interface MqttClient {
  handleMessage(packet: PublishPacket, callback: (error?: Error) => void): void;
  publish(topic: string, payload: string, options: { qos: 0 | 1 | 2; retain: boolean }, callback: (error?: Error) => void): unknown;
  subscribeAsync(filter: string, options: { qos: 0 | 1 | 2 }): Promise<{ qos: number }[]>;
  once(event: 'connect', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  endAsync(force?: boolean): Promise<void>;
}
interface MqttJs {
  connect(options: Record<string, unknown>): MqttClient;
}

function open(server: BrokerServer, clientId: string, clean: boolean): { client: MqttClient; connected: Promise<void> } {
  const mqtt = componentClientLibrary('pubsub-mqtt3', 'mqtt') as MqttJs;
  const client = mqtt.connect({
    protocol: 'mqtt',
    host: server.host,
    port: server.port,
    protocolVersion: 4,
    clientId,
    clean,
    keepalive: 30,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    resubscribe: true,
  });
  const connected = new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('error', () => undefined);
  return { client, connected };
}

/** The bare subscriber's client id: its persistent session on the broker. */
function subscriberId(group: string): string {
  return `${group}-bare-sub`;
}

/**
 * mqtt.js as pubsub.mqtt3 uses it by default (MQTT 3.1.1): a publishing connection with a
 * clean session, each message published at QoS 1 and resolved at its PUBACK; a subscribing
 * connection with a persistent session, subscribed at QoS 1 to the shared subscription
 * `$share/<group>/<topic>`, whose PUBACK mqtt.js sends once the handler returned (the
 * handler runs inside `handleMessage`). The broker's in-flight window (Mosquitto: 20
 * unacknowledged messages per client) bounds both, as for the component.
 */
export async function openBareMqtt(options: BarePubSubOptions): Promise<BarePubSub> {
  const { server, topic, group, onMessage } = options;
  const subscriber = open(server, subscriberId(group), false);
  // Installed before CONNACK: a resumed session delivers straight after it.
  subscriber.client.handleMessage = (packet, callback) => {
    onMessage(typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
    callback();
  };
  const publisher = open(server, `bench-bare-pub-${process.pid}-${Date.now().toString(36)}`, true);
  await Promise.all([subscriber.connected, publisher.connected]);
  const granted = await subscriber.client.subscribeAsync(`$share/${group}/${topic}`, { qos: 1 });
  if (granted.some((grant) => grant.qos === 128)) throw new Error(`the MQTT broker refused the shared subscription $share/${group}/${topic}`);
  return {
    publish(body) {
      return new Promise<void>((resolve, reject) => {
        publisher.client.publish(topic, body, { qos: 1, retain: false }, (error) => (error ? reject(error) : resolve()));
      });
    },
    async close() {
      await Promise.allSettled([subscriber.client.endAsync(), publisher.client.endAsync()]);
    },
  };
}

/**
 * Ends the bare subscriber's persistent session (a clean connection under its id). mechad's
 * session, named by the component, stays on the broker; it is one per run and holds nothing
 * once the run is over.
 */
export async function removeObjects(server: BrokerServer, _topics: readonly string[], groups: readonly string[]): Promise<void> {
  for (const group of groups) {
    const { client, connected } = open(server, subscriberId(group), true);
    await connected.catch(() => undefined);
    await client.endAsync(true).catch(() => undefined);
  }
}
