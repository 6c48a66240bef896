import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Binding, BindingResponse } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { adminClient, createTestBucket, removeTestBucket, s3Endpoint, s3Metadata } from './s3-server.ts';

let bucket: string;
const opened: Binding[] = [];

beforeAll(async () => {
  bucket = await createTestBucket();
});
afterAll(async () => {
  await Promise.allSettled(opened.map((binding) => binding.close()));
  if (bucket) await removeTestBucket(bucket);
});

async function open(extra: Record<string, string> = {}, base: Record<string, string> = s3Metadata(bucket)): Promise<Binding> {
  const raw = { ...base, ...extra };
  const binding = await definition.create(validateMetadata(definition.metadata, raw), { name: 's3', appId: 'test', logger: silentLogger(), rawMetadata: raw });
  opened.push(binding);
  return binding;
}

const invoke = (binding: Binding, operation: string, data: string | Uint8Array = '', metadata: Record<string, string> = {}): Promise<BindingResponse> =>
  binding.invoke!({ operation, data: typeof data === 'string' ? Buffer.from(data) : data, metadata });
const text = (response: BindingResponse) => Buffer.from(response.data).toString('utf8');
const parsed = <T>(response: BindingResponse) => JSON.parse(text(response)) as T;

async function stored(key: string): Promise<Buffer> {
  const output = await adminClient.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await output.Body!.transformToByteArray());
}

describe('create and get', () => {
  it("stores the data under the request's key and answers with Dapr's create response", async () => {
    const binding = await open();
    const key = `dir/${randomUUID()} ü.json`;
    const response = await invoke(binding, 'create', '{"order":1}', { key });
    expect(response.metadata).toEqual({ key });
    const answer = parsed<{ location: string; versionID: string | null; presignURL?: string }>(response);
    expect(answer.versionID).toBeNull();
    expect(answer.presignURL).toBeUndefined();
    // The URL the object was written to: the endpoint, the bucket, the escaped key.
    expect(answer.location).toBe(`${s3Endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
    expect((await stored(key)).toString()).toBe('{"order":1}');
    expect(text(await invoke(binding, 'get', '', { key }))).toBe('{"order":1}');
  });

  it('generates a UUID key when the request names none, and returns it', async () => {
    const binding = await open();
    const response = await invoke(binding, 'create', 'no key given');
    const key = response.metadata['key']!;
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await stored(key)).toString()).toBe('no key given');
  });

  it('sets the Content-Type and storage class a request names', async () => {
    const binding = await open();
    const key = `typed-${randomUUID()}`;
    await invoke(binding, 'create', 'a,b\n1,2\n', { key, 'Content-Type': 'text/csv', storageClass: 'STANDARD_IA' });
    const head = await adminClient.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toBe('text/csv');
    expect(head.StorageClass).toBe('STANDARD_IA');
  });

  it('keeps binary data intact with decodeBase64 on create and encodeBase64 on get', async () => {
    const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255, 0x0a, 0x0d]);
    const binding = await open({ decodeBase64: 'true' });
    const key = `binary-${randomUUID()}`;
    await invoke(binding, 'create', bytes.toString('base64'), { key });
    expect(await stored(key)).toEqual(bytes);
    // The component decodes but does not encode; the request asks for base64.
    expect(Buffer.from((await invoke(binding, 'get', '', { key })).data)).toEqual(bytes);
    expect(text(await invoke(binding, 'get', '', { key, encodeBase64: 'true' }))).toBe(bytes.toString('base64'));
    // A request can turn the component's decoding off.
    const raw = `raw-${randomUUID()}`;
    await invoke(binding, 'create', 'AAAA', { key: raw, decodeBase64: 'false' });
    expect((await stored(raw)).toString()).toBe('AAAA');
  });

  it('refuses data that is not base64 when decoding, and stores nothing', async () => {
    const binding = await open();
    const key = `bad-${randomUUID()}`;
    await expect(invoke(binding, 'create', 'not base64!', { key, decodeBase64: 'yes' })).rejects.toThrow('not valid base64');
    await expect(invoke(binding, 'get', '', { key })).rejects.toThrow('object not found');
  });

  it('stores an empty object', async () => {
    const binding = await open();
    const key = `empty-${randomUUID()}`;
    await invoke(binding, 'create', '', { key });
    expect((await invoke(binding, 'get', '', { key })).data).toHaveLength(0);
  });

  it('answers "object not found" for a missing object, and names a missing key', async () => {
    const binding = await open();
    await expect(invoke(binding, 'get', '', { key: `missing-${randomUUID()}` })).rejects.toThrow(/^object not found$/);
    for (const operation of ['get', 'delete', 'presign']) {
      await expect(invoke(binding, operation, '', { presignTTL: '1m' })).rejects.toThrow("required metadata 'key' missing");
    }
  });

  it('accepts tags and refuses malformed ones', async () => {
    const binding = await open();
    await invoke(binding, 'create', 'tagged', { key: `tags-${randomUUID()}`, tags: 'team=orders, env=test' });
    await expect(invoke(binding, 'create', 'x', { key: `tags-${randomUUID()}`, tags: 'team=orders,oops' })).rejects.toThrow("invalid tag format: 'oops'");
  });

  it('refuses filePath: the sidecar does not read local files for the app', async () => {
    const binding = await open();
    await expect(invoke(binding, 'create', '', { key: 'x', filePath: '/etc/passwd' })).rejects.toThrow('filePath is not supported');
  });

  it('takes many concurrent writes', async () => {
    const binding = await open();
    const prefix = `concurrent-${randomUUID()}/`;
    await Promise.all(Array.from({ length: 25 }, (_, i) => invoke(binding, 'create', `item ${i}`, { key: `${prefix}${String(i).padStart(2, '0')}` })));
    const listed = parsed<{ Contents: { Key: string }[] }>(await invoke(binding, 'list', JSON.stringify({ prefix })));
    expect(listed.Contents.map((object) => object.Key)).toEqual(Array.from({ length: 25 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`));
    expect((await stored(`${prefix}07`)).toString()).toBe('item 7');
  });
});

