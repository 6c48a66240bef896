import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '@mecha/core';
import { InvocationService, type RemoteCall } from '@mecha/invocation';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDaprdFlags } from '../src/config/daprd-flags.ts';
import { resolveOptions } from '../src/config/options.ts';
import { GrpcSidecarInvoker } from '../src/grpc/internal/grpc-sidecar-invoker.ts';
import { startInternalGrpcServer } from '../src/grpc/internal/internal-server.ts';
import { fromInternalMetadata, toInternalMetadata } from '../src/grpc/internal/internal-metadata.ts';
import { normalizeMethod } from '../src/grpc/internal/method-name.ts';
import { stableInternalPort } from '../src/grpc/internal/stable-port.ts';
import { PayloadCollector, toPayloads } from '../src/grpc/internal/stream-payload.ts';
import type { DaprHandlers } from '../src/grpc/handlers.ts';
import { daprProtos } from '../src/grpc/protos.ts';
import { GrpcServer } from '../src/grpc/server.ts';
import { freePort } from './support/mechad-process.ts';

/** What a stub sidecar saw of a call. */
interface Seen {
  rpc: 'CallLocal' | 'CallLocalStream';
  request: { metadata: Record<string, { values: string[] }>; message: { method: string; content_type: string; http_extension: { verb: string; querystring: string } | null } };
  body: Buffer;
}

const servers: GrpcServer[] = [];
const invokers: GrpcSidecarInvoker[] = [];

afterEach(async () => {
  await Promise.all(invokers.splice(0).map((i) => i.close()));
  await Promise.all(servers.splice(0).map((s) => s.close(0)));
});

/** A stand-in for another sidecar's internal server with the given handlers. */
async function stubSidecar(handlers: DaprHandlers): Promise<number> {
  const server = new GrpcServer({ service: daprProtos().serviceInvocation.service, handlers, maxMessageBytes: 4 << 20, logger: silentLogger() });
  servers.push(server);
  return server.listen(0, ['127.0.0.1']);
}

function invoker(options?: ConstructorParameters<typeof GrpcSidecarInvoker>[0]): GrpcSidecarInvoker {
  const created = new GrpcSidecarInvoker(options);
  invokers.push(created);
  return created;
}

function remoteCall(port: number | undefined, overrides: Partial<RemoteCall['request']> = {}): RemoteCall {
  return {
    address: { appId: 'target', host: '127.0.0.1', httpPort: 1, ...(port ? { internalGrpcPort: port } : {}) },
    targetAppId: 'target.prod',
    callerAppId: 'me',
    callerNamespace: 'prod',
    request: { method: 'orders/1', httpVerb: 'PATCH', query: 'x=1', headers: { 'content-type': 'text/plain', 'x-many': ['a', 'b'] }, body: Buffer.from('hello'), ...overrides },
  };
}

/** A unary CallLocal answering `answer`, recording what it saw. */
function unaryHandler(seen: Seen[], answer: object): grpc.UntypedHandleCall {
  return ((call: grpc.ServerUnaryCall<Seen['request'] & { message: { data: { value: Buffer } } }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    seen.push({ rpc: 'CallLocal', request: call.request, body: call.request.message.data.value });
    callback(null, answer);
  }) as grpc.UntypedHandleCall;
}

