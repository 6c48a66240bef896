import { randomUUID } from 'node:crypto';
import { Storage } from '@google-cloud/storage';

/** The Cloud Storage API server the suites use: MECHA_TEST_GCS_ENDPOINT, or the fake-gcs-server `bash tooling/services/up.sh gcs` starts. */
export const gcsEndpoint = process.env['MECHA_TEST_GCS_ENDPOINT'] || 'http://127.0.0.1:4443';
export const projectId = 'mecha-test';

export const adminStorage = new Storage({ apiEndpoint: gcsEndpoint, projectId });

/** Metadata for a component on the test server, as a resource file gives it (strings). */
export function gcsMetadata(bucket: string, extra: Record<string, string> = {}): Record<string, string> {
  return { bucket, endpoint: gcsEndpoint, projectID: projectId, ...extra };
}

/** A new bucket with a unique name; fails, naming the server and how to start it, when it is down. */
export async function createTestBucket(): Promise<string> {
  const bucket = `mecha-${randomUUID()}`;
  try {
    await adminStorage.createBucket(bucket);
  } catch (error) {
    throw new Error(`no Cloud Storage API server at ${gcsEndpoint} (MECHA_TEST_GCS_ENDPOINT): ${(error as Error).message}. Start it with: bash tooling/services/up.sh gcs`, { cause: error });
  }
  return bucket;
}

export async function removeTestBucket(bucket: string): Promise<void> {
  await adminStorage.bucket(bucket).deleteFiles({ force: true });
  await adminStorage.bucket(bucket).delete();
}

export async function stored(bucket: string, name: string): Promise<Buffer> {
  const [bytes] = await adminStorage.bucket(bucket).file(name).download();
  return bytes;
}
