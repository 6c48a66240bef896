import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** The S3 API server the suites use: MECHA_TEST_S3_ENDPOINT, or the s3rver `bash tooling/services/up.sh s3` starts. */
export const s3Endpoint = process.env['MECHA_TEST_S3_ENDPOINT'] || 'http://127.0.0.1:4568';
/** s3rver's own key pair (it refuses other access key ids; it does not check signatures). */
export const s3Credentials = { accessKey: process.env['MECHA_TEST_S3_ACCESS_KEY'] || 'S3RVER', secretKey: process.env['MECHA_TEST_S3_SECRET_KEY'] || 'S3RVER' };
export const s3Region = 'us-east-1';

export const adminClient = new S3Client({
  endpoint: s3Endpoint,
  region: s3Region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3Credentials.accessKey, secretAccessKey: s3Credentials.secretKey },
});

/** Metadata for a component on the test server, as a resource file gives it (strings). */
export function s3Metadata(bucket: string, extra: Record<string, string> = {}): Record<string, string> {
  return { bucket, endpoint: s3Endpoint, region: s3Region, forcePathStyle: 'true', ...s3Credentials, ...extra };
}

/** A new bucket with a unique name; fails, naming the server and how to start it, when it is down. */
export async function createTestBucket(): Promise<string> {
  const bucket = `mecha-${randomUUID()}`;
  try {
    await adminClient.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    throw new Error(`no S3 API server at ${s3Endpoint} (MECHA_TEST_S3_ENDPOINT): ${(error as Error).message}. Start it with: bash tooling/services/up.sh s3`, { cause: error });
  }
  return bucket;
}

/** Empties and removes a test bucket. */
export async function removeTestBucket(bucket: string): Promise<void> {
  for (;;) {
    const listed = await adminClient.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((object) => ({ Key: object.Key! }));
    if (keys.length === 0) break;
    await adminClient.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await adminClient.send(new DeleteBucketCommand({ Bucket: bucket }));
}
