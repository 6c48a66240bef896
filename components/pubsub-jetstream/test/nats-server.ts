import { connect as connectTcp } from 'node:net';

/** The JetStream server the tests use (tooling/services starts it). */
export const NATS_URL = process.env.MECHA_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** Resolves when something accepts TCP connections at `url`; rejects naming the service to start. */
export async function requireServer(url: string, service: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connectTcp({ host: hostname, port: Number(port) || 4222 });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
  if (!reachable) {
    throw new Error(
      `NATS with JetStream is not reachable at ${url}; start it with \`bash tooling/services/up.sh ${service}\``,
    );
  }
}