describe('GrpcSidecarInvoker', () => {
  it('sends CallLocalStream with the call’s verb, query, headers, caller ids and body, and reads the chunked answer', async () => {
    const seen: Seen[] = [];
    const port = await stubSidecar({
      CallLocalStream: ((call: grpc.ServerDuplexStream<{ request: Seen['request'] | null; payload: { data: Buffer } | null }, unknown>) => {
        const chunks: Buffer[] = [];
        let request: Seen['request'] | undefined;
        call.on('data', (chunk) => {
          request ??= chunk.request ?? undefined;
          if (chunk.payload) chunks.push(chunk.payload.data);
        });
        call.on('end', () => {
          seen.push({ rpc: 'CallLocalStream', request: request!, body: Buffer.concat(chunks) });
          call.write({ response: { status: { code: 418 }, headers: { 'x-answer': { values: ['1', '2'] } }, message: { content_type: 'text/x-tea' } }, payload: { data: Buffer.from('short '), seq: 0 } });
          call.write({ payload: { data: Buffer.from('and stout'), seq: 1 } });
          call.end();
        });
      }) as grpc.UntypedHandleCall,
    });
    const response = await invoker().invoke(remoteCall(port));
    expect(response.status).toBe(418);
    expect(response.headers).toMatchObject({ 'x-answer': ['1', '2'], 'content-type': 'text/x-tea' });
    expect(Buffer.from(response.body).toString()).toBe('short and stout');
    expect(seen).toHaveLength(1);
    const [{ request, body }] = seen as [Seen];
    expect(body.toString()).toBe('hello');
    expect(request.message).toMatchObject({ method: 'orders/1', content_type: 'text/plain', http_extension: { verb: 'PATCH', querystring: 'x=1' } });
    expect(request.metadata['x-many']?.values).toEqual(['a', 'b']);
    expect(request.metadata['dapr-caller-app-id']?.values).toEqual(['me']);
    expect(request.metadata['dapr-caller-namespace']?.values).toEqual(['prod']);
    // The namespace is not part of the app id the target sees.
    expect(request.metadata['dapr-callee-app-id']?.values).toEqual(['target']);
    expect(request.metadata['destination-app-id']?.values).toEqual(['target']);
  });

  it('falls back to CallLocal when the other sidecar has no CallLocalStream, as daprd does', async () => {
    const seen: Seen[] = [];
    const port = await stubSidecar({
      CallLocal: unaryHandler(seen, { status: { code: 201 }, headers: {}, message: { data: { value: Buffer.from('made') }, content_type: 'text/plain' } }),
    });
    const response = await invoker().invoke(remoteCall(port, { body: Buffer.from('make it') }));
    expect(response.status).toBe(201);
    expect(Buffer.from(response.body).toString()).toBe('made');
    expect(seen.map((s) => s.rpc)).toEqual(['CallLocal']);
    expect(seen[0]!.body.toString()).toBe('make it');
  });

  it('turns a gRPC app’s status code into the HTTP status daprd answers, a failure with its status as JSON', async () => {
    let code = 0;
    const port = await stubSidecar({
      CallLocal: ((_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { status: { code, message: code ? 'no such order' : '' }, headers: {}, message: { data: { value: Buffer.from('ok') }, content_type: 'application/json' } })) as grpc.UntypedHandleCall,
    });
    const ok = await invoker().invoke(remoteCall(port));
    expect(ok.status).toBe(200);
    expect(Buffer.from(ok.body).toString()).toBe('ok');
    code = grpc.status.NOT_FOUND;
    const notFound = await invoker().invoke(remoteCall(port));
    expect(notFound.status).toBe(404);
    expect(JSON.parse(Buffer.from(notFound.body).toString())).toEqual({ code: 5, message: 'no such order' });
  });

  it('reports an error status of the other sidecar as ERR_DIRECT_INVOKE in daprd’s words', async () => {
    const port = await stubSidecar({
      CallLocalStream: ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.on('data', () => undefined);
        call.on('end', () => call.emit('error', { code: grpc.status.INTERNAL, details: 'error invoking app channel: connection refused' }));
      }) as grpc.UntypedHandleCall,
    });
    await expect(invoker().invoke(remoteCall(port))).rejects.toMatchObject({
      code: 'ERR_DIRECT_INVOKE',
      message: expect.stringContaining('rpc error: code = Internal desc = error invoking app channel: connection refused'),
    });
  });

  it('refuses an answer whose chunks are out of order', async () => {
    const port = await stubSidecar({
      CallLocalStream: ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.on('data', () => undefined);
        call.on('end', () => {
          call.write({ response: { status: { code: 200 } }, payload: { data: Buffer.from('a'), seq: 0 } });
          call.write({ payload: { data: Buffer.from('c'), seq: 2 } });
          call.end();
        });
      }) as grpc.UntypedHandleCall,
    });
    await expect(invoker().invoke(remoteCall(port))).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('invalid sequence number') });
  });

  it('fails with ERR_DIRECT_INVOKE for a sidecar that is gone, and for one that announced no internal port', async () => {
    const port = await freePort();
    await expect(invoker().invoke(remoteCall(port))).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('Unavailable') });
    await expect(invoker().invoke(remoteCall(undefined))).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('no internal gRPC port') });
  });

  it('cancels the call when the caller aborts', async () => {
    let cancelled!: () => void;
    const sawCancel = new Promise<void>((resolve) => (cancelled = resolve));
    const port = await stubSidecar({
      CallLocalStream: ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.on('data', () => undefined);
        call.on('cancelled', () => cancelled());
      }) as grpc.UntypedHandleCall,
    });
    const controller = new AbortController();
    const pending = invoker().invoke(remoteCall(port, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('caller went away')), 50);
    await expect(pending).rejects.toThrow('caller went away');
    await sawCancel;
  });

  it('refuses calls after close()', async () => {
    const closed = invoker();
    await closed.close();
    await expect(closed.invoke(remoteCall(1))).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('closed') });
  });
});

