import { createServer, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { CommunicationProtocolEnum, DaprClient, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprProtos } from '../src/grpc/protos.ts';
import { DaprGrpcClient, rejectionOf } from './support/dapr-grpc-client.ts';
import { freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface Echoed {
  method: string;
  verb: string;
  query: string;
  headers: Record<string, string | string[]>;
  contentType: string;
  body: string;
}

interface OnInvokeRequest {
  method: string;
  data: { type_url: string; value: Buffer } | null;
  content_type: string;
  http_extension: { verb: string; querystring: string } | null;
}

/** A raw gRPC app: OnInvoke echoes what it received; method `fail` answers NOT_FOUND. */
async function startRawGrpcApp(port: number): Promise<grpc.Server> {
  const server = new grpc.Server();
  server.addService(daprProtos().appCallback.service, {
    OnInvoke: (call: grpc.ServerUnaryCall<OnInvokeRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const { request } = call;
      if (request.method === 'fail') {
        const trailers = new grpc.Metadata();
        trailers.set('x-app-trailer', 'sorry');
        return callback({ code: grpc.status.NOT_FOUND, details: 'no such order', metadata: trailers });
      }
      const headers = new grpc.Metadata();
      headers.set('x-app-header', 'from-grpc-app');
      call.sendMetadata(headers);
      const echoed: Echoed = {
        method: request.method,
        verb: request.http_extension?.verb ?? 'NONE',
        query: request.http_extension?.querystring ?? '',
        headers: Object.fromEntries(Object.entries(call.metadata.toJSON()).map(([k, v]) => [k, v.length === 1 ? String(v[0]) : v.map(String)])),
        contentType: request.content_type,
        body: (request.data?.value ?? Buffer.alloc(0)).toString('base64'),
      };
      callback(null, { data: { type_url: '', value: Buffer.from(JSON.stringify(echoed)) }, content_type: 'application/json' });
    },
    ListTopicSubscriptions: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { subscriptions: [] }),
    ListInputBindings: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { bindings: [] }),
    OnTopicEvent: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { status: 'SUCCESS' }),
    OnBindingEvent: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, {}),
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  return server;
}

/** A raw HTTP app: echoes verb, path, query, headers and body; `?status=` picks the status. */
async function startRawHttpApp(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(Number(url.searchParams.get('status') ?? 200), { 'content-type': 'application/json', 'x-echo-verb': req.method ?? '' });
      const echoed: Echoed = {
        method: url.pathname,
        verb: req.method ?? '',
        query: url.search.slice(1),
        headers: req.headers as Record<string, string>,
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks).toString('base64'),
      };
      res.end(JSON.stringify(echoed));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function startGreeter(port: number, sidecar: MechadProcess, protocol: CommunicationProtocolEnum): Promise<DaprServer> {
  const grpcMode = protocol === CommunicationProtocolEnum.GRPC;
  const server = new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(port),
    communicationProtocol: protocol,
    clientOptions: { daprHost: '127.0.0.1', daprPort: String(grpcMode ? sidecar.grpcPort : sidecar.httpPort), communicationProtocol: protocol, logger: { level: LogLevel.Error } },
    logger: { level: LogLevel.Error },
  });
  const kind = grpcMode ? 'grpc' : 'http';
  await server.invoker.listen('hello', async ({ body }) => ({ greeting: `hello ${(JSON.parse(body || '{}') as { name?: string }).name}`, from: kind }), {
    method: HttpMethod.POST,
  });
  await server.invoker.listen('status', async () => ({ ok: true, from: kind }), { method: HttpMethod.GET });
  await server.start();
  return server;
}

/**
 * Every combination of HTTP and gRPC caller apps with HTTP and gRPC target apps, through
 * two sidecars that talk Dapr's internal protocol: the official SDK on both ends, and raw
 * apps on both ends that show exactly which verb, query, headers and status travel.
 */
