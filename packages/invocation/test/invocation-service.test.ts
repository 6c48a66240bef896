import { afterEach, describe, expect, it } from 'vitest';
import { MechaError } from '@mecha/core';
import { HttpAppChannel, InvocationService, type InvokeRequest, type RemoteCall, type RemoteInvoker } from '../src/index.ts';
import { MapResolver } from './support/map-resolver.ts';
import { noBody, startRecordingApp, unusedPort, type RecordingApp } from './support/recording-app.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function serviceWithApp(handler: Parameters<typeof startRecordingApp>[0] = (_req, res) => res.end('hi')): Promise<{
  app: RecordingApp;
  service: InvocationService;
  resolver: MapResolver;
}> {
  const app = await startRecordingApp(handler);
  const channel = new HttpAppChannel({ port: app.port, appId: 'orders' });
  const resolver = new MapResolver();
  const service = new InvocationService({ appId: 'orders', appChannel: channel, resolver });
  cleanups.push(() => app.close(), () => channel.close(), () => service.close());
  return { app, service, resolver };
}

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return { method: 'm', httpVerb: 'GET', query: '', headers: {}, body: noBody, ...overrides };
}

/** A RemoteInvoker that records calls and answers 299, for checking what would be forwarded. */
class RecordingRemote implements RemoteInvoker {
  calls: RemoteCall[] = [];
  async invoke(call: RemoteCall) {
    this.calls.push(call);
    return { status: 299, headers: { 'x-remote': call.address.appId }, body: new TextEncoder().encode('remote') };
  }
  async close(): Promise<void> {}
}

describe('InvocationService, own app', () => {
  it('delivers a call to its own app id through the app channel without resolving', async () => {
    const { app, service, resolver } = await serviceWithApp((_req, res) => {
      res.statusCode = 201;
      res.end('created');
    });
    const response = await service.invoke('orders', request({ method: 'new', httpVerb: 'POST', query: 'q=1', body: new Uint8Array([7]) }));
    expect(response.status).toBe(201);
    expect(Buffer.from(response.body).toString()).toBe('created');
    expect(app.requests[0]).toMatchObject({ method: 'POST', url: '/new?q=1' });
    expect(resolver.resolved).toEqual([]);
  });

  it('accepts <appId>.<namespace> for its own namespace only', async () => {
    const remote = new RecordingRemote();
    const app = await startRecordingApp((_req, res) => res.end('local'));
    const channel = new HttpAppChannel({ port: app.port });
    const resolver = new MapResolver();
    await resolver.register({ appId: 'orders', host: '127.0.0.1', httpPort: 1, pid: 1 });
    const service = new InvocationService({ appId: 'orders', namespace: 'prod', appChannel: channel, resolver, remote });
    cleanups.push(() => app.close(), () => channel.close());
    expect(service.isSelf('orders.prod')).toBe(true);
    expect(service.isSelf('orders')).toBe(true);
    expect(service.isSelf('orders.dev')).toBe(false);
    expect((await service.invoke('orders.prod', request())).status).toBe(200);
    expect((await service.invoke('orders.dev', request())).status).toBe(299);
    expect(remote.calls[0]!.targetAppId).toBe('orders.dev');
    expect(app.requests).toHaveLength(1);
  });

  it('sets dapr-caller-app-id, dapr-caller-namespace and dapr-callee-app-id, replacing what the client sent, and keeps traceparent', async () => {
    const { app, service } = await serviceWithApp();
    await service.invoke(
      'orders',
      request({
        headers: {
          'dapr-caller-app-id': 'spoofed',
          'dapr-callee-app-id': 'spoofed',
          'dapr-api-token': 'sidecar-token',
          'dapr-app-id': 'orders',
          'grpc-timeout': '1S',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          tracestate: 'k=v',
          'x-user': 'u1',
        },
      }),
    );
    const headers = app.requests[0]!.headers;
    expect(headers['dapr-caller-app-id']).toBe('orders');
    expect(headers['dapr-caller-namespace']).toBe('default');
    expect(headers['dapr-callee-app-id']).toBe('orders');
    expect(headers['traceparent']).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(headers['tracestate']).toBe('k=v');
    expect(headers['x-user']).toBe('u1');
    expect(headers['dapr-api-token']).toBeUndefined();
    expect(headers['dapr-app-id']).toBeUndefined();
    expect(headers['grpc-timeout']).toBeUndefined();
    expect(headers['dapr-grpc-timeout']).toBe('1S');
  });

  it.each([201, 404, 500])('passes the app status %i through unchanged, not as an error', async (status) => {
    const { service } = await serviceWithApp((_req, res) => {
      res.statusCode = status;
      res.setHeader('content-type', 'text/plain');
      res.end(`status ${status}`);
    });
    const response = await service.invoke('orders', request());
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('text/plain');
    expect(Buffer.from(response.body).toString()).toBe(`status ${status}`);
  });

  it('fails with ERR_DIRECT_INVOKE when no app port is configured', async () => {
    const service = new InvocationService({ appId: 'orders', resolver: new MapResolver() });
    cleanups.push(() => service.close());
    expect(service.hasAppChannel).toBe(false);
    const failure = await service.invoke('orders', request()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MechaError);
    expect(failure).toMatchObject({ code: 'ERR_DIRECT_INVOKE', kind: 'internal' });
    expect((failure as Error).message).toMatch(/^failed to invoke, id: orders, err: cannot invoke local endpoint: app channel not initialized/);
  });

  it('fails with ERR_DIRECT_INVOKE naming the app and address when the app is down', async () => {
    const port = await unusedPort();
    const channel = new HttpAppChannel({ port, appId: 'orders' });
    const service = new InvocationService({ appId: 'orders', appChannel: channel, resolver: new MapResolver() });
    cleanups.push(() => channel.close(), () => service.close());
    const failure = (await service.invoke('orders', request()).catch((error: unknown) => error)) as MechaError;
    expect(failure.code).toBe('ERR_DIRECT_INVOKE');
    expect(failure.kind).toBe('internal');
    expect(failure.message).toContain('failed to invoke, id: orders, err: error invoking app orders');
    expect(failure.message).toContain(`127.0.0.1:${port}`);
  });
});

