import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Binding, BindingResponse } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { definition } from '../src/definition.ts';
import { GcpBucketBinding } from '../src/gcp-bucket-binding.ts';
import { adminStorage, createTestBucket, gcsEndpoint, gcsMetadata, projectId, removeTestBucket, stored } from './gcs-server.ts';

let bucket: string;
let otherBucket: string;
const opened: Binding[] = [];

beforeAll(async () => {
  [bucket, otherBucket] = await Promise.all([createTestBucket(), createTestBucket()]);
});
afterAll(async () => {
  await Promise.allSettled(opened.map((binding) => binding.close()));
  await Promise.allSettled([bucket, otherBucket].filter(Boolean).map(removeTestBucket));
});

async function open(extra: Record<string, string> = {}, base: Record<string, string> = gcsMetadata(bucket)): Promise<Binding> {
  const raw = { ...base, ...extra };
  const binding = await definition.create(validateMetadata(definition.metadata, raw), { name: 'gcs', appId: 'test', logger: silentLogger(), rawMetadata: raw });
  opened.push(binding);
  return binding;
}

const invoke = (binding: Binding, operation: string, data: string | Uint8Array = '', metadata: Record<string, string> = {}): Promise<BindingResponse> =>
  binding.invoke!({ operation, data: typeof data === 'string' ? Buffer.from(data) : data, metadata });
const text = (response: BindingResponse) => Buffer.from(response.data).toString('utf8');
const parsed = <T>(response: BindingResponse) => JSON.parse(text(response)) as T;

/** A throwaway service account key: the client signs URLs with it locally. */
function serviceAccount(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return {
    type: 'service_account',
    private_key_id: 'test-key-1',
    // As resource files often carry it: one line with literal \n sequences.
    private_key: privateKey.replace(/\n/g, '\\n'),
    client_email: 'mecha-test@mecha-test.iam.gserviceaccount.com',
    client_id: '1234567890',
  };
}

describe('create and get', () => {
  it("stores the data under the request's key and answers with Dapr's objectURL", async () => {
    const binding = await open();
    const key = `dir/${randomUUID()} ü.json`;
    const response = await invoke(binding, 'create', '{"order":1}', { key });
    expect(parsed(response)).toEqual({ objectURL: `https://storage.googleapis.com/${bucket}/${key.replace(' ', '%20').replace('ü', '%C3%BC')}` });
    expect((await stored(bucket, key)).toString()).toBe('{"order":1}');
    expect(text(await invoke(binding, 'get', '', { key }))).toBe('{"order":1}');
  });

  it('generates a UUID name when the request names none, and takes `name` as the older word for `key`', async () => {
    const binding = await open();
    const { objectURL } = parsed<{ objectURL: string }>(await invoke(binding, 'create', 'no key'));
    const generated = objectURL.slice(objectURL.lastIndexOf('/') + 1);
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await stored(bucket, generated)).toString()).toBe('no key');
    const named = `named-${randomUUID()}`;
    await invoke(binding, 'create', 'by name', { name: named });
    expect(text(await invoke(binding, 'get', '', { name: named }))).toBe('by name');
  });

  it('sets the content type from the request, else the component', async () => {
    const binding = await open({ contentType: 'application/json' });
    const byComponent = `typed-${randomUUID()}`;
    const byRequest = `typed-${randomUUID()}`;
    await invoke(binding, 'create', '{}', { key: byComponent });
    await invoke(binding, 'create', 'a,b', { key: byRequest, contentType: 'text/csv' });
    const [meta1] = await adminStorage.bucket(bucket).file(byComponent).getMetadata();
    const [meta2] = await adminStorage.bucket(bucket).file(byRequest).getMetadata();
    expect([meta1.contentType, meta2.contentType]).toEqual(['application/json', 'text/csv']);
  });

  it('keeps binary data intact, raw or through base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255, 0x0a]);
    const binding = await open({ encodeBase64: 'true' });
    const raw = `raw-${randomUUID()}`;
    await invoke(binding, 'create', bytes, { key: raw });
    expect(await stored(bucket, raw)).toEqual(bytes);
    expect(text(await invoke(binding, 'get', '', { key: raw }))).toBe(bytes.toString('base64'));
    expect(Buffer.from((await invoke(binding, 'get', '', { key: raw, encodeBase64: 'false' })).data)).toEqual(bytes);
    const decoded = `decoded-${randomUUID()}`;
    await invoke(binding, 'create', bytes.toString('base64'), { key: decoded, decodeBase64: 'true' });
    expect(await stored(bucket, decoded)).toEqual(bytes);
    await expect(invoke(binding, 'create', '%%%', { key: `bad-${randomUUID()}`, decodeBase64: 'true' })).rejects.toThrow('not valid base64');
  });

  it('uploads a large object', async () => {
    const binding = await open();
    const key = `large-${randomUUID()}`;
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    await invoke(binding, 'create', big, { key });
    expect((await stored(bucket, key)).equals(big)).toBe(true);
  });

  it('answers "object not found" for a missing object, and names a missing key', async () => {
    const binding = await open();
    await expect(invoke(binding, 'get', '', { key: `missing-${randomUUID()}` })).rejects.toThrow(/^object not found$/);
    await expect(invoke(binding, 'delete', '', { key: `missing-${randomUUID()}` })).rejects.toThrow(/^object not found$/);
    for (const operation of ['get', 'delete', 'sign', 'copy', 'move', 'rename']) {
      await expect(invoke(binding, operation, '{}')).rejects.toThrow("can't read key value");
    }
  });

  it('deletes an object and answers with no data', async () => {
    const binding = await open();
    const key = `delete-${randomUUID()}`;
    await invoke(binding, 'create', 'bye', { key });
    expect((await invoke(binding, 'delete', '', { key })).data).toHaveLength(0);
    await expect(invoke(binding, 'get', '', { key })).rejects.toThrow('object not found');
  });
});

