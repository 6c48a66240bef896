import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isMechaError, MechaError } from '@mecha/core';
import { HttpAppChannel, HttpSidecarInvoker, InvocationService } from '../src/index.ts';
import { MapResolver } from './support/map-resolver.ts';
import { noBody, startRecordingApp, unusedPort, type RecordingApp } from './support/recording-app.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function headerRecord(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}

/** Just enough of a sidecar's HTTP API to route `/v1.0/invoke/<id>/method/<m>` into an InvocationService. */
async function startMiniSidecar(service: InvocationService, requiredToken?: string): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push(req.headers);
      if (requiredToken && req.headers['dapr-api-token'] !== requiredToken) {
        res.statusCode = 401;
        res.end('invalid api token');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://sidecar');
      const match = /^\/v1\.0\/invoke\/([^/]+)\/method\/(.*)$/.exec(url.pathname);
      if (!match) {
        res.statusCode = 404;
        res.end();
        return;
      }
      service
        .invoke(decodeURIComponent(match[1]!), {
          method: match[2]!,
          httpVerb: req.method ?? 'GET',
          query: url.search.slice(1),
          headers: headerRecord(req.headers),
          body: Buffer.concat(chunks),
        })
        .then(
          (answer) => {
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify(isMechaError(error) ? error.toJSON() : { errorCode: 'ERROR', message: String(error) }));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen };
}

interface Pair {
  caller: InvocationService;
  callerResolver: MapResolver;
  calleeResolver: MapResolver;
  calleeApp: RecordingApp;
  sidecar: { port: number; seen: IncomingHttpHeaders[] };
}

/** orders (caller, no app) → sidecar of billing (a mini HTTP API) → billing's app. */
async function startPair(handler: Parameters<typeof startRecordingApp>[0], token?: string): Promise<Pair> {
  const calleeApp = await startRecordingApp(handler);
  const channel = new HttpAppChannel({ port: calleeApp.port, appId: 'billing' });
  const calleeResolver = new MapResolver();
  const callee = new InvocationService({ appId: 'billing', appChannel: channel, resolver: calleeResolver });
  const sidecar = await startMiniSidecar(callee, token);
  const callerResolver = new MapResolver();
  await callerResolver.register({ appId: 'billing', host: '127.0.0.1', httpPort: sidecar.port, pid: process.pid });
  const caller = new InvocationService({
    appId: 'orders',
    resolver: callerResolver,
    remote: token ? new HttpSidecarInvoker({ apiToken: token }) : undefined,
  });
  cleanups.push(() => calleeApp.close(), () => channel.close(), () => callee.close(), () => caller.close());
  return { caller, callerResolver, calleeResolver, calleeApp, sidecar };
}

