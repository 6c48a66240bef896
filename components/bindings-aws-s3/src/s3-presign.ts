import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** SigV4 query signatures are valid for at most 7 days. */
export const maxPresignSeconds = 7 * 24 * 3600;

interface RequestToSign {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

interface QuerySigner {
  presign(request: RequestToSign, options: { expiresIn: number }): Promise<RequestToSign>;
}

/**
 * A presigned GET URL for one object. The client builds the request (so path-style or
 * virtual-host addressing, endpoint and key escaping are the SDK's own), a middleware placed
 * just before signing takes it and stops the call there, and the client's SigV4 signer signs
 * it into the query string, keeping only the Host header signed so any HTTP client can fetch it.
 * (What @aws-sdk/s3-request-presigner does, without that extra package.)
 */
export async function presignGetObject(client: S3Client, bucket: string, key: string, expiresInSeconds: number): Promise<string> {
  if (!(expiresInSeconds >= 1 && expiresInSeconds <= maxPresignSeconds)) {
    throw new Error(`presignTTL must be from 1s to 168h (got ${expiresInSeconds}s)`);
  }
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  let built: RequestToSign | undefined;
  command.middlewareStack.addRelativeTo(
    () => async (args: { request: unknown }) => {
      built = args.request as RequestToSign;
      return { response: {}, output: { $metadata: {} } };
    },
    { name: 'mechaPresignCapture', relation: 'before', toMiddleware: 'httpSigningMiddleware' },
  );
  await client.send(command);
  if (!built) throw new Error('the S3 client did not build a request to presign');
  const signer = (await client.config.signer()) as unknown as QuerySigner;
  const host = built.headers['host'] ?? (built.port ? `${built.hostname}:${built.port}` : built.hostname);
  const query = Object.fromEntries(Object.entries(built.query).filter(([name]) => name !== 'x-id'));
  const signed = await signer.presign({ ...built, query, headers: { host } }, { expiresIn: Math.floor(expiresInSeconds) });
  const url = new URL(`${signed.protocol}//${host}${signed.path}`);
  for (const [name, value] of Object.entries(signed.query)) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, item ?? '');
  }
  return url.toString();
}
