import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { CommunicationProtocolEnum, DaprClient, DaprServer, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaprGrpcClient } from './support/dapr-grpc-client.ts';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * The bindings API through real mechad processes: @dapr/dapr clients invoking bindings.http
 * (pointed at a node:http server standing in for an external service) over HTTP and gRPC,
 * DaprServers in HTTP and gRPC mode receiving bindings.cron events, an HTTP app that fails
 * deliveries (retried per the Resiliency policy) or does not serve a binding (not read), and
 * bad input: unknown binding, malformed bodies, unsupported operations, a schedule that does
 * not parse (mechad refuses to start, naming the file and field).
 */

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const component = (name: string, type: string, metadata: Record<string, string>) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${Object.entries(metadata)
  .map(([key, value]) => `    - name: ${key}\n      value: "${value}"`)
  .join('\n')}
`;

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The external service bindings.http calls: stores what is posted under /items/<id>, answers it on GET, 404 otherwise. */
const seen: Seen[] = [];
const items = new Map<string, string>();
const external = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
    const id = request.url!.replace(/^\/items\/?/, '');
    if (request.method === 'GET') {
      const item = items.get(id);
      if (item === undefined) return response.writeHead(404, { 'content-type': 'text/plain', 'x-reason': 'missing' }).end(`no item ${id}`);
      return response.writeHead(200, { 'content-type': 'application/json', 'x-item': id }).end(item);
    }
    items.set(id, body);
    response.writeHead(201, { 'x-item': id }).end();
  });
});
let externalUrl = '';

beforeAll(async () => {
  externalUrl = `http://127.0.0.1:${await listen(external)}`;
});

afterAll(async () => {
  external.closeAllConnections();
  await new Promise((resolve) => external.close(resolve));
});

const clientOptions = (sidecar: MechadProcess, protocol: 'HTTP' | 'gRPC') => ({
  daprHost: '127.0.0.1',
  daprPort: String(protocol === 'HTTP' ? sidecar.httpPort : sidecar.grpcPort),
  communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
  logger: { level: LogLevel.Error },
});

