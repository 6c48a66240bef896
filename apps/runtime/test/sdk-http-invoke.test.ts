import { createServer, type Server } from 'node:http';
import { CommunicationProtocolEnum, DaprClient, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * Two apps, two sidecars on one host: caller → mechad A → mechad B → app B. App B is a
 * DaprServer for the SDK test and a raw node:http app for verbs, queries, headers, statuses.
 */
describe('invocation through two sidecars', () => {
  const home = tempDir('mecha-home-');
  let sidecarA: MechadProcess;
  let sidecarB: MechadProcess;
  let sidecarRaw: MechadProcess;
  let serverB: DaprServer;
  let rawApp: Server;
  let client: DaprClient;

  beforeAll(async () => {
    const [portB, portRaw] = [await freePort(), await freePort()];
    [sidecarA, sidecarB, sidecarRaw] = await Promise.all([
      startMechad({ appId: 'caller', mechaHome: home }),
      startMechad({ appId: 'greeter', appPort: portB, mechaHome: home }),
      startMechad({ appId: 'echo', appPort: portRaw, mechaHome: home }),
    ]);
    serverB = new DaprServer({
      serverHost: '127.0.0.1',
      serverPort: String(portB),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      clientOptions: { daprHost: '127.0.0.1', daprPort: String(sidecarB.httpPort), logger: { level: LogLevel.Error } },
      logger: { level: LogLevel.Error },
    });
    await serverB.invoker.listen('hello', async ({ body }) => ({ greeting: `hello ${JSON.parse(body ?? '{}').name}` }), {
      method: HttpMethod.POST,
    });
    await serverB.start();

    rawApp = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const status = Number(url.searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-verb': req.method ?? '' });
        res.end(
          JSON.stringify({
            method: req.method,
            path: url.pathname,
            query: url.search,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('base64'),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => rawApp.listen(portRaw, '127.0.0.1', resolve));
    client = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(sidecarA.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    });
    await waitFor(async () => ((await fetch(`${sidecarB.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'greeter ready');
    await waitFor(async () => ((await fetch(`${sidecarRaw.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'echo ready');
  });

  afterAll(async () => {
    await serverB?.stop();
    await new Promise((resolve) => rawApp?.close(resolve));
    await Promise.all([sidecarA?.stop(), sidecarB?.stop(), sidecarRaw?.stop()]);
  });

  it('the SDK invokes a DaprServer method on another app', async () => {
    const answer = await client.invoker.invoke('greeter', 'hello', HttpMethod.POST, { name: 'mecha' });
    expect(answer).toEqual({ greeting: 'hello mecha' });
  });

  for (const verb of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`carries ${verb}, the path, the query string and headers`, async () => {
      const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/orders/7/items?expand=true&tag=a&tag=b`, {
        method: verb,
        headers: { 'x-custom': 'yes', 'content-type': 'application/octet-stream' },
        body: verb === 'GET' ? undefined : new Uint8Array([0, 1, 2, 255]),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-echo-verb')).toBe(verb);
      const echoed = (await response.json()) as { method: string; path: string; query: string; headers: Record<string, string>; body: string };
      expect(echoed.method).toBe(verb);
      expect(echoed.path).toBe('/orders/7/items');
      expect(echoed.query).toBe('?expand=true&tag=a&tag=b');
      expect(echoed.headers['x-custom']).toBe('yes');
      expect(echoed.headers['dapr-caller-app-id']).toBe('caller');
      expect(echoed.headers['dapr-callee-app-id']).toBe('echo');
      if (verb !== 'GET') expect(Buffer.from(echoed.body, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
    });
  }

  for (const status of [201, 404, 500, 503]) {
    it(`carries the app's ${status} back to the caller`, async () => {
      const response = await fetch(`${sidecarA.url}/v1.0/invoke/echo/method/anything?status=${status}`);
      expect(response.status).toBe(status);
    });
  }

  it('accepts the dapr-app-id header form', async () => {
    const response = await fetch(`${sidecarA.url}/some/path?q=1`, { headers: { 'dapr-app-id': 'echo' } });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { path: string; query: string };
    expect(echoed).toMatchObject({ path: '/some/path', query: '?q=1' });
  });

  it('answers ERR_DIRECT_INVOKE for an unknown app id', async () => {
    const response = await fetch(`${sidecarA.url}/v1.0/invoke/nobody/method/x`);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
  });

  it('answers 404 ERR_DIRECT_INVOKE for a path with no app id', async () => {
    const response = await fetch(`${sidecarA.url}/not/an/api`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
  });
});
