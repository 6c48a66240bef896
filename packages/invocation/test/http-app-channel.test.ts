import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MechaError } from '@mecha/core';
import { HttpAppChannel } from '../src/index.ts';
import { noBody, startRecordingApp, unusedPort, type RecordingApp } from './support/recording-app.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function appAnswering(handler: Parameters<typeof startRecordingApp>[0]): Promise<{ app: RecordingApp; channel: HttpAppChannel }> {
  const app = await startRecordingApp(handler);
  const channel = new HttpAppChannel({ port: app.port, appId: 'orders' });
  cleanups.push(() => app.close(), () => channel.close());
  return { app, channel };
}

describe('HttpAppChannel', () => {
  it('carries verb, method path, query, headers and body to the app', async () => {
    const { app, channel } = await appAnswering((_req, res) => res.end('ok'));
    const response = await channel.invoke({
      method: 'orders/42/items',
      httpVerb: 'put',
      query: 'a=1&b=two%20words&a=3',
      headers: { 'content-type': 'application/json', 'x-custom': ['one', 'two'], traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      body: new TextEncoder().encode('{"n":1}'),
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body).toString()).toBe('ok');
    const seen = app.requests[0]!;
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/orders/42/items?a=1&b=two%20words&a=3');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['x-custom']).toBe('one, two');
    expect(seen.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(seen.headers['content-length']).toBe('7');
    expect(seen.body.toString()).toBe('{"n":1}');
  });

  it('drops hop-by-hop headers, recomputes content-length and sends the app API token', async () => {
    const app = await startRecordingApp((_req, res) => res.end());
    const channel = new HttpAppChannel({ port: app.port, appApiToken: 'app-secret' });
    cleanups.push(() => app.close(), () => channel.close());
    await channel.invoke({
      method: '/hello',
      httpVerb: 'POST',
      query: '',
      headers: {
        connection: 'keep-alive, x-hop',
        'x-hop': 'must go',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic abc',
        te: 'trailers',
        trailer: 'x-t',
        host: 'example.com:1234',
        'content-length': '999',
        expect: '100-continue',
        'dapr-api-token': 'callers-token',
        'x-kept': 'yes',
      },
      body: new Uint8Array([1, 2, 3]),
    });
    const seen = app.requests[0]!;
    expect(seen.url).toBe('/hello');
    for (const name of ['x-hop', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'te', 'trailer', 'expect']) {
      expect(seen.headers[name], name).toBeUndefined();
    }
    expect(seen.headers['host']).toBe(`127.0.0.1:${app.port}`);
    expect(seen.headers['content-length']).toBe('3');
    expect(seen.headers['dapr-api-token']).toBe('app-secret');
    expect(seen.headers['x-kept']).toBe('yes');
  });

  it.each([201, 204, 404, 500])('returns the app status %i with its headers and body as the app answered', async (status) => {
    const { channel } = await appAnswering((_req, res) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/problem+json');
      res.setHeader('x-answer', ['a', 'b']);
      res.end(status === 204 ? undefined : JSON.stringify({ status }));
    });
    const response = await channel.invoke({ method: 'x', httpVerb: 'GET', query: '', headers: {}, body: noBody });
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['x-answer']).toEqual(['a', 'b']);
    expect(response.headers['connection']).toBeUndefined();
    expect(response.headers['keep-alive']).toBeUndefined();
    expect(Buffer.from(response.body).toString()).toBe(status === 204 ? '' : JSON.stringify({ status }));
  });

  it('carries binary bodies both ways byte for byte', async () => {
    const { channel } = await appAnswering((req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(Buffer.from(req.body.map((byte) => 255 - byte)));
    });
    const sent = new Uint8Array(70_000);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 31 + 7) % 256;
    const response = await channel.invoke({ method: 'flip', httpVerb: 'POST', query: '', headers: { 'content-type': 'application/octet-stream' }, body: sent });
    expect(response.body.byteLength).toBe(sent.length);
    expect(Buffer.from(response.body).equals(Buffer.from(sent.map((byte) => 255 - byte)))).toBe(true);
  });

  it('answers HEAD and OPTIONS without a body', async () => {
    const { app, channel } = await appAnswering((req, res) => {
      res.setHeader('allow', 'GET, HEAD');
      res.end(req.method === 'HEAD' ? undefined : 'x');
    });
    const head = await channel.invoke({ method: 'r', httpVerb: 'HEAD', query: '', headers: {}, body: noBody });
    const options = await channel.invoke({ method: 'r', httpVerb: 'OPTIONS', query: '', headers: {}, body: noBody });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    expect(options.headers['allow']).toBe('GET, HEAD');
    expect(app.requests.map((r) => r.method)).toEqual(['HEAD', 'OPTIONS']);
  });

  it('get() is a GET with the query split off, as used for /dapr/subscribe', async () => {
    const { app, channel } = await appAnswering((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('[{"pubsubname":"p","topic":"t","route":"/t"}]');
    });
    const response = await channel.get('/dapr/subscribe?x=1');
    expect(JSON.parse(Buffer.from(response.body).toString())).toEqual([{ pubsubname: 'p', topic: 't', route: '/t' }]);
    expect(app.requests[0]!.method).toBe('GET');
    expect(app.requests[0]!.url).toBe('/dapr/subscribe?x=1');
  });

  it('keeps connections alive between calls', async () => {
    const { app, channel } = await appAnswering((_req, res) => res.end('k'));
    for (let i = 0; i < 6; i++) await channel.get('/k');
    const connections = new Set(app.requests.map((r) => r.remotePort));
    expect(app.requests).toHaveLength(6);
    // undici may open a second connection while the first finishes its bookkeeping, but reuses them.
    expect(connections.size).toBeLessThanOrEqual(2);
  });

  it('never has more than maxConcurrency calls in flight at the app', async () => {
    let inFlight = 0;
    let peak = 0;
    const app = await startRecordingApp(async (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight--;
      res.end();
    });
    const channel = new HttpAppChannel({ port: app.port, maxConcurrency: 2 });
    cleanups.push(() => app.close(), () => channel.close());
    const answers = await Promise.all(Array.from({ length: 8 }, () => channel.get('/slow')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(app.requests).toHaveLength(8);
    expect(peak).toBe(2);
  });

  it('fails with ERR_DIRECT_INVOKE naming the app and the address when nothing listens', async () => {
    const port = await unusedPort();
    const channel = new HttpAppChannel({ port, appId: 'orders' });
    cleanups.push(() => channel.close());
    const failure = await channel.get('/x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MechaError);
    expect(failure).toMatchObject({ code: 'ERR_DIRECT_INVOKE', kind: 'internal' });
    expect((failure as MechaError).message).toContain('app orders');
    expect((failure as MechaError).message).toContain(`http://127.0.0.1:${port}`);
    expect((failure as MechaError).message).toContain('ECONNREFUSED');
  });

  it('fails with ERR_DIRECT_INVOKE when the app does not answer within timeoutMs', async () => {
    const app = await startRecordingApp(() => undefined); // never answers
    const channel = new HttpAppChannel({ port: app.port, timeoutMs: 100 });
    cleanups.push(() => app.close(), () => channel.close());
    await expect(channel.get('/hang')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
  });

  it('rejects with the abort reason when the call is aborted', async () => {
    const app = await startRecordingApp(() => undefined);
    const channel = new HttpAppChannel({ port: app.port });
    cleanups.push(() => app.close(), () => channel.close());
    const controller = new AbortController();
    const pending = channel.invoke({ method: 'hang', httpVerb: 'GET', query: '', headers: {}, body: noBody, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client went away')), 20);
    await expect(pending).rejects.toThrow('client went away');
  });

  it('refuses a port outside 1..65535', () => {
    expect(() => new HttpAppChannel({ port: 0 })).toThrow(RangeError);
    expect(() => new HttpAppChannel({ port: 70000 })).toThrow(RangeError);
  });
});

describe('HttpAppChannel.waitForPort', () => {
  it('resolves once the app starts listening', async () => {
    const port = await unusedPort();
    const channel = new HttpAppChannel({ port });
    cleanups.push(() => channel.close());
    let listening = false;
    const server = createServer((socket) => socket.destroy());
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    setTimeout(() => server.listen(port, '127.0.0.1', () => (listening = true)), 150);
    await channel.waitForPort({ timeoutMs: 10_000 });
    expect(listening).toBe(true);
  });

  it('fails after timeoutMs when nothing listens', async () => {
    const channel = new HttpAppChannel({ port: await unusedPort() });
    cleanups.push(() => channel.close());
    await expect(channel.waitForPort({ timeoutMs: 250 })).rejects.toMatchObject({ code: 'ERR_APP_CHANNEL', kind: 'deadline-exceeded' });
  });

  it('stops when the signal aborts', async () => {
    const channel = new HttpAppChannel({ port: await unusedPort() });
    cleanups.push(() => channel.close());
    const pending = channel.waitForPort({ signal: AbortSignal.timeout(200) });
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