describe('InvocationService, other apps', () => {
  it('resolves another app id and hands the call to the remote invoker with cleaned headers', async () => {
    const remote = new RecordingRemote();
    const resolver = new MapResolver();
    await resolver.register({ appId: 'billing', host: '127.0.0.1', httpPort: 3601, pid: 1 });
    const service = new InvocationService({ appId: 'orders', resolver, remote });
    const response = await service.invoke(
      'billing',
      request({ method: 'pay', httpVerb: 'POST', query: 'x=y', headers: { 'dapr-api-token': 't', connection: 'close', 'x-a': 'b' } }),
    );
    expect(response.status).toBe(299);
    expect(remote.calls).toHaveLength(1);
    const call = remote.calls[0]!;
    expect(call.address).toMatchObject({ appId: 'billing', httpPort: 3601 });
    expect(call).toMatchObject({ targetAppId: 'billing', callerAppId: 'orders', callerNamespace: 'default' });
    expect(call.request).toMatchObject({ method: 'pay', httpVerb: 'POST', query: 'x=y' });
    expect(call.request.headers).toEqual({ 'x-a': 'b' });
  });

  it('fails like daprd (500 kind, "couldn\'t find service") for an unknown app id', async () => {
    const service = new InvocationService({ appId: 'orders', resolver: new MapResolver(), remote: new RecordingRemote() });
    const failure = (await service.invoke('nobody', request()).catch((error: unknown) => error)) as MechaError;
    expect(failure).toBeInstanceOf(MechaError);
    expect(failure.code).toBe('ERR_DIRECT_INVOKE');
    expect(failure.kind).toBe('internal');
    expect(failure.message).toBe("failed to invoke, id: nobody, err: couldn't find service: nobody");
  });

  it.each(['a.b.c', '', '.ns', 'app.'])('refuses the malformed app id %j', async (target) => {
    const service = new InvocationService({ appId: 'orders', resolver: new MapResolver(), remote: new RecordingRemote() });
    await expect(service.invoke(target, request())).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('invalid app id') });
  });
});
