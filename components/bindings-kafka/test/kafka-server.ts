import { Kafka, logLevel, type Admin } from 'kafkajs';

/** The Kafka the suites use (`MECHA_TEST_KAFKA`, default 127.0.0.1:9092). */
export const kafkaBrokers = process.env['MECHA_TEST_KAFKA'] || '127.0.0.1:9092';

export const testKafka = new Kafka({ brokers: kafkaBrokers.split(','), clientId: 'bindings-kafka-test', logLevel: logLevel.NOTHING, retry: { retries: 2 } });

/** An admin client; fails naming the server when it is down. */
export async function kafkaAdmin(): Promise<Admin> {
  const admin = testKafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    await admin.disconnect().catch(() => {});
    throw new Error(`no Kafka broker at ${kafkaBrokers} (${(error as Error).message}): start it with bash tooling/services/up.sh kafka`);
  }
  return admin;
}

/** Creates topics with this many partitions and waits for their leaders. */
export async function createTopics(topics: readonly string[], partitions = 3): Promise<void> {
  const admin = await kafkaAdmin();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = await kafkaAdmin();
  try {
    await admin.deleteTopics({ topics: [...topics] }).catch(() => {});
  } finally {
    await admin.disconnect();
  }
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
