import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { BindingOperationError, BindingsService } from '@mecha/bindings';
import { runBindingConformance } from '@mecha/bindings/conformance';
import { MetadataValidationError, silentLogger, validateMetadata } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseByteSize } from '../src/byte-size.ts';
import { canonicalHeaderKey } from '../src/canonical-header-key.ts';
import { definition, type HttpBinding } from '../src/index.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const pem = (name: string) => readFileSync(fixture(name), 'utf8');

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}

/**
 * A real HTTP server standing in for the endpoint: `/items/<id>` stores what is written and
 * answers it on GET; `/status/<code>` answers that status; `/redirect/<code>/<to>` redirects;
 * `/big` answers 1000 bytes; `/slow` never answers; everything is recorded.
 */
function handler(seen: Seen[], items: Map<string, string>): http.RequestListener {
  return (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString();
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body, raw });
      const url = new URL(request.url!, 'http://x');
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] === 'items') {
        const id = parts.slice(1).join('/');
        if (request.method === 'GET') {
          const item = items.get(id);
          if (item === undefined) return response.writeHead(404, { 'content-type': 'text/plain' }).end('no such item');
          return response.writeHead(200, { 'content-type': 'application/json' }).end(item);
        }
        items.set(id, body);
        return response.writeHead(201, { 'x-item': id }).end();
      }
      if (parts[0] === 'status') return response.writeHead(Number(parts[1]), 'Custom Reason', { 'content-type': 'text/plain' }).end(`status ${parts[1]}`);
      if (parts[0] === 'redirect') {
        return response.writeHead(Number(parts[1]), { location: `/${parts.slice(2).join('/')}` }).end();
      }
      if (parts[0] === 'loop') return response.writeHead(302, { location: '/loop' }).end();
      if (parts[0] === 'big') return response.writeHead(200).end('x'.repeat(1000));
      if (parts[0] === 'slow') return; // never answers
      if (parts[0] === 'multi') {
        response.setHeader('x-multi', ['one', 'two']);
        response.setHeader('set-cookie', ['a=1', 'b=2']);
        return response.writeHead(200, { 'content-type': 'text/plain' }).end('multi');
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: request.method }));
    });
  };
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const seen: Seen[] = [];
const items = new Map<string, string>();
const server = http.createServer(handler(seen, items));
let base = '';