describe('remote invocation through another sidecar', () => {
  it('carries verb, method path, query, headers and a binary body to the other app, with caller and callee ids', async () => {
    const { caller, calleeApp, sidecar } = await startPair((req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(req.body);
    });
    const bytes = new Uint8Array(256).map((_, i) => i);
    const response = await caller.invoke('billing', {
      method: 'invoices/2024/a%20b',
      httpVerb: 'PATCH',
      query: 'x=1&x=2&y=%2F',
      headers: {
        'content-type': 'application/octet-stream',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'x-user': 'u1',
        'dapr-api-token': 'my-own-sidecars-token',
      },
      body: bytes,
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.from(response.body).equals(Buffer.from(bytes))).toBe(true);

    const seen = calleeApp.requests[0]!;
    expect(seen.method).toBe('PATCH');
    expect(seen.url).toBe('/invoices/2024/a%20b?x=1&x=2&y=%2F');
    expect(seen.headers['dapr-caller-app-id']).toBe('orders');
    expect(seen.headers['dapr-caller-namespace']).toBe('default');
    expect(seen.headers['dapr-callee-app-id']).toBe('billing');
    expect(seen.headers['traceparent']).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(seen.headers['x-user']).toBe('u1');
    expect(seen.headers['mecha-forwarded-by']).toBeUndefined();
    expect(seen.headers['dapr-api-token']).toBeUndefined();

    // The hop between the sidecars carries the forwarding mark, not the caller's token.
    expect(sidecar.seen[0]!['mecha-forwarded-by']).toBe('orders');
    expect(sidecar.seen[0]!['mecha-forwarded-namespace']).toBe('default');
    expect(sidecar.seen[0]!['dapr-api-token']).toBeUndefined();
  });

  it.each([201, 404, 500])('returns the remote app status %i unchanged', async (status) => {
    const { caller } = await startPair((_req, res) => {
      res.statusCode = status;
      res.setHeader('x-from-app', 'yes');
      res.end(`answer ${status}`);
    });
    const response = await caller.invoke('billing', { method: 'x', httpVerb: 'GET', query: '', headers: {}, body: noBody });
    expect(response.status).toBe(status);
    expect(response.headers['x-from-app']).toBe('yes');
    expect(Buffer.from(response.body).toString()).toBe(`answer ${status}`);
  });

  it('sends the configured API token to a sidecar that requires one', async () => {
    const { caller, calleeApp } = await startPair((_req, res) => res.end('ok'), 'shared-token');
    const response = await caller.invoke('billing', { method: 'x', httpVerb: 'GET', query: '', headers: { 'dapr-api-token': 'wrong' }, body: noBody });
    expect(response.status).toBe(200);
    expect(calleeApp.requests).toHaveLength(1);
  });

  it('never forwards a forwarded call again: a wrong address gets an error answer, not a loop', async () => {
    const { caller, callerResolver, calleeResolver, calleeApp, sidecar } = await startPair((_req, res) => res.end('ok'));
    // orders believes inventory lives at billing's sidecar; billing's sidecar knows inventory at its own address too.
    await callerResolver.register({ appId: 'inventory', host: '127.0.0.1', httpPort: sidecar.port, pid: process.pid });
    await calleeResolver.register({ appId: 'inventory', host: '127.0.0.1', httpPort: sidecar.port, pid: process.pid });
    const response = await caller.invoke('inventory', { method: 'x', httpVerb: 'GET', query: '', headers: {}, body: noBody });
    expect(response.status).toBe(500);
    const body = JSON.parse(Buffer.from(response.body).toString()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(body.message).toContain('failed to invoke, id: inventory');
    expect(body.message).toContain('already forwarded');
    expect(sidecar.seen).toHaveLength(1);
    expect(calleeResolver.resolved).toEqual([]);
    expect(calleeApp.requests).toHaveLength(0);
  });

  it('passes on the error answer of a sidecar that got a call for another namespace', async () => {
    const { caller, calleeApp } = await startPair((_req, res) => res.end('ok'));
    // The resolver ignores namespaces, so billing.other reaches billing's sidecar (namespace default), which refuses it.
    const response = await caller.invoke('billing.other', { method: 'x', httpVerb: 'GET', query: '', headers: {}, body: noBody });
    expect(response.status).toBe(500);
    expect(JSON.parse(Buffer.from(response.body).toString())).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
    expect(calleeApp.requests).toHaveLength(0);
  });

  it('fails with ERR_DIRECT_INVOKE naming the sidecar address when the other sidecar is gone', async () => {
    const port = await unusedPort();
    const resolver = new MapResolver();
    await resolver.register({ appId: 'billing', host: '127.0.0.1', httpPort: port, pid: process.pid });
    const caller = new InvocationService({ appId: 'orders', resolver });
    cleanups.push(() => caller.close());
    for (let attempt = 0; attempt < 2; attempt++) {
      const failure = (await caller.invoke('billing', { method: 'x', httpVerb: 'GET', query: '', headers: {}, body: noBody }).catch((error: unknown) => error)) as MechaError;
      expect(failure).toBeInstanceOf(MechaError);
      expect(failure.code).toBe('ERR_DIRECT_INVOKE');
      expect(failure.message).toContain('failed to invoke, id: billing, err: error reaching the sidecar of app billing');
      expect(failure.message).toContain(`http://127.0.0.1:${port}`);
    }
  });

  it('handles many concurrent calls across the hop', async () => {
    const { caller, calleeApp } = await startPair((req, res) => res.end(req.url));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => caller.invoke('billing', { method: `n/${i}`, httpVerb: 'GET', query: '', headers: {}, body: noBody })),
    );
    expect(answers.map((a) => Buffer.from(a.body).toString())).toEqual(Array.from({ length: 40 }, (_, i) => `/n/${i}`));
    expect(calleeApp.requests).toHaveLength(40);
  });
});
