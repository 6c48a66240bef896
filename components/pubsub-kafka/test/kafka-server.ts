import { Socket } from 'node:net';

/** The shared broker every suite may use, and the private one the restart test stops and starts. */
export const KAFKA = process.env.MECHA_TEST_KAFKA ?? '127.0.0.1:9092';
export const KAFKA_FAILURE = process.env.MECHA_TEST_KAFKA_FAILURE ?? '127.0.0.1:9094';

/** Fails (never skips) with the command that starts the server when nothing answers at `address`. */
export async function requireKafka(
  address: string,
  service: 'kafka' | 'kafka-failure',
): Promise<void> {
  const [host, port] = splitAddress(address);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
  if (!reachable) {
    throw new Error(
      `no Kafka broker at ${address} (service ${service}); start it with: bash tooling/services/up.sh ${service}`,
    );
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(10);
  }
}
