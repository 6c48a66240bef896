import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprProtos } from '../src/grpc/protos.ts';
import { freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface WireResponse {
  status: { code: number; message: string };
  headers: Record<string, { values: string[] }>;
  message: { data: { value: Buffer } | null; content_type: string } | null;
}
interface StreamChunk {
  response: WireResponse | null;
  payload: { data: Buffer; seq: string } | null;
}
type Client = grpc.Client & {
  CallLocal(request: unknown, callback: (error: grpc.ServiceError | null, response: WireResponse) => void): void;
  CallLocalStream(): grpc.ClientDuplexStream<unknown, StreamChunk>;
  CallActor(request: unknown, callback: (error: grpc.ServiceError | null, response: unknown) => void): void;
};

interface Echoed {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * HTTP apps behind two sidecars that talk Dapr's internal protocol
 * (`dapr.proto.internals.v1.ServiceInvocation`): caller → mechad A → CallLocalStream →
 * mechad B → app. The echo app reports what it received; `/raw` answers the body as sent.
 */
describe('sidecar to sidecar over the internal gRPC protocol, HTTP apps', () => {
  const home = tempDir('mecha-home-');
  let sidecarA: MechadProcess;
  let sidecarB: MechadProcess;
  let sidecarNoApp: MechadProcess;
  let internalPortB: number;
  let echoApp: Server;
  let clientB: Client;
  let clientA: Client;

  const registry = (appId: string) => {
    const folder = path.join(home, 'instances');
    const file = readdirSync(folder).find((name) => name.startsWith(`${appId}-`) && name.endsWith('.json'));
    return file ? (JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as { internalGrpcPort?: number }) : undefined;
  };

  const wireRequest = (overrides: { method?: string; verb?: string; query?: string; metadata?: Record<string, string[]>; data?: Buffer } = {}) => ({
    ver: 'V1',
    metadata: Object.fromEntries(
      Object.entries({ 'dapr-caller-app-id': ['remote-caller'], 'destination-app-id': ['echo'], ...overrides.metadata }).map(([k, v]) => [k, { values: v }]),
    ),
    message: {
      method: overrides.method ?? 'items/1',
      data: { type_url: '', value: overrides.data ?? Buffer.alloc(0) },
      content_type: 'application/octet-stream',
      http_extension: { verb: overrides.verb ?? 'POST', querystring: overrides.query ?? '' },
    },
  });

  const callLocal = (client: Client, request: unknown) =>
    new Promise<WireResponse>((resolve, reject) => client.CallLocal(request, (error, response) => (error ? reject(error) : resolve(response))));

  /** Sends the chunks as given and gathers the answer. */
  const callLocalStream = (client: Client, chunks: unknown[]) =>
    new Promise<StreamChunk[]>((resolve, reject) => {
      const stream = client.CallLocalStream();
      const received: StreamChunk[] = [];
      stream.on('data', (chunk: StreamChunk) => received.push(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve(received));
      for (const chunk of chunks) stream.write(chunk);
      stream.end();
    });

  beforeAll(async () => {
    const appPort = await freePort();
    internalPortB = await freePort();
    echoApp = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const body = Buffer.concat(chunks);
        if (url.pathname === '/raw') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return res.end(body);
        }
        const status = Number(url.searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-verb': req.method ?? '', 'set-cookie': ['a=1', 'b=2'] });
        res.end(
          req.method === 'HEAD'
            ? undefined
            : JSON.stringify({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body: body.toString('base64') }),
        );
      });
    });
    await new Promise<void>((resolve) => echoApp.listen(appPort, '127.0.0.1', resolve));
    [sidecarA, sidecarB, sidecarNoApp] = await Promise.all([
      startMechad({ appId: 'caller', mechaHome: home }),
      startMechad({ appId: 'echo', appPort, mechaHome: home, args: ['--dapr-internal-grpc-port', String(internalPortB)] }),
      startMechad({ appId: 'noapp', mechaHome: home }),
    ]);
    await waitFor(async () => ((await fetch(`${sidecarB.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'echo ready');
    const ServiceInvocation = daprProtos().serviceInvocation as unknown as new (address: string, credentials: grpc.ChannelCredentials) => Client;
    clientB = new ServiceInvocation(`127.0.0.1:${internalPortB}`, grpc.credentials.createInsecure());
    clientA = new ServiceInvocation(`127.0.0.1:${registry('caller')!.internalGrpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    clientA?.close();
    clientB?.close();
    await new Promise((resolve) => echoApp?.close(resolve));
    await Promise.all([sidecarA?.stop(), sidecarB?.stop(), sidecarNoApp?.stop()]);
  });

  it('announces each sidecar’s internal gRPC port in name resolution (the flag, or one chosen at start)', () => {
    expect(registry('echo')?.internalGrpcPort).toBe(internalPortB);
    const chosen = registry('caller')?.internalGrpcPort;
    expect(chosen).toBeGreaterThan(0);
    expect(chosen).not.toBe(sidecarA.grpcPort);
  });

  for (const verb of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`carries ${verb}, the path, the query string, headers and a binary body`, async () => {
      const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/orders/7/items?expand=true&tag=a&tag=b`, {
        method: verb,
        headers: { 'x-custom': 'yes', 'content-type': 'application/octet-stream', 'grpc-timeout': '1S' },
        body: verb === 'GET' || verb === 'OPTIONS' ? undefined : new Uint8Array([0, 1, 2, 255]),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-echo-verb')).toBe(verb);
      expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
      expect(response.headers.get('content-type')).toBe('application/json');
      const echoed = (await response.json()) as Echoed;
      expect(echoed.method).toBe(verb);
      expect(echoed.path).toBe('/orders/7/items');
      expect(echoed.query).toBe('?expand=true&tag=a&tag=b');
      expect(echoed.headers['x-custom']).toBe('yes');
      // gRPC's reserved names are renamed so they cannot steer a gRPC hop.
      expect(echoed.headers['grpc-timeout']).toBeUndefined();
      expect(echoed.headers['dapr-grpc-timeout']).toBe('1S');
      expect(echoed.headers['dapr-caller-app-id']).toBe('caller');
      expect(echoed.headers['dapr-caller-namespace']).toBe('default');
      expect(echoed.headers['dapr-callee-app-id']).toBe('echo');
      expect(echoed.headers['destination-app-id']).toBeUndefined();
      expect(echoed.headers['mecha-forwarded-by']).toBeUndefined();
      if (verb !== 'GET' && verb !== 'OPTIONS') {
        expect(echoed.headers['content-type']).toBe('application/octet-stream');
        expect(Buffer.from(echoed.body, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
      }
    });
  }

  it('carries HEAD: status and headers, no body', async () => {
    const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/anything`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo-verb')).toBe('HEAD');
  });

  for (const status of [201, 204, 400, 404, 500, 503]) {
    it(`carries the app’s ${status} and its headers back to the caller`, async () => {
      const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/anything?status=${status}`);
      expect(response.status).toBe(status);
      expect(response.headers.get('x-echo-verb')).toBe('GET');
    });
  }

  it('carries bodies larger than one stream chunk unchanged, both ways', async () => {
    const body = randomBytes(700 * 1024 + 17);
    const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/raw`, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
  });

  it('carries concurrent calls without mixing them up', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/raw`, { method: 'PUT', body: `call-${i}` });
        return response.text();
      }),
    );
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => `call-${i}`));
  });

  it('answers 500 ERR_DIRECT_INVOKE when the target sidecar has no app', async () => {
    const response = await fetch(`${sidecarA.url}/v1.0/invoke/noapp/method/x`);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(body.message).toContain('app channel is not initialized');
  });

  describe('the internal port, spoken to directly', () => {
    it('CallLocal delivers to the app and answers status, headers and body', async () => {
      const response = await callLocal(
        clientB,
        wireRequest({ verb: 'PUT', query: 'a=1&a=2', metadata: { 'X-Mixed-Case': ['kept'] }, data: Buffer.from('payload') }),
      );
      expect(response.status.code).toBe(200);
      expect(response.headers['x-echo-verb']?.values).toEqual(['PUT']);
      expect(response.headers['content-length']).toBeUndefined();
      expect(response.message?.content_type).toBe('application/json');
      const echoed = JSON.parse(response.message!.data!.value.toString()) as Echoed;
      expect(echoed).toMatchObject({ method: 'PUT', path: '/items/1', query: '?a=1&a=2' });
      expect(echoed.headers['x-mixed-case']).toBe('kept');
      expect(echoed.headers['dapr-caller-app-id']).toBe('remote-caller');
      expect(Buffer.from(echoed.body, 'base64').toString()).toBe('payload');
    });

    it('CallLocalStream reassembles the payload chunks in order', async () => {
      const request = wireRequest({ method: 'raw' });
      request.message.data = { type_url: '', value: Buffer.alloc(0) };
      const chunks = await callLocalStream(clientB, [
        { request, payload: { data: Buffer.from('one-'), seq: 0 } },
        { payload: { data: Buffer.from('two-'), seq: 1 } },
        { payload: { data: Buffer.from('three'), seq: 2 } },
      ]);
      expect(chunks[0]!.response?.status.code).toBe(200);
      expect(chunks.slice(1).every((chunk) => chunk.response === null)).toBe(true);
      const body = Buffer.concat(chunks.map((chunk) => chunk.payload?.data ?? Buffer.alloc(0)));
      expect(body.toString()).toBe('one-two-three');
      expect(chunks.map((chunk) => chunk.payload?.seq)).toEqual(chunks.map((_, i) => String(i)));
    });

    it('refuses payload chunks out of order with INVALID_ARGUMENT', async () => {
      const error = await callLocalStream(clientB, [
        { request: wireRequest({ method: 'raw' }), payload: { data: Buffer.from('a'), seq: 0 } },
        { payload: { data: Buffer.from('c'), seq: 2 } },
      ]).catch((e: grpc.ServiceError) => e);
      expect((error as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((error as grpc.ServiceError).details).toContain('invalid sequence number');
    });

    it('refuses a request without its message, or a second request in the stream, with INVALID_ARGUMENT', async () => {
      const unary = await callLocal(clientB, { ver: 'V1', metadata: {} }).catch((e: grpc.ServiceError) => e);
      expect((unary as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((unary as grpc.ServiceError).details).toContain('parsing InternalInvokeRequest error');
      const streamed = await callLocalStream(clientB, [{ payload: { data: Buffer.from('x'), seq: 0 } }]).catch((e: grpc.ServiceError) => e);
      expect((streamed as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      const twice = await callLocalStream(clientB, [{ request: wireRequest() }, { request: wireRequest() }]).catch((e: grpc.ServiceError) => e);
      expect((twice as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    });

    it('refuses methods with forbidden characters and resolves path traversal inside the method', async () => {
      const error = await callLocal(clientB, wireRequest({ method: 'a?b=1' })).catch((e: grpc.ServiceError) => e);
      expect((error as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      const response = await callLocal(clientB, wireRequest({ method: 'a/../../../secret/./x', verb: 'GET' }));
      expect((JSON.parse(response.message!.data!.value.toString()) as Echoed).path).toBe('/secret/x');
    });

    it('refuses a call without an HTTP verb for an HTTP app, as daprd does', async () => {
      const request = wireRequest();
      const error = await callLocal(clientB, { ...request, message: { ...request.message, http_extension: null } }).catch((e: grpc.ServiceError) => e);
      expect((error as grpc.ServiceError).code).toBe(grpc.status.INTERNAL);
      expect((error as grpc.ServiceError).details).toContain('missing HTTP extension field');
      const none = await callLocal(clientB, wireRequest({ verb: 'NONE' })).catch((e: grpc.ServiceError) => e);
      expect((none as grpc.ServiceError).details).toContain('invalid HTTP verb');
    });

    it('never forwards: a call meant for another app is refused with UNAVAILABLE, not passed on', async () => {
      const error = await callLocal(clientA, wireRequest({ metadata: { 'destination-app-id': ['echo'] } })).catch((e: grpc.ServiceError) => e);
      expect((error as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
      expect((error as grpc.ServiceError).details).toContain('serves app caller, not echo');
      // The forwarding mark cannot be forged through metadata either: the caller id comes from dapr-caller-app-id.
      const response = await callLocal(clientB, wireRequest({ verb: 'GET', metadata: { 'mecha-forwarded-by': ['forged'] } }));
      expect((JSON.parse(response.message!.data!.value.toString()) as Echoed).headers['dapr-caller-app-id']).toBe('remote-caller');
    });

    it('answers UNIMPLEMENTED naming the actors block for the actor methods', async () => {
      const error = await new Promise<grpc.ServiceError | null>((resolve) => clientB.CallActor(wireRequest(), (e) => resolve(e)));
      expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(error?.details).toContain('actors');
    });

    it('stays up after all of that', async () => {
      expect((await fetch(`${sidecarB.url}/v1.0/healthz`)).status).toBe(204);
      expect((await callLocal(clientB, wireRequest({ verb: 'GET' }))).status.code).toBe(200);
    });
  });
});
