import { randomUUID } from 'node:crypto';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { http1RequestHandler } from '../src/http1-request-handler.ts';

/** The Kinesis API server the suites use: MECHA_TEST_KINESIS_ENDPOINT, or the kinesalite `bash tooling/services/up.sh kinesis` starts. */
export const kinesisEndpoint = process.env['MECHA_TEST_KINESIS_ENDPOINT'] || 'http://127.0.0.1:4567';
export const kinesisRegion = 'us-east-1';
const credentials = { accessKey: 'mechatest', secretKey: 'mechatest' };

export const adminClient = new KinesisClient({
  endpoint: kinesisEndpoint,
  region: kinesisRegion,
  credentials: { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey },
  requestHandler: http1RequestHandler(),
});

/** Metadata for a component on the test server, as a resource file gives it (strings). */
export function kinesisMetadata(streamName: string, extra: Record<string, string> = {}): Record<string, string> {
  return { streamName, endpoint: kinesisEndpoint, region: kinesisRegion, ...credentials, ...extra };
}

/** The same, as in-process options of KinesisBinding. */
export function kinesisSettings(streamName: string): { streamName: string; endpoint: string; region: string; accessKey: string; secretKey: string } {
  return { streamName, endpoint: kinesisEndpoint, region: kinesisRegion, ...credentials };
}

/** Waits until the stream is ACTIVE (after creation or a reshard). */
export async function waitActive(streamName: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const summary = await adminClient.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${streamName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A new ACTIVE stream with a unique name; fails, naming the server and how to start it, when it is down. */
export async function createTestStream(shardCount = 1): Promise<string> {
  const name = `mecha-${randomUUID()}`;
  try {
    await adminClient.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  } catch (error) {
    throw new Error(`no Kinesis API server at ${kinesisEndpoint} (MECHA_TEST_KINESIS_ENDPOINT): ${(error as Error).message}. Start it with: bash tooling/services/up.sh kinesis`, { cause: error });
  }
  await waitActive(name);
  return name;
}

export async function deleteTestStream(name: string): Promise<void> {
  await adminClient.send(new DeleteStreamCommand({ StreamName: name })).catch(() => undefined);
}
