import { errorMessage } from '@mecha/core';
import type { IClientPublishOptions, MqttClient } from 'mqtt';

/**
 * The publishing connection's messages that the broker has not acknowledged yet.
 *
 * When a connection drops, mqtt.js keeps such messages in its outgoing store, sends them
 * again first thing after reconnecting, and reports success on the new PUBACK. After a broker
 * restart that PUBACK proves little: a broker that lost subscriptions (every one without
 * persistence; the shared ones in Mosquitto before 2.0.19) accepts the message and routes it
 * to nobody until the subscribers have subscribed again. So a lost connection fails every
 * unacknowledged publish instead, and takes its packet out of mqtt.js's store so it is not
 * sent again behind the caller's back. The caller gets an error, and publishes again through
 * the same wait after a reconnect as any new message.
 */
export class UnconfirmedPublishes {
  readonly #client: MqttClient;
  readonly #brokerName: string;
  readonly #failers = new Set<(error: Error) => void>();

  constructor(client: MqttClient, brokerName: string) {
    this.#client = client;
    this.#brokerName = brokerName;
    client.on('close', () => this.#connectionLost());
  }

  /**
   * Publishes on the current connection and resolves on the broker's acknowledgement (at
   * once for QoS 0). Rejects when mqtt.js reports an error, after `timeoutMs`, or when the
   * connection drops first.
   */
  send(topic: string, payload: Buffer, options: IClientPublishOptions, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#failers.delete(settle);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new Error(`the MQTT broker at ${this.#brokerName} did not acknowledge the message within ${timeoutMs} ms (it may still be delivered)`)),
        timeoutMs,
      );
      this.#failers.add(settle);
      this.#client.publish(topic, payload, options, (error) => {
        settle(error ? new Error(`publishing to ${topic} failed: ${errorMessage(error)}`, { cause: error }) : undefined);
      });
    });
  }

  #connectionLost(): void {
    const lost = new Error(
      `the connection to the MQTT broker at ${this.#brokerName} was lost before it acknowledged the message; it may or may not have been delivered, publish it again`,
    );
    for (const fail of [...this.#failers]) fail(lost);
    // Also the packets whose publish already timed out: none is to be sent again unasked.
    // The publishing connection sends nothing else that mqtt.js stores (QoS 0 is not stored).
    for (const [id, entry] of Object.entries(this.#client.outgoing)) {
      if (entry.cmd === 'publish') this.#client.removeOutgoingMessage(Number(id));
    }
  }
}