describe('invocation between HTTP and gRPC apps through two sidecars', () => {
  const home = tempDir('mecha-home-');
  const sidecars: MechadProcess[] = [];
  let caller: MechadProcess;
  let rawGrpcApp: grpc.Server;
  let rawHttpApp: Server;
  const greeters: DaprServer[] = [];
  let httpClient: DaprClient;
  let grpcClient: DaprClient;
  let raw: DaprGrpcClient;

  beforeAll(async () => {
    const [greeterHttpPort, greeterGrpcPort, echoHttpPort, echoGrpcPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const started = await Promise.all([
      startMechad({ appId: 'caller', mechaHome: home }),
      startMechad({ appId: 'greeter-http', appPort: greeterHttpPort, mechaHome: home }),
      startMechad({ appId: 'greeter-grpc', appPort: greeterGrpcPort, mechaHome: home, args: ['--app-protocol', 'grpc'] }),
      startMechad({ appId: 'echo-http', appPort: echoHttpPort, mechaHome: home }),
      startMechad({ appId: 'echo-grpc', appPort: echoGrpcPort, mechaHome: home, args: ['--app-protocol', 'grpc'] }),
    ]);
    sidecars.push(...started);
    caller = started[0];
    greeters.push(
      await startGreeter(greeterHttpPort, started[1], CommunicationProtocolEnum.HTTP),
      await startGreeter(greeterGrpcPort, started[2], CommunicationProtocolEnum.GRPC),
    );
    rawHttpApp = await startRawHttpApp(echoHttpPort);
    rawGrpcApp = await startRawGrpcApp(echoGrpcPort);
    for (const sidecar of started.slice(1)) {
      await waitFor(async () => ((await fetch(`${sidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), `${sidecar.url} ready`);
    }
    const options = { daprHost: '127.0.0.1', logger: { level: LogLevel.Error } };
    httpClient = new DaprClient({ ...options, daprPort: String(caller.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP });
    grpcClient = new DaprClient({ ...options, daprPort: String(caller.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC });
    raw = new DaprGrpcClient(caller.grpcPort);
  });

  afterAll(async () => {
    raw?.close();
    await Promise.all(greeters.map((g) => g.stop()));
    rawGrpcApp?.forceShutdown();
    await new Promise((resolve) => rawHttpApp?.close(resolve));
    await Promise.all(sidecars.map((s) => s.stop()));
  });

  describe('the SDK on both ends', () => {
    for (const callerKind of ['http', 'grpc'] as const) {
      for (const targetKind of ['http', 'grpc'] as const) {
        it(`a ${callerKind.toUpperCase()} DaprClient calls a ${targetKind.toUpperCase()} DaprServer`, async () => {
          const client = callerKind === 'http' ? httpClient : grpcClient;
          const target = `greeter-${targetKind}`;
          expect(await client.invoker.invoke(target, 'hello', HttpMethod.POST, { name: callerKind })).toEqual({ greeting: `hello ${callerKind}`, from: targetKind });
          expect(await client.invoker.invoke(target, 'status', HttpMethod.GET)).toEqual({ ok: true, from: targetKind });
        });
      }
    }
  });

  describe('HTTP caller', () => {
    it('→ HTTP app: verb, path, query, headers, status', async () => {
      const response = await fetch(`${caller.url}/v1.0/invoke/echo-http/method/orders/7?expand=1&status=202`, {
        method: 'PUT',
        headers: { 'x-custom': 'yes', 'content-type': 'text/plain' },
        body: 'box',
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('x-echo-verb')).toBe('PUT');
      const echoed = (await response.json()) as Echoed;
      expect(echoed).toMatchObject({ verb: 'PUT', method: '/orders/7', query: 'expand=1&status=202', contentType: 'text/plain' });
      expect(echoed.headers).toMatchObject({ 'x-custom': 'yes', 'dapr-caller-app-id': 'caller', 'dapr-callee-app-id': 'echo-http' });
      expect(Buffer.from(echoed.body, 'base64').toString()).toBe('box');
    });

    it('→ gRPC app: verb and query in the HTTP extension, headers as metadata, the app’s metadata back as headers', async () => {
      const response = await fetch(`${caller.url}/v1.0/invoke/echo-grpc/method/orders/7?expand=1`, {
        method: 'PATCH',
        headers: { 'x-custom': 'yes', 'content-type': 'application/octet-stream', cookie: 'c=1' },
        body: new Uint8Array([0, 1, 254, 255]),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-app-header')).toBe('from-grpc-app');
      const echoed = (await response.json()) as Echoed;
      expect(echoed).toMatchObject({ method: 'orders/7', verb: 'PATCH', query: 'expand=1', contentType: 'application/octet-stream' });
      expect(echoed.headers).toMatchObject({ 'x-custom': 'yes', 'dapr-caller-app-id': 'caller', 'dapr-callee-app-id': 'echo-grpc' });
      // HTTP headers that mean something else in HTTP/2 reach a gRPC app prefixed, as daprd sends them.
      expect(echoed.headers['dapr-cookie']).toBe('c=1');
      expect(Buffer.from(echoed.body, 'base64')).toEqual(Buffer.from([0, 1, 254, 255]));
    });

    it('→ gRPC app failing: the HTTP status of its gRPC code, the status as JSON', async () => {
      const response = await fetch(`${caller.url}/v1.0/invoke/echo-grpc/method/fail`, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ code: grpc.status.NOT_FOUND, message: 'no such order' });
    });
  });

  describe('gRPC caller (InvokeService)', () => {
    const invoke = (id: string, method: string, verb: string, querystring: string, body: string, metadata: Record<string, string> = {}) =>
      raw.callWithHeaders<{ data: { value: Buffer }; content_type: string }>(
        'InvokeService',
        { id, message: { method, data: { type_url: '', value: Buffer.from(body) }, content_type: 'text/plain', http_extension: { verb, querystring } } },
        metadata,
      );

    it('→ HTTP app: verb, query, metadata as headers; headers and dapr-http-status back', async () => {
      const { response, headers } = await invoke('echo-http', 'orders/9', 'DELETE', 'force=true', 'gone', { 'x-custom': 'grpc-side' });
      const echoed = JSON.parse(response!.data.value.toString()) as Echoed;
      expect(echoed).toMatchObject({ verb: 'DELETE', method: '/orders/9', query: 'force=true', contentType: 'text/plain' });
      expect(echoed.headers).toMatchObject({ 'x-custom': 'grpc-side', 'dapr-caller-app-id': 'caller', 'dapr-callee-app-id': 'echo-http' });
      expect(Buffer.from(echoed.body, 'base64').toString()).toBe('gone');
      expect(headers.get('dapr-http-status')).toEqual(['200']);
      expect(headers.get('x-echo-verb')).toEqual(['DELETE']);
    });

    it('→ HTTP app answering 404: NOT_FOUND with dapr-http-status 404', async () => {
      const { error, headers } = await invoke('echo-http', 'missing', 'GET', 'status=404', '');
      expect(error?.code).toBe(grpc.status.NOT_FOUND);
      expect(headers.get('dapr-http-status')).toEqual(['404']);
    });

    it('→ gRPC app: method, verb, query, metadata and data arrive as sent', async () => {
      const { response } = await invoke('echo-grpc', 'orders/9', 'GET', 'a=1', 'payload', { 'x-custom': 'grpc-side' });
      const echoed = JSON.parse(response!.data.value.toString()) as Echoed;
      expect(echoed).toMatchObject({ method: 'orders/9', verb: 'GET', query: 'a=1', contentType: 'text/plain' });
      expect(echoed.headers).toMatchObject({ 'x-custom': 'grpc-side', 'dapr-caller-app-id': 'caller', 'dapr-callee-app-id': 'echo-grpc' });
      expect(Buffer.from(echoed.body, 'base64').toString()).toBe('payload');
      expect(response!.content_type).toBe('application/json');
    });

    it('→ gRPC app failing: the caller gets the app’s own status and message', async () => {
      const error = await rejectionOf(raw.call('InvokeService', { id: 'echo-grpc', message: { method: 'fail', http_extension: { verb: 'POST' } } }));
      expect(error.code).toBe(grpc.status.NOT_FOUND);
      expect(error.details).toBe('no such order');
    });

    it('→ an app id nobody serves: INTERNAL ERR_DIRECT_INVOKE', async () => {
      const error = await rejectionOf(raw.call('InvokeService', { id: 'nobody', message: { method: 'x', http_extension: { verb: 'GET' } } }));
      expect(error.code).toBe(grpc.status.INTERNAL);
      expect(error.details).toContain('failed to invoke, id: nobody');
    });
  });
});
