import { createConnection } from 'node:net';
import { connect, type MqttClient } from 'mqtt';

/** The broker the suites use: MECHA_TEST_MQTT, or the one `tooling/services/up.sh mosquitto` starts. */
export const MQTT_URL = process.env['MECHA_TEST_MQTT'] ?? 'mqtt://127.0.0.1:1883';
/** A private broker the restart test may stop (`up.sh mosquitto-failure`). */
export const MQTT_FAILURE_URL = process.env['MECHA_TEST_MQTT_FAILURE'] ?? 'mqtt://127.0.0.1:1884';

export function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 1883) };
}

/** Fails (never skips) with the command that starts the server when nothing answers. */
export async function requireBroker(url: string, service: string): Promise<void> {
  const { host, port } = hostPort(url);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (!reachable) {
    throw new Error(`no MQTT broker (Mosquitto) at ${url}: start it with \`bash tooling/services/up.sh ${service}\``);
  }
}

/** A plain mqtt.js client for the test's own publishing and checks. */
export async function rawClient(url: string, options: { clientId?: string; clean?: boolean } = {}): Promise<MqttClient> {
  const client = connect(url, { protocolVersion: 4, reconnectPeriod: 0, clean: options.clean ?? true, ...(options.clientId ? { clientId: options.clientId } : {}) });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Forgets the broker session of `clientId` (a clean connection discards it), so test runs leave nothing behind. */
export async function discardSession(url: string, clientId: string): Promise<void> {
  const client = await rawClient(url, { clientId, clean: true });
  await client.endAsync();
}

/** Mosquitto's version from its retained `$SYS/broker/version`, or undefined for another broker. */
export async function mosquittoVersion(url: string): Promise<[number, number, number] | undefined> {
  const client = await rawClient(url);
  try {
    const answer = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())));
    await client.subscribeAsync('$SYS/broker/version', { qos: 0 });
    const text = await Promise.race([answer, new Promise<string>((resolve) => setTimeout(() => resolve(''), 2000))]);
    const match = /mosquitto version (\d+)\.(\d+)\.(\d+)/.exec(text);
    return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
  } finally {
    await client.endAsync();
  }
}