describe('output bindings through mechad (bindings.http)', () => {
  let sidecar: MechadProcess;

  beforeAll(async () => {
    sidecar = await startMechad({
      appId: 'bindings-out',
      resources: {
        'web.yaml': component('web', 'bindings.http', { url: `${externalUrl}/items` }),
        'tick.yaml': component('tick', 'bindings.cron', { schedule: '@every 1h' }),
      },
    });
  });

  afterAll(async () => {
    await sidecar?.stop();
  });

  const post = (pathname: string, body: string, method = 'POST') =>
    fetch(`${sidecar.url}${pathname}`, { method, headers: { 'content-type': 'application/json' }, body });

  it('@dapr/dapr over HTTP: posts JSON and text, reads it back', async () => {
    const client = new DaprClient(clientOptions(sidecar, 'HTTP'));
    try {
      seen.length = 0;
      // The service answers 201 with no body: the binding has no data, so the answer is empty.
      expect(await client.binding.send('web', 'post', { order: 1 }, { path: 'http-json' })).toBe('');
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/items/http-json', body: '{"order":1}' });
      expect(seen[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(await client.binding.send('web', 'get', undefined, { path: 'http-json' })).toEqual({ order: 1 });
      // A string is sent as its text, not as a JSON string.
      await client.binding.send('web', 'create', 'plain words', { path: 'http-text', 'Content-Type': 'text/plain' });
      expect(items.get('http-text')).toBe('plain words');
      expect(seen.at(-1)!.headers['content-type']).toBe('text/plain');
    } finally {
      await client.stop();
    }
  });

  it('@dapr/dapr over gRPC: sends data, gets data and the response metadata', async () => {
    const client = new DaprClient(clientOptions(sidecar, 'gRPC'));
    try {
      await client.binding.send('web', 'put', { order: 2 }, { path: 'grpc-json' });
      expect(items.get('grpc-json')).toBe('{"order":2}');
      const read = (await client.binding.send('web', 'get', undefined, { path: 'grpc-json' })) as { data: Uint8Array; metadata: Record<string, string> };
      expect(JSON.parse(Buffer.from(read.data).toString())).toEqual({ order: 2 });
      expect(read.metadata).toMatchObject({ statusCode: '200', status: '200 OK', 'X-Item': 'grpc-json' });
      await expect(client.binding.send('web', 'get', undefined, { path: 'nothing-here' })).rejects.toThrow(/received status code 404/);
    } finally {
      await client.stop();
    }
  });

  it('answers the data with 200 and the response metadata as metadata.* headers (also on failure), over POST and PUT', async () => {
    items.set('fetched', '{"a":1}');
    const ok = await post('/v1.0/bindings/web', JSON.stringify({ operation: 'get', metadata: { path: 'fetched' } }), 'PUT');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(ok.headers.get('metadata.statuscode')).toBe('200');
    expect(ok.headers.get('metadata.x-item')).toBe('fetched');
    expect(await ok.json()).toEqual({ a: 1 });

    const empty = await post('/v1.0/bindings/web', JSON.stringify({ operation: 'post', data: null, metadata: { path: 'empty' } }));
    expect(empty.status).toBe(204);
    expect(empty.headers.get('metadata.statuscode')).toBe('201');
    expect(items.get('empty')).toBe('');

    const failed = await post('/v1.0/bindings/web', JSON.stringify({ operation: 'get', metadata: { path: 'missing' } }));
    expect(failed.status).toBe(500);
    expect(failed.headers.get('metadata.statuscode')).toBe('404');
    expect(failed.headers.get('metadata.x-reason')).toBe('missing');
    expect(await failed.json()).toEqual({ errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: 'error invoking output binding web: received status code 404' });
  });

  it("answers bad input with daprd's errors", async () => {
    const call = async (name: string, body: string) => {
      const response = await post(`/v1.0/bindings/${name}`, body);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const invokeError = (message: string) => ({ status: 500, body: { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message } });
    expect(await call('nope', '{"operation":"create"}')).toEqual(invokeError("error invoking output binding nope: couldn't find output binding nope"));
    // An input-only binding is no output binding.
    expect(await call('tick', '{"operation":"create"}')).toEqual(invokeError("error invoking output binding tick: couldn't find output binding tick"));
    expect(await call('nope', '{"data":1}')).toEqual(invokeError('error invoking output binding nope: operation field is missing from request'));
    expect(await call('web', '{"operation":"upsert"}')).toEqual(
      invokeError('error invoking output binding web: binding web does not support operation upsert. supported operations:create get head post put patch delete options trace'),
    );
    // Field names are matched regardless of case, as Go decodes JSON.
    expect((await call('web', '{"Operation":"get","Metadata":{"path":"fetched"}}')).status).toBe(200);
    expect(await call('web', '{"operation":')).toMatchObject({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST', message: /^failed deserializing HTTP body: / } });
    expect(await call('web', '')).toEqual({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST', message: 'failed deserializing HTTP body: EOF' } });
    expect(await call('web', '[1,2]')).toMatchObject({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST' } });
    expect(await call('web', '{"operation":42}')).toMatchObject({ status: 400, body: { message: 'failed deserializing HTTP body: operation must be a string' } });
    expect(await call('web', '{"operation":"get","metadata":{"path":7}}')).toMatchObject({ status: 400, body: { message: 'failed deserializing HTTP body: metadata.path must be a string' } });
  });

  it('over raw gRPC: INTERNAL with the same messages, and metadata.* headers also on failure', async () => {
    const client = new DaprGrpcClient(sidecar.grpcPort);
    try {
      const unknown = await client.callWithHeaders('InvokeBinding', { name: 'nope', operation: 'create', data: Buffer.alloc(0), metadata: {} });
      expect(unknown.error?.code).toBe(grpc.status.INTERNAL);
      expect(unknown.error?.details).toBe("error invoking output binding nope: couldn't find output binding nope");
      const missing = await client.callWithHeaders('InvokeBinding', { name: 'web', operation: 'get', metadata: { path: 'missing' } });
      expect(missing.error?.details).toBe('error invoking output binding web: received status code 404');
      expect(missing.headers.get('metadata.statuscode')).toEqual(['404']);
      items.set('raw', '"raw"');
      const found = await client.callWithHeaders<{ data: Buffer; metadata: Record<string, string> }>('InvokeBinding', {
        name: 'web',
        operation: 'get',
        metadata: { path: 'raw' },
      });
      expect(found.response?.data.toString()).toBe('"raw"');
      expect(found.response?.metadata['statusCode']).toBe('200');
      expect(found.headers.get('metadata.statuscode')).toEqual(['200']);
      await expect(client.call('InvokeBinding', { name: 'web', operation: '' })).rejects.toMatchObject({
        details: 'error invoking output binding web: operation field is missing from request',
      });
    } finally {
      client.raw.close();
    }
  });

  it('lists binding directions as capabilities in the metadata API', async () => {
    const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { components: { name: string; type: string; capabilities?: string[] }[] };
    expect(metadata.components).toEqual(
      expect.arrayContaining([
        { name: 'web', type: 'bindings.http', version: 'v1', capabilities: ['OUTPUT_BINDING'] },
        { name: 'tick', type: 'bindings.cron', version: 'v1', capabilities: ['INPUT_BINDING'] },
      ]),
    );
  });
});

for (const protocol of ['HTTP', 'gRPC'] as const) {
  describe(`input bindings to a DaprServer in ${protocol} mode (bindings.cron)`, () => {
    let sidecar: MechadProcess;
    let server: DaprServer;
    const received: unknown[] = [];

    beforeAll(async () => {
      const appPort = await freePort();
      sidecar = await startMechad({
        appId: `bindings-in-${protocol.toLowerCase()}`,
        appPort,
        args: ['--log-as-json', ...(protocol === 'gRPC' ? ['--app-protocol', 'grpc'] : [])],
        resources: {
          'tick.yaml': component('tick', 'bindings.cron', { schedule: '@every 200ms' }),
          'other.yaml': component('other', 'bindings.cron', { schedule: '@every 200ms' }),
        },
      });
      server = new DaprServer({
        serverHost: '127.0.0.1',
        serverPort: String(appPort),
        communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
        clientOptions: clientOptions(sidecar, protocol),
        logger: { level: LogLevel.Error },
      });
      await server.binding.receive('tick', async (data: unknown) => void received.push(data));
      await server.start();
      await waitFor(async () => ((await fetch(`${sidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'mechad ready', 15_000);
    });

    afterAll(async () => {
      await server?.stop();
      await sidecar?.stop();
    });

    it('delivers the schedule’s events to the handler, and does not read a binding the app does not serve', async () => {
      await waitFor(() => (received.length >= 3 ? true : undefined), 'three cron events', 15_000);
      // A cron event has no data.
      expect(received[0] === '' || (typeof received[0] === 'object' && Object.keys(received[0] as object).length === 0)).toBe(true);
      await waitFor(() => (/does not serve this input binding/.test(sidecar.output()) ? true : undefined), 'the log line about "other"');
      expect(sidecar.output()).toMatch(/"binding":"other"[^\n]*does not serve this input binding|does not serve this input binding[^\n]*"binding":"other"/);
    });

    it('stops reading first at shutdown, and exits cleanly', async () => {
      const code = await sidecar.stop();
      expect(code).toBe(0);
      expect(sidecar.output()).toMatch(/mechad stopped/);
      expect(sidecar.output()).not.toMatch(/shutdown: (input bindings|bindings) failed/);
    });
  });
}

describe('input binding delivery to an HTTP app', () => {
  let sidecar: MechadProcess;
  const posts: { url: string; headers: http.IncomingHttpHeaders; body: string; status: number }[] = [];
  const options: string[] = [];
  const app = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'OPTIONS') {
        options.push(request.url!);
        // /ignored is not served: daprd's probe reads 404 as "not subscribed".
        return response.writeHead(request.url === '/ignored' ? 404 : 200).end();
      }
      // The first two deliveries of each event fail; the third succeeds.
      const time = String(request.headers['readtimeutc']);
      const attempt = posts.filter((p) => p.url === request.url && String(p.headers['readtimeutc']) === time).length + 1;
      const status = request.url === '/flaky' && attempt <= 2 ? 503 : 200;
      posts.push({ url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString(), status });
      response.writeHead(status).end();
    });
  });

  beforeAll(async () => {
    const appPort = await listen(app);
    sidecar = await startMechad({
      appId: 'bindings-http-app',
      appPort,
      env: { APP_API_TOKEN: 'app-token' },
      resources: {
        'flaky.yaml': component('flaky', 'bindings.cron', { schedule: '@every 3s' }),
        'routed.yaml': component('routed', 'bindings.cron', { schedule: '@every 300ms', route: '/custom/path' }),
        'declared.yaml': component('declared', 'bindings.cron', { schedule: '@every 300ms', direction: 'input', route: 'ignored' }),
        'ignored.yaml': component('ignored', 'bindings.cron', { schedule: '@every 300ms' }),
        'resiliency.yaml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: quick
spec:
  policies:
    retries:
      fast:
        policy: constant
        duration: 20ms
        maxRetries: 5
  targets:
    components:
      flaky:
        inbound:
          retry: fast
`,
      },
    });
  });

  afterAll(async () => {
    await sidecar?.stop();
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  });

  it("posts events to the binding's route with its metadata as headers and the app token", async () => {
    const event = await waitFor(() => posts.find((p) => p.url === '/custom/path'), 'an event on the route');
    expect(event.body).toBe('');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['timezone']).toBe('Local');
    expect(event.headers['readtimeutc']).toMatch(/ \+0000 UTC$/);
    expect(event.headers['dapr-api-token']).toBe('app-token');
    expect(options).toContain('/custom/path');
  });

  it('retries an event the app failed (per the Resiliency policy) until it takes it', async () => {
    const taken = await waitFor(() => posts.find((p) => p.url === '/flaky' && p.status === 200), 'the flaky event taken', 15_000);
    const sameEvent = posts.filter((p) => p.url === '/flaky' && p.headers['readtimeutc'] === taken.headers['readtimeutc']);
    expect(sameEvent.map((p) => p.status)).toEqual([503, 503, 200]);
  });

  it('reads a binding declared `direction: input` without asking, and skips one the app does not serve', async () => {
    // "declared" routes to /ignored, which answers OPTIONS with 404: it is read anyway, unasked.
    await waitFor(() => posts.find((p) => p.url === '/ignored'), 'an event of the declared binding');
    expect(options.filter((url) => url === '/ignored')).toHaveLength(1); // the probe for "ignored" only
    expect(sidecar.output()).toMatch(/does not serve this input binding/);
  });
});

describe('a cron schedule that does not parse', () => {
  it('stops mechad at start, naming the file, the field and the value', async () => {
    const sidecar = await startMechad({
      appId: 'bindings-bad-cron',
      resources: { 'bad-cron.yaml': component('badcron', 'bindings.cron', { schedule: '61 * * * *' }) },
      waitFor: 'exit',
    });
    expect(await sidecar.exited).toBe(1);
    const output = sidecar.output();
    expect(output).toMatch(/mechad failed to start/);
    expect(output).toMatch(/bad-cron\.yaml/);
    expect(output).toMatch(/spec\.metadata\[0\]/);
    expect(output).toMatch(/metadata field \\?"schedule\\?"/);
    expect(output).toMatch(/61 \* \* \* \*/);
    expect(output).toMatch(/minute: 61 is above the maximum 59/);
  });
});