beforeAll(async () => {
  base = `http://127.0.0.1:${await listen(server)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const bindings: HttpBinding[] = [];
afterAll(async () => Promise.all(bindings.map((binding) => binding.close())));

async function create(metadata: Record<string, string>): Promise<HttpBinding> {
  const binding = await definition.create(validateMetadata(definition.metadata, metadata), { name: 'http', appId: 'test', logger: silentLogger(), rawMetadata: metadata });
  bindings.push(binding);
  return binding;
}

const call = (binding: HttpBinding, operation: string, data = '', metadata: Record<string, string> = {}) =>
  binding.invoke({ operation, data: Buffer.from(data), metadata });

// The kit reads the base URL when its tests run, after beforeAll has started the server.
runBindingConformance({
  name: 'http against node:http',
  definition,
  get metadata() {
    return { url: `${base}/items` };
  },
  output: {
    operations: ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'],
    roundTrip: async ({ unique, invoke }) => {
      const written = await invoke('post', JSON.stringify({ unique }), { path: unique });
      expect(written.metadata['statusCode']).toBe('201');
      const read = await invoke('get', undefined, { path: unique });
      expect(JSON.parse(Buffer.from(read.data).toString())).toEqual({ unique });
      expect(read.contentType).toBe('application/json');
    },
  },
});

describe('bindings.http requests', () => {
  it('sends each operation as its method, with a body only for post, put, patch (and create)', async () => {
    const binding = await create({ url: `${base}/echo` });
    for (const operation of ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace', 'create']) {
      seen.length = 0;
      await call(binding, operation, '{"a":1}');
      const method = operation === 'create' ? 'POST' : operation.toUpperCase();
      expect(seen[0]).toMatchObject({ method, url: '/echo' });
      const withBody = ['POST', 'PUT', 'PATCH'].includes(method);
      expect(seen[0]!.body).toBe(withBody ? '{"a":1}' : '');
      expect(seen[0]!.headers['content-type']).toBe(withBody ? 'application/json; charset=utf-8' : undefined);
      expect(seen[0]!.headers['accept']).toBe('application/json; charset=utf-8');
    }
  });

  it('turns capitalised metadata keys into headers, others not; sends the security token; joins path to url', async () => {
    const binding = await create({ url: `${base}/base/`, securityToken: 's3cret', securityTokenHeader: 'X-Token' });
    seen.length = 0;
    await call(binding, 'post', 'plain text', { path: '/sub/path?q=1', 'Content-Type': 'text/plain', Accept: 'text/html', 'X-Custom': 'yes', lower: 'no' });
    expect(seen[0]!.url).toBe('/base/sub/path?q=1');
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'text/plain', accept: 'text/html', 'x-custom': 'yes', 'x-token': 's3cret' });
    expect(seen[0]!.headers['lower']).toBeUndefined();
    expect(seen[0]!.headers['path']).toBeUndefined();
  });

  it('passes trace context metadata as headers', async () => {
    const binding = await create({ url: `${base}/echo` });
    seen.length = 0;
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await call(binding, 'get', '', { traceparent, tracestate: 'a=b' });
    expect(seen[0]!.headers).toMatchObject({ traceparent, tracestate: 'a=b' });
  });

  it('answers the body as data, and status and headers (Go spelling, joined) as metadata', async () => {
    const binding = await create({ url: `${base}/multi` });
    const response = await call(binding, 'get');
    expect(Buffer.from(response.data).toString()).toBe('multi');
    expect(response.metadata).toMatchObject({
      statusCode: '200',
      status: '200 OK',
      'Content-Type': 'text/plain',
      'X-Multi': 'one, two',
      'Set-Cookie': 'a=1, b=2',
    });
    expect(response.contentType).toBe('text/plain');
  });

  it('fails on a non-2xx answer but keeps its metadata and body; errorIfNot2XX turns that off', async () => {
    const strict = await create({ url: `${base}/status/404` });
    const error = await call(strict, 'get').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BindingOperationError);
    expect((error as BindingOperationError).message).toBe('received status code 404');
    expect((error as BindingOperationError).response.metadata).toMatchObject({ statusCode: '404', status: '404 Custom Reason' });
    expect(Buffer.from((error as BindingOperationError).response.data).toString()).toBe('status 404');
    const perRequest = await call(strict, 'get', '', { errorIfNot2XX: 'false' });
    expect(perRequest.metadata['statusCode']).toBe('404');
    const lenient = await create({ url: `${base}/status/503`, errorIfNot2XX: 'false' });
    expect((await call(lenient, 'get')).metadata['statusCode']).toBe('503');
    await expect(call(lenient, 'get', '', { errorIfNot2XX: 'true' })).rejects.toThrow('received status code 503');
  });

  it('through BindingsService: daprd’s message, with the response metadata kept for the app', async () => {
    const service = new BindingsService({ name: 'web', binding: await create({ url: `${base}/status/500` }), features: definition.features });
    const error = (await service.invoke({ operation: 'get' }).catch((e: unknown) => e)) as { message: string; response?: { metadata: Record<string, string> } };
    expect(error.message).toBe('error invoking output binding web: received status code 500');
    expect(error.response?.metadata['statusCode']).toBe('500');
  });

  it('cuts a body longer than maxResponseBodySize, as Dapr does, and keeps everything with 0', async () => {
    expect((await call(await create({ url: `${base}/big`, maxResponseBodySize: '100' }), 'get')).data).toHaveLength(100);
    expect((await call(await create({ url: `${base}/big`, maxResponseBodySize: '1Ki' }), 'get')).data).toHaveLength(1000);
    expect((await call(await create({ url: `${base}/big`, maxResponseBodySize: '0' }), 'get')).data).toHaveLength(1000);
  });

  it('gives up after responseTimeout, saying so', async () => {
    const binding = await create({ url: `${base}/slow`, responseTimeout: '200ms' });
    await expect(call(binding, 'get')).rejects.toThrow(`Get "${base}/slow": context deadline exceeded (responseTimeout 200 ms)`);
  });

  it('reports a refused connection naming the method and URL', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const binding = await create({ url: `http://127.0.0.1:${port}/x` });
    await expect(call(binding, 'post', '{}')).rejects.toThrow(new RegExp(`^Post "http://127.0.0.1:${port}/x": .*ECONNREFUSED`));
  });

  it("never puts the URL's password in an error (the URL may come from a secret store)", async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const binding = await create({ url: `http://user:s3cret-pw@127.0.0.1:${port}/x` });
    const error = (await call(binding, 'get').then(
      () => new Error('no error'),
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(new RegExp(`^Get "http://user:xxxxx@127.0.0.1:${port}/x": .*ECONNREFUSED`));
    expect(error.message).not.toContain('s3cret-pw');
  });

  it('follows redirects as Go does: 302 becomes a GET, 307 keeps method and body, loops stop after 10', async () => {
    const binding = await create({ url: base });
    items.set('target', '"found"');
    seen.length = 0;
    const moved = await call(binding, 'post', '{"x":1}', { path: 'redirect/302/items/target' });
    expect(Buffer.from(moved.data).toString()).toBe('"found"');
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(['POST /redirect/302/items/target {"x":1}', 'GET /items/target ']);
    seen.length = 0;
    await call(binding, 'put', '{"y":2}', { path: 'redirect/307/items/kept' });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(['PUT /redirect/307/items/kept {"y":2}', 'PUT /items/kept {"y":2}']);
    expect(items.get('kept')).toBe('{"y":2}');
    await expect(call(binding, 'get', '', { path: 'loop' })).rejects.toThrow('stopped after 10 redirects');
  });

  it('sends binary data unchanged', async () => {
    const binding = await create({ url: `${base}/items` });
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    seen.length = 0;
    await binding.invoke({ operation: 'put', data: bytes, metadata: { path: 'binary' } });
    expect(seen[0]!.raw).toEqual(bytes);
    expect(seen[0]!.headers['content-length']).toBe('6');
  });
});