describe('list', () => {
  it("returns Go's ObjectAttrs field names, honours prefix, delimiter and maxResults", async () => {
    const binding = await open();
    const prefix = `list-${randomUUID()}/`;
    const names = ['a', 'b', 'c', 'sub/d'].map((n) => `${prefix}${n}`);
    for (const name of names) await invoke(binding, 'create', name, { key: name, contentType: 'text/plain' });
    type Attrs = { Bucket: string; Name: string; Size: number; ContentType: string; MD5: string; CRC32C: number; Generation: number; Created: string; Prefix: string };
    const all = parsed<Attrs[]>(await invoke(binding, 'list', JSON.stringify({ prefix })));
    expect(all.map((a) => a.Name)).toEqual(names);
    const first = all[0]!;
    expect(first).toMatchObject({ Bucket: bucket, Size: names[0]!.length, ContentType: 'text/plain', Prefix: '' });
    expect(Buffer.from(first.MD5, 'base64')).toHaveLength(16);
    expect(first.CRC32C).toBeGreaterThan(0);
    expect(first.Generation).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(first.Created))).toBe(false);

    expect(parsed<Attrs[]>(await invoke(binding, 'list', JSON.stringify({ prefix, maxResults: 2 }))).map((a) => a.Name)).toEqual(names.slice(0, 2));
    const grouped = parsed<Attrs[]>(await invoke(binding, 'list', JSON.stringify({ prefix, delimiter: '/' })));
    expect(grouped.map((a) => a.Name || `prefix:${a.Prefix}`)).toEqual([...names.slice(0, 3), `prefix:${prefix}sub/`]);
  });

  it('lists with no data, and refuses data that is not a JSON object', async () => {
    const binding = await open();
    await invoke(binding, 'create', 'x', { key: `list-any-${randomUUID()}` });
    expect(parsed<unknown[]>(await invoke(binding, 'list')).length).toBeGreaterThan(0);
    await expect(invoke(binding, 'list', 'nope')).rejects.toThrow('invalid list payload');
    await expect(invoke(binding, 'list', '"text"')).rejects.toThrow('expected a JSON object');
    await expect(invoke(binding, 'list', '{"maxResults":-1}')).rejects.toThrow('maxResults must be a whole number');
  });
});

