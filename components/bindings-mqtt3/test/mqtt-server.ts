import { connectAsync, type MqttClient } from 'mqtt';

/** The Mosquitto the suites use (`MECHA_TEST_MQTT`, default tcp://127.0.0.1:1883). */
export const mqttUrl = process.env['MECHA_TEST_MQTT'] || 'tcp://127.0.0.1:1883';

/** A plain client to look behind the binding; fails naming the server when it is down. */
export async function rawMqtt(): Promise<MqttClient> {
  try {
    return await connectAsync(mqttUrl, { protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
  } catch (error) {
    throw new Error(`no MQTT broker at ${mqttUrl} (${(error as Error).message}): start it with bash tooling/services/up.sh mosquitto`);
  }
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Ends the persistent sessions of these client ids (a clean connection under each id discards it). */
export async function discardSessions(clientIds: readonly string[]): Promise<void> {
  for (const clientId of clientIds) {
    const client = await connectAsync(mqttUrl, { protocolVersion: 4, clean: true, clientId, reconnectPeriod: 0 }).catch(() => undefined);
    await client?.endAsync().catch(() => {});
  }
}
