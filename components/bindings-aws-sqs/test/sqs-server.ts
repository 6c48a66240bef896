import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

/** The SQS API server the suites use: MECHA_TEST_SQS_ENDPOINT, or the ElasticMQ `bash tooling/services/up.sh sqs` starts. */
export const sqsEndpoint = process.env['MECHA_TEST_SQS_ENDPOINT'] || 'http://127.0.0.1:9324';
export const sqsRegion = 'us-east-1';
const credentials = { accessKey: 'mechatest', secretKey: 'mechatest' };

export const adminClient = new SQSClient({ endpoint: sqsEndpoint, region: sqsRegion, credentials: { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey } });

/** Metadata for a component on the test server, as a resource file gives it (strings). */
export function sqsMetadata(queueName: string, extra: Record<string, string> = {}): Record<string, string> {
  return { queueName, endpoint: sqsEndpoint, region: sqsRegion, ...credentials, ...extra };
}

export interface TestQueue {
  name: string;
  url: string;
}

/** A new queue with a unique name; fails, naming the server and how to start it, when it is down. */
export async function createTestQueue(attributes: Record<string, string> = {}, fifo = false): Promise<TestQueue> {
  const name = `mecha-${randomUUID()}${fifo ? '.fifo' : ''}`;
  try {
    const output = await adminClient.send(new CreateQueueCommand({ QueueName: name, Attributes: { ...(fifo ? { FifoQueue: 'true' } : {}), ...attributes } }));
    return { name, url: output.QueueUrl! };
  } catch (error) {
    throw new Error(`no SQS API server at ${sqsEndpoint} (MECHA_TEST_SQS_ENDPOINT): ${(error as Error).message}. Start it with: bash tooling/services/up.sh sqs`, { cause: error });
  }
}

export async function deleteTestQueue(queue: TestQueue): Promise<void> {
  await adminClient.send(new DeleteQueueCommand({ QueueUrl: queue.url })).catch(() => undefined);
}

/** The same, as in-process options of SqsBinding. */
export function sqsSettings(queueName: string): { queueName: string; endpoint: string; region: string; accessKey: string; secretKey: string } {
  return { queueName, endpoint: sqsEndpoint, region: sqsRegion, ...credentials };
}

/** Visible and in-flight message counts. */
export async function queueCounts(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const output = await adminClient.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(output.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}