describe('bindings.http over TLS', () => {
  const tlsSeen: Seen[] = [];
  const secure = https.createServer(
    { key: pem('server.key'), cert: pem('server.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true },
    handler(tlsSeen, new Map()),
  );
  let secureBase = '';
  beforeAll(async () => {
    secureBase = `https://127.0.0.1:${await listen(secure)}`;
  });
  afterAll(async () => {
    secure.closeAllConnections();
    await new Promise((resolve) => secure.close(resolve));
  });

  it('trusts MTLSRootCA (a file path) and presents MTLSClientCert/MTLSClientKey (PEM text)', async () => {
    const binding = await create({
      url: `${secureBase}/echo`,
      MTLSRootCA: fixture('ca.pem').pathname,
      MTLSClientCert: pem('client.pem'),
      MTLSClientKey: pem('client.key'),
      MTLSRenegotiation: 'RenegotiateOnceAsClient',
    });
    const response = await call(binding, 'get');
    expect(JSON.parse(Buffer.from(response.data).toString())).toEqual({ method: 'GET' });
  });

  it('fails without the client certificate the server requires, and against an untrusted server', async () => {
    const noClientCert = await create({ url: `${secureBase}/echo`, MTLSRootCA: pem('ca.pem') });
    await expect(call(noClientCert, 'get')).rejects.toThrow(/^Get "https:\/\/127.0.0.1:\d+\/echo": /);
    const untrusted = await create({ url: `${secureBase}/echo` });
    await expect(call(untrusted, 'get')).rejects.toThrow(/certificate/i);
  });
});

describe('bindings.http metadata', () => {
  const refused = async (metadata: Record<string, string>) => {
    const error = await create(metadata).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetadataValidationError);
    return (error as MetadataValidationError).issues[0]!;
  };

  it('refuses what cannot work, naming the field', async () => {
    expect(await refused({ url: 'not a url' })).toMatchObject({ field: 'url' });
    expect(await refused({ url: 'ftp://example.com/' })).toMatchObject({ field: 'url', message: /http or https/ });
    expect(await refused({ url: base, maxResponseBodySize: 'lots' })).toMatchObject({ field: 'maxResponseBodySize', message: /invalid size "lots"/ });
    expect(await refused({ url: base, MTLSRootCA: '/no/such/ca.pem' })).toMatchObject({ field: 'MTLSRootCA', message: /neither PEM text nor a readable file/ });
    expect(await refused({ url: base, MTLSRootCA: '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----' })).toMatchObject({
      field: 'MTLSRootCA',
      message: /no certificate that can be read/,
    });
    expect(await refused({ url: base, MTLSClientCert: pem('client.pem'), MTLSClientKey: pem('server.key') })).toMatchObject({ field: 'MTLSClientCert' });
    expect(() => validateMetadata(definition.metadata, { url: base, MTLSRenegotiation: 'Sometimes' })).toThrow(/MTLSRenegotiation.*must be one of/);
    expect(() => validateMetadata(definition.metadata, {})).toThrow(/url.*required/);
  });

  it('declares what Dapr declares for it', () => {
    expect(definition.type).toBe('bindings.http');
    expect(definition.features).toEqual(['OUTPUT']);
    expect(Object.keys(definition.metadata).sort()).toEqual(
      ['url', 'responseTimeout', 'maxResponseBodySize', 'MTLSRootCA', 'MTLSClientCert', 'MTLSClientKey', 'MTLSRenegotiation', 'securityToken', 'securityTokenHeader', 'errorIfNot2XX'].sort(),
    );
  });

  it('parses byte sizes as Kubernetes quantities', () => {
    expect(parseByteSize('100')).toBe(100);
    expect(parseByteSize('1k')).toBe(1000);
    expect(parseByteSize('10Ki')).toBe(10240);
    expect(parseByteSize('100Mi')).toBe(104_857_600);
    expect(parseByteSize('1.5M')).toBe(1_500_000);
    expect(parseByteSize('1e3')).toBe(1000);
    expect(parseByteSize('1500m')).toBe(2);
    expect(parseByteSize('-1')).toBe(-1);
    expect(parseByteSize(42)).toBe(42);
    for (const bad of ['', 'ten', '10 Mi', '10mb', '1.2.3']) expect(() => parseByteSize(bad)).toThrow(/invalid size/);
  });

  it("spells header names as Go's net/http does", () => {
    expect(canonicalHeaderKey('content-type')).toBe('Content-Type');
    expect(canonicalHeaderKey('X-REQUEST-ID')).toBe('X-Request-Id');
    expect(canonicalHeaderKey('etag')).toBe('Etag');
    expect(canonicalHeaderKey('bad header')).toBe('bad header');
  });
});