describe('delete', () => {
  it('removes the object and answers with no data', async () => {
    const binding = await open();
    const key = `delete-${randomUUID()}`;
    await invoke(binding, 'create', 'bye', { key });
    const response = await invoke(binding, 'delete', '', { key });
    expect(response.data).toHaveLength(0);
    await expect(invoke(binding, 'get', '', { key })).rejects.toThrow('object not found');
  });
});

describe('list', () => {
  it('pages with maxResults and marker, groups with delimiter, and returns S3 field names', async () => {
    const binding = await open();
    const prefix = `list-${randomUUID()}/`;
    const keys = ['a', 'b', 'c', 'sub/d', 'sub/e'].map((k) => `${prefix}${k}`);
    for (const key of keys) await invoke(binding, 'create', key, { key });

    type Listing = { Contents?: { Key: string; Size: number; ETag: string; LastModified: string }[]; IsTruncated: boolean; MaxKeys: number; CommonPrefixes?: { Prefix: string }[] };
    const first = parsed<Listing>(await invoke(binding, 'list', JSON.stringify({ prefix, maxResults: 2 })));
    expect(first.IsTruncated).toBe(true);
    expect(first.MaxKeys).toBe(2);
    expect(first.Contents!.map((o) => o.Key)).toEqual(keys.slice(0, 2));
    expect(first.Contents![0]!.Size).toBe(keys[0]!.length);
    expect(Number.isNaN(Date.parse(first.Contents![0]!.LastModified))).toBe(false);

    const rest = parsed<Listing>(await invoke(binding, 'list', JSON.stringify({ prefix, marker: keys[1] })));
    expect(rest.IsTruncated).toBe(false);
    expect(rest.Contents!.map((o) => o.Key)).toEqual(keys.slice(2));

    const grouped = parsed<Listing>(await invoke(binding, 'list', JSON.stringify({ prefix, delimiter: '/' })));
    expect(grouped.Contents!.map((o) => o.Key)).toEqual(keys.slice(0, 3));
    expect(grouped.CommonPrefixes).toEqual([{ Prefix: `${prefix}sub/` }]);
  });

  it('lists with no data at all (defaults), and refuses data that is not a JSON object', async () => {
    const binding = await open();
    await invoke(binding, 'create', 'x', { key: `list-default-${randomUUID()}` });
    const all = parsed<{ Contents: unknown[]; MaxKeys: number }>(await invoke(binding, 'list'));
    expect(all.MaxKeys).toBe(1000);
    expect(all.Contents.length).toBeGreaterThan(0);
    await expect(invoke(binding, 'list', '{not json')).rejects.toThrow('unable to parse Data property');
    await expect(invoke(binding, 'list', '[1]')).rejects.toThrow('expected a JSON object');
    await expect(invoke(binding, 'list', '{"maxResults":"ten"}')).rejects.toThrow('maxResults must be a whole number');
  });
});

