import amqp, { type ChannelModel } from 'amqplib';

/** The RabbitMQ the suites use (`MECHA_TEST_RABBITMQ`, default amqp://guest:guest@127.0.0.1:5672). */
export const amqpUrl = process.env['MECHA_TEST_RABBITMQ'] || 'amqp://guest:guest@127.0.0.1:5672';

/** A plain connection to look behind the binding; fails naming the server when it is down. */
export async function rawRabbit(): Promise<ChannelModel> {
  try {
    return await amqp.connect(amqpUrl);
  } catch (error) {
    throw new Error(`RabbitMQ is not reachable at ${amqpUrl} (${(error as Error).message}): start it with bash tooling/services/up.sh rabbitmq`);
  }
}

/** Deletes queues a test created. */
export async function deleteQueues(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const connection = await rawRabbit();
  try {
    for (const name of names) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(name).catch(() => {});
      await channel.close().catch(() => {});
    }
  } finally {
    await connection.close();
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