describe('sign', () => {
  it('returns a V4 signed URL, made locally with the service account key, that fetches the object', async () => {
    const binding = await open(serviceAccount());
    const key = `signed/${randomUUID()} file.txt`;
    await invoke(binding, 'create', 'signed content', { key });
    const { signURL } = parsed<{ signURL: string }>(await invoke(binding, 'sign', '', { key, signTTL: '90s' }));
    const url = new URL(signURL);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('90');
    expect(url.searchParams.get('X-Goog-Credential')).toMatch(/^mecha-test@mecha-test\.iam\.gserviceaccount\.com\//);
    expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
    // The emulator serves the object at the URL (it does not check signatures).
    expect(await (await fetch(signURL)).text()).toBe('signed content');
  });

  it('uses the component signTTL, and refuses a missing, bad or too long one', async () => {
    const binding = await open({ ...serviceAccount(), signTTL: '15m' });
    const key = `signed-${randomUUID()}`;
    await invoke(binding, 'create', 'x', { key });
    expect(new URL(parsed<{ signURL: string }>(await invoke(binding, 'sign', '', { key })).signURL).searchParams.get('X-Goog-Expires')).toBe('900');
    const plain = await open(serviceAccount());
    await expect(invoke(plain, 'sign', '', { key })).rejects.toThrow("required metadata 'signTTL' missing");
    await expect(invoke(plain, 'sign', '', { key, signTTL: 'soon' })).rejects.toThrow('while parsing signTTL');
    await expect(invoke(plain, 'sign', '', { key, signTTL: '200h' })).rejects.toThrow('signTTL must be from 1s to 168h');
  });

  it('reports that it cannot sign without a key', async () => {
    const saved = process.env['GOOGLE_APPLICATION_CREDENTIALS'];
    process.env['GOOGLE_APPLICATION_CREDENTIALS'] = '/nonexistent/mecha-test-key.json';
    try {
      const binding = await open();
      await expect(invoke(binding, 'sign', '', { key: 'k', signTTL: '1m' })).rejects.toThrow(/SignedURL: /);
    } finally {
      if (saved === undefined) delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
      else process.env['GOOGLE_APPLICATION_CREDENTIALS'] = saved;
    }
  });
});

describe('bulkGet', () => {
  it('returns every object of the bucket with its data (base64, as Go marshals bytes) and attributes', async () => {
    const own = await createTestBucket();
    try {
      const binding = await open({}, gcsMetadata(own));
      const names = Array.from({ length: 12 }, (_, i) => `obj-${String(i).padStart(2, '0')}`);
      await Promise.all(names.map((name) => invoke(binding, 'create', `content of ${name}`, { key: name })));
      const all = parsed<{ name: string; data: string; attrs: { Name: string; Size: number } }[]>(await invoke(binding, 'bulkGet'));
      expect(all.map((o) => o.name).sort()).toEqual(names);
      for (const object of all) {
        expect(Buffer.from(object.data, 'base64').toString()).toBe(`content of ${object.name}`);
        expect(object.attrs).toMatchObject({ Name: object.name, Size: `content of ${object.name}`.length });
      }
      const encoded = parsed<{ name: string; data: string }[]>(await invoke(binding, 'bulkGet', '', { encodeBase64: 'true' }));
      expect(Buffer.from(Buffer.from(encoded[0]!.data, 'base64').toString(), 'base64').toString()).toBe(`content of ${encoded[0]!.name}`);
    } finally {
      await removeTestBucket(own);
    }
  });
});

describe('copy, move and rename', () => {
  it('copies within the bucket and to another bucket, keeping the source', async () => {
    const binding = await open();
    const key = `copy-${randomUUID()}`;
    await invoke(binding, 'create', 'original', { key });
    expect(text(await invoke(binding, 'copy', JSON.stringify({ destinationKey: `${key}-copy` }), { key }))).toBe(`object ${key} copied to ${bucket}/${key}-copy`);
    expect(text(await invoke(binding, 'copy', JSON.stringify({ destinationBucket: otherBucket }), { key }))).toBe(`object ${key} copied to ${otherBucket}/${key}`);
    expect((await stored(bucket, `${key}-copy`)).toString()).toBe('original');
    expect((await stored(otherBucket, key)).toString()).toBe('original');
    expect((await stored(bucket, key)).toString()).toBe('original');
  });

  it('moves, removing the source, and refuses a move onto itself or with no destination', async () => {
    const binding = await open();
    const key = `move-${randomUUID()}`;
    await invoke(binding, 'create', 'moving', { key });
    await expect(invoke(binding, 'move', JSON.stringify({ destinationBucket: bucket }), { key })).rejects.toThrow('is the same as the source');
    await expect(invoke(binding, 'move', '{}', { key })).rejects.toThrow('requires at least one of destinationBucket or destinationKey');
    await expect(invoke(binding, 'copy', '{}', { key })).rejects.toThrow('requires at least one of destinationBucket or destinationKey');
    expect(text(await invoke(binding, 'move', JSON.stringify({ destinationKey: `${key}-moved` }), { key }))).toBe(`object ${key} moved to ${bucket}/${key}-moved`);
    expect((await stored(bucket, `${key}-moved`)).toString()).toBe('moving');
    await expect(invoke(binding, 'get', '', { key })).rejects.toThrow('object not found');
  });

  it('renames, and reports a missing source or new name', async () => {
    const binding = await open();
    const key = `rename-${randomUUID()}`;
    await invoke(binding, 'create', 'renaming', { key });
    expect(text(await invoke(binding, 'rename', JSON.stringify({ newName: `${key}-new` }), { key }))).toBe(`object ${key} renamed to ${key}-new`);
    expect((await stored(bucket, `${key}-new`)).toString()).toBe('renaming');
    await expect(invoke(binding, 'get', '', { key })).rejects.toThrow('object not found');
    await expect(invoke(binding, 'rename', '{}', { key })).rejects.toThrow("required 'newName' missing");
    await expect(invoke(binding, 'rename', 'x', { key })).rejects.toThrow('invalid rename payload');
    await expect(invoke(binding, 'rename', JSON.stringify({ newName: 'n' }), { key: `missing-${randomUUID()}` })).rejects.toThrow('while copying object');
  });
});

describe('connection settings', () => {
  it("reaches the emulator named by STORAGE_EMULATOR_HOST as daprd's Go client reads it (host:port)", async () => {
    const saved = process.env['STORAGE_EMULATOR_HOST'];
    process.env['STORAGE_EMULATOR_HOST'] = new URL(gcsEndpoint).host;
    try {
      const { endpoint: _endpoint, ...base } = gcsMetadata(bucket);
      const binding = await open({}, base);
      const key = `env-${randomUUID()}`;
      await invoke(binding, 'create', 'via env', { key });
      expect((await stored(bucket, key)).toString()).toBe('via env');
      expect(process.env['STORAGE_EMULATOR_HOST']).toBe(new URL(gcsEndpoint).host);
    } finally {
      if (saved === undefined) delete process.env['STORAGE_EMULATOR_HOST'];
      else process.env['STORAGE_EMULATOR_HOST'] = saved;
    }
  });

  it('takes a key in snake_case or camelCase without the client library printing a notice', async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      const key = serviceAccount();
      await open(key);
      await open({ privateKey: key['private_key']!, clientEmail: key['client_email']!, privateKeyID: key['private_key_id']!, projectID: projectId });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('reports a bucket that does not exist, and a server where nothing listens', async () => {
    const missing = await open({ bucket: `missing-${randomUUID()}` });
    await expect(invoke(missing, 'create', 'x', { key: 'k' })).rejects.toThrow('while uploading');
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    // In-process option: no retries, so the failure is reported at once.
    const nowhere = await GcpBucketBinding.create({ bucket, projectId, endpoint: `http://127.0.0.1:${port}`, maxRetries: 0 });
    opened.push(nowhere);
    await expect(invoke(nowhere, 'list')).rejects.toThrow(/while listing: .*ECONNREFUSED/);
    await expect(invoke(nowhere, 'get', '', { key: 'k' })).rejects.toThrow(/while downloading object: .*ECONNREFUSED/);
  });

  it('refuses settings that cannot work, at start', async () => {
    const { projectID: _project, ...noProject } = gcsMetadata(bucket);
    await expect(open({}, noProject)).rejects.toThrow('"projectID" (or "project_id") is required');
    await open({ project_id: projectId }, noProject);
    const key = serviceAccount();
    await expect(open({ private_key: key['private_key']! })).rejects.toThrow('"clientEmail" (or "client_email") is required');
    await expect(open({ private_key_id: 'k1', client_email: 'a@b' })).rejects.toThrow('"privateKey" (or "private_key") is required');
    await expect(open({ private_key: 'not a key', client_email: 'a@b' })).rejects.toThrow('is not a PEM private key');
    await expect(open({ endpoint: 'ftp://127.0.0.1' })).rejects.toThrow('must be an http:// or https:// URL');
    await expect(open({ signTTL: '200h' })).rejects.toThrow('"signTTL" must be from 1s to 168h');
    expect(() => validateMetadata(definition.metadata, { projectID: 'p' })).toThrow('metadata field "bucket": is required');
  });
});