describe('presign', () => {
  it('returns a URL that fetches the object, valid for the TTL asked', async () => {
    const binding = await open();
    const key = `presign/${randomUUID()} file.txt`;
    await invoke(binding, 'create', 'signed content', { key });
    const { presignURL } = parsed<{ presignURL: string }>(await invoke(binding, 'presign', '', { key, presignTTL: '90s' }));
    const url = new URL(presignURL);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('90');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    const fetched = await fetch(presignURL);
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe('signed content');
  });

  it('adds a presigned URL to the create answer when a TTL is set (component default)', async () => {
    const binding = await open({ presignTTL: '5m' });
    const key = `presign-create-${randomUUID()}`;
    const answer = parsed<{ presignURL: string }>(await invoke(binding, 'create', 'hello', { key }));
    expect(new URL(answer.presignURL).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(await (await fetch(answer.presignURL)).text()).toBe('hello');
  });

  it('refuses a missing, unparsable or too long TTL', async () => {
    const binding = await open();
    await expect(invoke(binding, 'presign', '', { key: 'k' })).rejects.toThrow("required metadata 'presignTTL' missing");
    await expect(invoke(binding, 'presign', '', { key: 'k', presignTTL: 'forever' })).rejects.toThrow('cannot parse duration forever');
    await expect(invoke(binding, 'presign', '', { key: 'k', presignTTL: '169h' })).rejects.toThrow('presignTTL must be from 1s to 168h');
  });
});

describe('bulk operations', () => {
  it('bulkCreate, bulkGet and bulkDelete report per item, in request order', async () => {
    const binding = await open();
    const prefix = `bulk-${randomUUID()}/`;
    const created = parsed<{ key: string; location?: string; error?: string }[]>(
      await invoke(
        binding,
        'bulkCreate',
        JSON.stringify({
          items: [
            { key: `${prefix}one`, data: 'first', contentType: 'text/plain' },
            { key: '', data: 'no key' },
            { key: `${prefix}two`, data: 'second' },
            { key: `${prefix}nothing` },
            { key: `${prefix}file`, filePath: '/etc/hostname' },
          ],
          concurrency: 2,
        }),
      ),
    );
    expect(created).toEqual([
      { key: `${prefix}one`, location: `${s3Endpoint}/${bucket}/${prefix}one` },
      { key: '', error: 'key is required' },
      { key: `${prefix}two`, location: `${s3Endpoint}/${bucket}/${prefix}two` },
      { key: `${prefix}nothing`, error: 'either data or filePath is required' },
      { key: `${prefix}file`, error: 'filePath is not supported by this runtime' },
    ]);
    expect((await adminClient.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}one` }))).ContentType).toBe('text/plain');

    const got = parsed<unknown[]>(await invoke(binding, 'bulkGet', JSON.stringify({ items: [{ key: `${prefix}two` }, { key: `${prefix}missing` }, { key: `${prefix}one` }, { key: '' }] })));
    expect(got).toEqual([
      { key: `${prefix}two`, data: 'second' },
      { key: `${prefix}missing`, error: 'object not found' },
      { key: `${prefix}one`, data: 'first' },
      { key: '', error: 'key is required' },
    ]);
    const encoded = parsed<{ data: string }[]>(await invoke(binding, 'bulkGet', JSON.stringify({ items: [{ key: `${prefix}one` }] }), { encodeBase64: 'true' }));
    expect(encoded[0]!.data).toBe(Buffer.from('first').toString('base64'));

    const deleted = parsed<unknown[]>(await invoke(binding, 'bulkDelete', JSON.stringify({ keys: [`${prefix}one`, ' ', `${prefix}two`, `${prefix}one`] })));
    expect(deleted).toEqual([{ key: `${prefix}one` }, { key: ' ', error: 'key is required' }, { key: `${prefix}two` }, { key: `${prefix}one` }]);
    await expect(invoke(binding, 'get', '', { key: `${prefix}two` })).rejects.toThrow('object not found');
  });

  it('decodes base64 items with decodeBase64', async () => {
    const binding = await open();
    const key = `bulk-b64-${randomUUID()}`;
    const bytes = Buffer.from([9, 8, 7, 0, 255]);
    await invoke(binding, 'bulkCreate', JSON.stringify({ items: [{ key, data: bytes.toString('base64') }, { key: `${key}-bad`, data: '!!' }] }), { decodeBase64: 'true' });
    expect(await stored(key)).toEqual(bytes);
    await expect(invoke(binding, 'get', '', { key: `${key}-bad` })).rejects.toThrow('object not found');
  });

  it('refuses malformed bulk payloads as a whole', async () => {
    const binding = await open();
    await expect(invoke(binding, 'bulkGet', '{"items":[]}')).rejects.toThrow('bulkGet requires at least one item');
    await expect(invoke(binding, 'bulkCreate', '{}')).rejects.toThrow('bulkCreate requires at least one item');
    await expect(invoke(binding, 'bulkDelete', '{"keys":[]}')).rejects.toThrow('bulkDelete requires at least one key');
    await expect(invoke(binding, 'bulkGet', 'nope')).rejects.toThrow('invalid bulkGet payload');
    await expect(invoke(binding, 'bulkGet', '{"items":[{"key":"k"}],"concurrency":0}')).rejects.toThrow('concurrency must be greater than 0');
    await expect(invoke(binding, 'bulkCreate', '{"items":[{"key":1}]}')).rejects.toThrow('items[0].key must be a string');
    await expect(invoke(binding, 'bulkDelete', '{"keys":"k"}')).rejects.toThrow('keys must be an array');
  });
});

describe('connection settings', () => {
  it('reaches a path-style server through an endpoint with no scheme when disableSSL is on', async () => {
    const binding = await open({ endpoint: s3Endpoint.replace(/^http:\/\//, ''), disableSSL: 'true', forcePathStyle: 'false' });
    const key = `no-scheme-${randomUUID()}`;
    await invoke(binding, 'create', 'plain http', { key });
    expect((await stored(key)).toString()).toBe('plain http');
  });

  it('accepts awsRegion as the region', async () => {
    const { region: _region, ...base } = s3Metadata(bucket);
    const binding = await open({ awsRegion: 'eu-west-1' }, base);
    const key = `aws-region-${randomUUID()}`;
    await invoke(binding, 'create', 'x', { key });
    expect((await stored(key)).toString()).toBe('x');
  });

  it('reports a bucket that does not exist on the call, naming S3\'s error', async () => {
    const binding = await open({ bucket: `missing-${randomUUID()}` });
    await expect(invoke(binding, 'create', 'x', { key: 'k' })).rejects.toThrow(/uploading failed: .*(bucket does not exist|NoSuchBucket)/i);
    await expect(invoke(binding, 'list')).rejects.toThrow('list operation failed');
  });

  it('reports an endpoint where nothing listens, without hanging', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const binding = await open({ endpoint: `http://127.0.0.1:${port}` });
    await expect(invoke(binding, 'get', '', { key: 'k' })).rejects.toThrow(/error downloading S3 object: .*ECONNREFUSED/);
  });

  it('refuses settings that cannot work, at start', async () => {
    await expect(open({ secretKey: '' , accessKey: 'only-the-id' })).rejects.toThrow('"secretKey" is required with "accessKey"');
    await expect(open({ endpoint: 'ftp://127.0.0.1:21' })).rejects.toThrow('must be an http:// or https:// URL');
    await expect(open({ endpoint: 'http://[::1' })).rejects.toThrow('"endpoint" is not a URL');
    await expect(open({ assumeRoleArn: 'arn:aws:iam::123456789012:role/x' })).rejects.toThrow('"assumeRoleArn" is not supported');
    await expect(open({ bucket: '  ' })).rejects.toThrow('"bucket" is required');
    await expect(open({ presignTTL: '8d' })).rejects.toThrow();
    await expect(open({ presignTTL: '200h' })).rejects.toThrow('"presignTTL" must be from 1s to 168h');
    expect(() => validateMetadata(definition.metadata, { endpoint: s3Endpoint })).toThrow('metadata field "bucket": is required');
  });

  it('names a missing region at start instead of failing each call', async () => {
    const saved = { AWS_REGION: process.env['AWS_REGION'], AWS_DEFAULT_REGION: process.env['AWS_DEFAULT_REGION'], AWS_CONFIG_FILE: process.env['AWS_CONFIG_FILE'] };
    delete process.env['AWS_REGION'];
    delete process.env['AWS_DEFAULT_REGION'];
    process.env['AWS_CONFIG_FILE'] = '/nonexistent/mecha-aws-config';
    try {
      const { region: _region, ...base } = s3Metadata(bucket);
      await expect(open({}, base)).rejects.toThrow('no AWS region: set metadata field "region"');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
