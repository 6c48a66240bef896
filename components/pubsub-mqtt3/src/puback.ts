import type { MqttClient } from 'mqtt';

/**
 * mqtt.js acknowledges a QoS 1 message as soon as `handleMessage` calls back, and for MQTT
 * 3.1.1 it has no other hook (`customHandleAcks` is MQTT 5 only). Holding that callback
 * until the app has handled the message would stall every packet behind it (PINGRESP
 * included), one message at a time. So `handleMessage` calls back with this marker, which
 * makes mqtt.js skip its PUBACK and go on to the next packet, and the component writes the
 * PUBACK itself once the handler resolved.
 */
export const ACK_DEFERRED = new Error('the PUBACK is sent by the component once the message is handled');

/** Writes an MQTT 3.1.1 PUBACK (fixed header 0x40, remaining length 2, packet id). */
export function writePuback(client: MqttClient, messageId: number): void {
  client.stream.write(Buffer.from([0x40, 0x02, (messageId >> 8) & 0xff, messageId & 0xff]));
}
