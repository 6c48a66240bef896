import type { MqttClient } from 'mqtt';

/**
 * mqtt.js sends a QoS 1 PUBACK as soon as `handleMessage` calls back, and with MQTT 3.1.1 it
 * offers no other hook. Holding that callback until the app handled the message would stall
 * every packet behind it, PINGRESP included. So `handleMessage` calls back with this marker,
 * which makes mqtt.js skip its PUBACK and read on, and the component writes the PUBACK itself
 * once the handler resolved.
 */
export const PUBACK_DEFERRED = new Error('the component sends this PUBACK once the message is handled');

/** Writes an MQTT 3.1.1 PUBACK: fixed header 0x40, remaining length 2, the packet id. */
export function sendPuback(client: MqttClient, messageId: number): void {
  client.stream.write(Buffer.from([0x40, 0x02, (messageId >> 8) & 0xff, messageId & 0xff]));
}