describe('internal protocol pieces', () => {
  it('metadata: lists of values both ways; lengths, content types, -bin entries and destination dropped toward the app; gRPC names prefixed', () => {
    expect(toInternalMetadata({ 'X-A': 'one', 'x-a': ['two'], b: [] })).toEqual({ 'x-a': { values: ['one', 'two'] } });
    expect(
      fromInternalMetadata({
        'Content-Type': { values: ['application/grpc'] },
        'content-length': { values: ['4'] },
        'grpc-trace-bin': { values: ['AAA='] },
        'destination-app-id': { values: ['x'] },
        'grpc-timeout': { values: ['1S'] },
        ':authority': { values: ['host:1'] },
        'X-Two': { values: ['1', '2'] },
        empty: { values: [] },
        'user-agent': { values: ['grpc-node-js'] },
      }),
    ).toEqual({ 'dapr-grpc-timeout': '1S', 'dapr-authority': 'host:1', 'x-two': ['1', '2'], 'user-agent': 'grpc-node-js' });
  });

  it('method names: forbidden characters refused, traversal resolved like path.Clean', () => {
    expect(normalizeMethod('a/b/../c/./d//e/')).toBe('a/c/d/e');
    expect(normalizeMethod('../../etc/passwd')).toBe('etc/passwd');
    expect(normalizeMethod('/x/../../y')).toBe('/y');
    expect(normalizeMethod('..')).toBe('');
    expect(() => normalizeMethod('a#b')).toThrow(/forbidden/);
    expect(() => normalizeMethod('a\nb')).toThrow(/control character/);
  });

  it('stream payloads: numbered from 0, reassembled in order, limited in size', () => {
    const body = Buffer.from('0123456789');
    const payloads = toPayloads(body, 4);
    expect(payloads.map((p) => [Buffer.from(p.data).toString(), p.seq])).toEqual([['0123', 0], ['4567', 1], ['89', 2]]);
    expect(toPayloads(new Uint8Array(0))).toEqual([]);
    const collector = new PayloadCollector(10);
    for (const p of payloads) collector.add({ ...p, seq: String(p.seq) });
    expect(Buffer.from(collector.body()).toString()).toBe('0123456789');
    expect(() => collector.add({ data: Buffer.from('x'), seq: '3' })).toThrow(/larger than the limit/);
    expect(() => new PayloadCollector().add({ data: Buffer.from('x'), seq: '1' })).toThrow(/expected: 0/);
  });

  it('--dapr-internal-grpc-port: a port, or none (0 or absent) to choose one at start; no warning that it is unbuilt', () => {
    const options = (argv: string[]) => resolveOptions(parseDaprdFlags(argv).flags, { MECHA_HOME: '/nonexistent-home' });
    expect(options(['--dapr-internal-grpc-port', '50002']).internalGrpcPort).toBe(50002);
    expect(options(['--dapr-internal-grpc-port', '0']).internalGrpcPort).toBeUndefined();
    expect(options([]).internalGrpcPort).toBeUndefined();
    expect(() => options(['--dapr-internal-grpc-port', 'lots'])).toThrow(/dapr-internal-grpc-port/);
    expect(parseDaprdFlags(['--dapr-internal-grpc-port', '50002']).unbuilt).toEqual([]);
  });

  it('the internal server takes the stable port when it is free, any free port when it is taken', async () => {
    const appId = `stable-${process.pid}-${Date.now()}`;
    const invocation = new InvocationService({ appId, resolver: { register: async () => {}, resolve: async () => ({ appId, host: '', httpPort: 1 }), close: async () => {} } });
    const options = { invocation, hosts: ['127.0.0.1'], appIsHttp: true, maxBodyBytes: 1 << 20, logger: silentLogger() };
    const first = await startInternalGrpcServer(options);
    const second = await startInternalGrpcServer(options);
    try {
      expect(first.port).toBe(stableInternalPort(appId));
      expect(second.port).not.toBe(first.port);
      expect(second.port).toBeGreaterThan(0);
    } finally {
      await Promise.all([first.close(0), second.close(0)]);
      await invocation.close();
    }
  });

  it('stable internal port: daprd’s range, the same for the same app and folder', () => {
    const port = stableInternalPort('orders', '/srv/app');
    expect(port).toBeGreaterThanOrEqual(47300);
    expect(port).toBeLessThan(65535);
    expect(stableInternalPort('orders', '/srv/app')).toBe(port);
    expect(stableInternalPort('payments', '/srv/app')).not.toBe(port);
  });
});
