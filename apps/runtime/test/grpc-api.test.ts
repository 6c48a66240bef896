import { createServer, type IncomingMessage, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaprGrpcClient, rejectionOf, richError } from './support/dapr-grpc-client.ts';
import { freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface Delivery {
  path: string;
  contentType: string;
  body: Buffer;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function grpcClient(port: number, token?: string): DaprClient {
  return new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(port),
    communicationProtocol: CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error },
    ...(token ? { daprApiToken: token } : {}),
  });
}

/**
 * mechad's gRPC API against real sidecars: `caller` has no app; `app` fronts a node:http app
 * that subscribes to two topics (recording what arrives) and echoes every other request.
 */
describe('gRPC API (dapr.proto.runtime.v1.Dapr)', () => {
  const home = tempDir('mecha-home-');
  let caller: MechadProcess;
  let appSidecar: MechadProcess;
  let app: Server;
  let sdk: DaprClient;
  let raw: DaprGrpcClient;
  let appRaw: DaprGrpcClient;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    const appPort = await freePort();
    app = createServer((req, res) => {
      void readBody(req).then((body) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/dapr/subscribe') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify([
            { pubsubname: 'pubsub', topic: 'orders', route: '/events/orders' },
            { pubsubname: 'pubsub', topic: 'raw', route: '/events/raw', metadata: { rawPayload: 'true' } },
          ]));
          return;
        }
        if (url.pathname.startsWith('/events/')) {
          deliveries.push({ path: url.pathname, contentType: String(req.headers['content-type'] ?? ''), body });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"status":"SUCCESS"}');
          return;
        }
        const status = Number(url.searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-verb': req.method ?? '' });
        res.end(JSON.stringify({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body: body.toString('utf8') }));
      });
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    [caller, appSidecar] = await Promise.all([
      startMechad({ appId: 'grpc-caller', mechaHome: home }),
      startMechad({ appId: 'grpc-app', appPort, mechaHome: home }),
    ]);
    await waitFor(async () => ((await fetch(`${appSidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'grpc-app ready');
    sdk = grpcClient(caller.grpcPort);
    raw = new DaprGrpcClient(caller.grpcPort);
    appRaw = new DaprGrpcClient(appSidecar.grpcPort);
  });

  afterAll(async () => {
    raw?.close();
    appRaw?.close();
    await sdk?.stop();
    await new Promise((resolve) => app?.close(resolve));
    await Promise.all([caller?.stop(), appSidecar?.stop()]);
  });

  describe('state', () => {
    it('saves, gets, bulk-gets and deletes through the SDK in gRPC mode', async () => {
      await sdk.state.save('statestore', [
        { key: 'order-1', value: { id: 1, items: ['a'] } },
        { key: 'order-2', value: 'plain text' },
      ]);
      expect(await sdk.state.get('statestore', 'order-1')).toEqual({ id: 1, items: ['a'] });
      expect(await sdk.state.get('statestore', 'order-2')).toBe('plain text');
      const bulk = await sdk.state.getBulk('statestore', ['order-1', 'order-2', 'missing']);
      expect(bulk.map((b) => b.key)).toEqual(['order-1', 'order-2', 'missing']);
      expect(bulk[0]!.data).toEqual({ id: 1, items: ['a'] });
      expect(bulk[0]!.etag).toMatch(/.+/);
      expect(bulk[2]!.etag).toBe('');
      await sdk.state.delete('statestore', 'order-2');
      expect(await sdk.state.get('statestore', 'order-2')).toBe('');
    });

    it('answers a missing key with empty data and an empty ETag, as daprd does', async () => {
      const response = await raw.call<{ data: Buffer; etag: string }>('GetState', { store_name: 'statestore', key: 'never-saved' });
      expect(response.data.length).toBe(0);
      expect(response.etag).toBe('');
    });

    it('keeps ETag concurrency: a stale ETag is ABORTED with rich details and nothing changes', async () => {
      await raw.call('SaveState', { store_name: 'statestore', states: [{ key: 'etag-1', value: Buffer.from('v1') }] });
      const first = await raw.call<{ data: Buffer; etag: string }>('GetState', { store_name: 'statestore', key: 'etag-1' });
      expect(first.etag).not.toBe('');
      await raw.call('SaveState', { store_name: 'statestore', states: [{ key: 'etag-1', value: Buffer.from('v2'), etag: { value: first.etag } }] });
      const second = await raw.call<{ data: Buffer; etag: string }>('GetState', { store_name: 'statestore', key: 'etag-1' });
      expect(second.data.toString()).toBe('v2');
      expect(second.etag).not.toBe(first.etag);

      const stale = await rejectionOf(raw.call('SaveState', { store_name: 'statestore', states: [{ key: 'etag-1', value: Buffer.from('v3'), etag: { value: first.etag } }] }));
      expect(stale.code).toBe(grpc.status.ABORTED);
      const rich = richError(stale);
      expect(rich.errorInfo).toMatchObject({ domain: 'dapr.io', reason: 'ERR_STATE_SAVE' });
      expect(rich.resourceInfo).toMatchObject({ resource_type: 'state', resource_name: 'statestore' });
      expect(rich.detailTypes).toEqual(['google.rpc.ResourceInfo', 'google.rpc.ErrorInfo']);

      const staleDelete = await rejectionOf(raw.call('DeleteState', { store_name: 'statestore', key: 'etag-1', etag: { value: first.etag } }));
      expect(staleDelete.code).toBe(grpc.status.ABORTED);
      const after = await raw.call<{ data: Buffer; etag: string }>('GetState', { store_name: 'statestore', key: 'etag-1' });
      expect(after).toMatchObject({ data: Buffer.from('v2'), etag: second.etag });

      // The SDK's delete with the current ETag succeeds.
      await sdk.state.delete('statestore', 'etag-1', { etag: second.etag });
      const gone = await raw.call<{ data: Buffer }>('GetState', { store_name: 'statestore', key: 'etag-1' });
      expect(gone.data.length).toBe(0);
    });

    it('maps the concurrency enum: FIRST_WRITE refuses an ETag-less overwrite, UNSPECIFIED does not', async () => {
      await raw.call('SaveState', { store_name: 'memstore', states: [{ key: 'fw', value: Buffer.from('one') }] });
      const refused = await rejectionOf(
        raw.call('SaveState', { store_name: 'memstore', states: [{ key: 'fw', value: Buffer.from('two'), options: { concurrency: 'CONCURRENCY_FIRST_WRITE' } }] }),
      );
      expect(refused.code).toBe(grpc.status.ABORTED);
      await raw.call('SaveState', {
        store_name: 'memstore',
        states: [{ key: 'fw', value: Buffer.from('three'), options: { concurrency: 'CONCURRENCY_UNSPECIFIED', consistency: 'CONSISTENCY_STRONG' } }],
      });
      const now = await raw.call<{ data: Buffer }>('GetState', { store_name: 'memstore', key: 'fw', consistency: 'CONSISTENCY_STRONG' });
      expect(now.data.toString()).toBe('three');
    });

    it('runs a transaction from the SDK, and an ETag mismatch inside one fails INTERNAL as in daprd, changing nothing', async () => {
      await sdk.state.save('statestore', [{ key: 'tx-del', value: 'to delete' }]);
      await sdk.state.transaction('statestore', [
        { operation: 'upsert', request: { key: 'tx-a', value: 'alpha' } },
        { operation: 'delete', request: { key: 'tx-del' } },
      ]);
      expect(await sdk.state.get('statestore', 'tx-a')).toBe('alpha');
      expect(await sdk.state.get('statestore', 'tx-del')).toBe('');

      const failed = await rejectionOf(
        raw.call('ExecuteStateTransaction', {
          storeName: 'statestore',
          operations: [
            { operationType: 'upsert', request: { key: 'tx-b', value: Buffer.from('beta') } },
            { operationType: 'upsert', request: { key: 'tx-a', value: Buffer.from('changed'), etag: { value: 'not-the-etag' } } },
          ],
        }),
      );
      expect(failed.code).toBe(grpc.status.INTERNAL);
      expect(richError(failed).errorInfo?.reason).toBe('ERR_STATE_TRANSACTION');
      expect(await sdk.state.get('statestore', 'tx-a')).toBe('alpha');
      expect(await sdk.state.get('statestore', 'tx-b')).toBe('');

      const unknown = await rejectionOf(
        raw.call('ExecuteStateTransaction', { storeName: 'statestore', operations: [{ operationType: 'merge', request: { key: 'tx-a', value: Buffer.from('x') } }] }),
      );
      expect(unknown.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(unknown.details).toBe('operation type merge not supported');
    });

    it('stores gRPC values raw and HTTP values as JSON text; each API reads back the stored bytes', async () => {
      const bytes = Buffer.from([0x00, 0xff, 0x10, 0x41]);
      await raw.call('SaveState', { store_name: 'statestore', states: [{ key: 'cross-raw', value: bytes }] });
      const overHttp = await fetch(`${caller.url}/v1.0/state/statestore/cross-raw`);
      expect(overHttp.status).toBe(200);
      expect(Buffer.from(await overHttp.arrayBuffer())).toEqual(bytes);

      const saved = await fetch(`${caller.url}/v1.0/state/statestore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ key: 'cross-json', value: { n: 1, s: 'x' } }]),
      });
      expect(saved.status).toBe(204);
      const overGrpc = await raw.call<{ data: Buffer }>('GetState', { store_name: 'statestore', key: 'cross-json' });
      expect(overGrpc.data.toString()).toBe('{"n":1,"s":"x"}');

      // daprd decodes a value marked contentType application/json and stores its JSON.
      await raw.call('SaveState', { store_name: 'statestore', states: [{ key: 'cross-marked', value: Buffer.from('{ "a" : [1, 2] }'), metadata: { contentType: 'application/json' } }] });
      const marked = await raw.call<{ data: Buffer }>('GetState', { store_name: 'statestore', key: 'cross-marked' });
      expect(marked.data.toString()).toBe('{"a":[1,2]}');
    });

    it('bulk-gets with data, ETags and per-item metadata, and bulk-deletes', async () => {
      await raw.call('SaveState', {
        store_name: 'statestore',
        states: [
          { key: 'b-1', value: Buffer.from('one'), metadata: { ttlInSeconds: '600' } },
          { key: 'b-2', value: Buffer.from('two') },
        ],
      });
      const bulk = await raw.call<{ items: { key: string; data: Buffer; etag: string; error: string; metadata: Record<string, string> }[] }>('GetBulkState', {
        store_name: 'statestore',
        keys: ['b-1', 'b-2', 'b-none'],
        parallelism: 2,
      });
      expect(bulk.items.map((i) => [i.key, i.data.toString(), i.error])).toEqual([
        ['b-1', 'one', ''],
        ['b-2', 'two', ''],
        ['b-none', '', ''],
      ]);
      expect(bulk.items[0]!.metadata['ttlExpireTime']).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(bulk.items[1]!.etag).not.toBe('');
      const single = await raw.call<{ metadata: Record<string, string> }>('GetState', { store_name: 'statestore', key: 'b-1' });
      expect(single.metadata['ttlExpireTime']).toBe(bulk.items[0]!.metadata['ttlExpireTime']);

      await raw.call('DeleteBulkState', { store_name: 'statestore', states: [{ key: 'b-1' }, { key: 'b-2', etag: { value: bulk.items[1]!.etag } }] });
      const after = await raw.call<{ items: { data: Buffer }[] }>('GetBulkState', { store_name: 'statestore', keys: ['b-1', 'b-2'] });
      expect(after.items.every((i) => i.data.length === 0)).toBe(true);
    });

    it('answers QueryStateAlpha1 as the HTTP API does for a store without QUERY_API', async () => {
      const error = await rejectionOf(raw.call('QueryStateAlpha1', { store_name: 'statestore', query: '{}' }));
      expect(error.code).toBe(grpc.status.INTERNAL);
      expect(error.details).toBe('state store does not support querying');
      expect(richError(error).errorInfo?.reason).toBe('DAPR_STATE_QUERYING_NOT_SUPPORTED');
      const overHttp = await fetch(`${caller.url}/v1.0-alpha1/state/statestore/query`, { method: 'POST', body: '{}' });
      expect(overHttp.status).toBe(500);
      expect(await overHttp.json()).toMatchObject({ errorCode: 'ERR_STATE_STORE_NOT_SUPPORTED', message: 'state store does not support querying' });
    });
  });

  describe('pub/sub', () => {
    const deliveredTo = (path: string, count: number) =>
      waitFor(() => {
        const found = deliveries.filter((d) => d.path === path);
        return found.length >= count ? found : undefined;
      }, `${count} deliveries to ${path}`);

    it('publishes from the SDK in gRPC mode and the subscribed HTTP app receives a CloudEvent', async () => {
      const client = grpcClient(appSidecar.grpcPort);
      try {
        await client.pubsub.publish('pubsub', 'orders', { orderId: 42 });
      } finally {
        await client.stop();
      }
      const [event] = await deliveredTo('/events/orders', 1);
      const envelope = JSON.parse(event!.body.toString()) as Record<string, unknown>;
      expect(envelope).toMatchObject({
        data: { orderId: 42 },
        datacontenttype: 'application/json',
        topic: 'orders',
        pubsubname: 'pubsub',
        source: 'grpc-app',
        specversion: '1.0',
      });
    });

    it('publishes raw payloads and applies cloudevent.* overrides from metadata', async () => {
      await appRaw.call('PublishEvent', { pubsub_name: 'pubsub', topic: 'raw', data: Buffer.from('not an envelope'), data_content_type: 'text/plain', metadata: { rawPayload: 'true' } });
      const [rawEvent] = await deliveredTo('/events/raw', 1);
      // The bytes were published without an envelope; the raw subscription gets them back as data_base64.
      const rawEnvelope = JSON.parse(rawEvent!.body.toString()) as Record<string, unknown>;
      expect(rawEnvelope).toMatchObject({ topic: 'raw', datacontenttype: 'application/octet-stream', data_base64: Buffer.from('not an envelope').toString('base64') });

      const before = deliveries.filter((d) => d.path === '/events/orders').length;
      await appRaw.call('PublishEvent', {
        pubsub_name: 'pubsub',
        topic: 'orders',
        data: Buffer.from('hello'),
        data_content_type: '',
        metadata: { 'cloudevent.id': 'fixed-id', 'cloudevent.type': 'com.example.order' },
      });
      const events = await deliveredTo('/events/orders', before + 1);
      const envelope = JSON.parse(events[before]!.body.toString()) as Record<string, unknown>;
      expect(envelope).toMatchObject({ id: 'fixed-id', type: 'com.example.order', data: 'hello', datacontenttype: 'text/plain' });
    });

    it('bulk-publishes from the SDK and the raw API; every entry is delivered', async () => {
      const before = deliveries.filter((d) => d.path === '/events/orders').length;
      const client = grpcClient(appSidecar.grpcPort);
      try {
        const result = await client.pubsub.publishBulk('pubsub', 'orders', [{ bulk: 1 }, { bulk: 2 }]);
        expect(result.failedMessages).toEqual([]);
      } finally {
        await client.stop();
      }
      for (const method of ['BulkPublishEvent', 'BulkPublishEventAlpha1']) {
        const response = await appRaw.call<{ failedEntries: unknown[] }>(method, {
          pubsub_name: 'pubsub',
          topic: 'orders',
          entries: [
            { entry_id: `${method}-1`, event: Buffer.from('{"bulk":3}'), content_type: 'application/json' },
            { entry_id: `${method}-2`, event: Buffer.from('text entry'), content_type: 'text/plain', metadata: { 'cloudevent.id': `${method}-id` } },
          ],
        });
        expect(response.failedEntries).toEqual([]);
      }
      const events = await deliveredTo('/events/orders', before + 6);
      const data = events.slice(before).map((e) => (JSON.parse(e.body.toString()) as { data: unknown }).data);
      expect(data).toEqual(expect.arrayContaining([{ bulk: 1 }, { bulk: 2 }, { bulk: 3 }, 'text entry']));
      const ids = events.slice(before).map((e) => (JSON.parse(e.body.toString()) as { id: string }).id);
      expect(ids).toEqual(expect.arrayContaining(['BulkPublishEvent-id', 'BulkPublishEventAlpha1-id']));
    });

    it('refuses a duplicated entry id before publishing anything', async () => {
      const error = await rejectionOf(
        appRaw.call('BulkPublishEvent', {
          pubsub_name: 'pubsub',
          topic: 'orders',
          entries: [
            { entry_id: 'same', event: Buffer.from('a'), content_type: 'text/plain' },
            { entry_id: 'same', event: Buffer.from('b'), content_type: 'text/plain' },
          ],
        }),
      );
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(richError(error).errorInfo?.metadata['errorCode']).toBe('ERR_PUBSUB_EVENTS_SER');
    });
  });

  describe('invocation', () => {
    it('a gRPC-mode DaprClient invokes an HTTP app through two sidecars', async () => {
      const answer = (await sdk.invoker.invoke('grpc-app', 'orders/7', HttpMethod.PUT, { hello: 'world' })) as {
        method: string;
        path: string;
        headers: Record<string, string>;
        body: string;
      };
      expect(answer.method).toBe('PUT');
      expect(answer.path).toBe('/orders/7');
      expect(JSON.parse(answer.body)).toEqual({ hello: 'world' });
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers['dapr-caller-app-id']).toBe('grpc-caller');
      expect(answer.headers['dapr-callee-app-id']).toBe('grpc-app');
    });

    it('carries the verb, query string, content type and call metadata; answers headers and dapr-http-status', async () => {
      const { response, headers } = await raw.callWithHeaders<{ data: { value: Buffer }; content_type: string }>(
        'InvokeService',
        {
          id: 'grpc-app',
          message: {
            method: 'search',
            data: { type_url: '', value: Buffer.from('query body') },
            content_type: 'text/plain',
            http_extension: { verb: 'DELETE', querystring: 'q=mecha&page=2' },
          },
        },
        { 'x-custom': 'carried', 'dapr-api-token': 'never-forwarded' },
      );
      expect(response).toBeDefined();
      const echoed = JSON.parse(response!.data.value.toString()) as { method: string; path: string; query: string; headers: Record<string, string>; body: string };
      expect(echoed).toMatchObject({ method: 'DELETE', path: '/search', query: '?q=mecha&page=2', body: 'query body' });
      expect(echoed.headers['content-type']).toBe('text/plain');
      expect(echoed.headers['x-custom']).toBe('carried');
      expect(echoed.headers['dapr-api-token']).toBeUndefined();
      expect(response!.content_type).toBe('application/json');
      expect(headers.get('dapr-http-status')).toEqual(['200']);
      expect(headers.get('x-echo-verb')).toEqual(['DELETE']);
      expect(headers.get('dapr-content-type')).toEqual(['application/json']);
    });

    it('a call without a verb goes to an HTTP app as POST', async () => {
      const response = await raw.call<{ data: { value: Buffer } }>('InvokeService', { id: 'grpc-app', message: { method: 'noverb', data: { type_url: '', value: Buffer.from('x') } } });
      expect(JSON.parse(response.data.value.toString())).toMatchObject({ method: 'POST', path: '/noverb' });
    });

    it('maps a non-2xx app answer to daprd\'s gRPC status with the HTTP code in ErrorInfo', async () => {
      for (const [status, code] of [
        [404, grpc.status.NOT_FOUND],
        [400, grpc.status.INTERNAL],
        [500, grpc.status.UNKNOWN],
        [503, grpc.status.UNAVAILABLE],
        [418, grpc.status.UNKNOWN],
      ] as const) {
        const { error, headers } = await raw.callWithHeaders('InvokeService', {
          id: 'grpc-app',
          message: { method: 'fail', http_extension: { verb: 'GET', querystring: `status=${status}` } },
        });
        expect(error?.code).toBe(code);
        const rich = richError(error!);
        expect(rich.errorInfo?.metadata['http.code']).toBe(String(status));
        expect(rich.errorInfo?.metadata['http.error_message']).toHaveLength(63);
        expect(headers.get('dapr-http-status')).toEqual([String(status)]);
      }
    });

    it('an unknown app id is an INTERNAL ERR_DIRECT_INVOKE error', async () => {
      const error = await rejectionOf(raw.call('InvokeService', { id: 'nobody-home', message: { method: 'x', http_extension: { verb: 'GET' } } }));
      expect(error.code).toBe(grpc.status.INTERNAL);
      expect(error.details).toMatch(/^failed to invoke, id: nobody-home, err: /);
    });
  });

  describe('metadata and unbuilt blocks', () => {
    it('gets and sets metadata through the SDK in gRPC mode', async () => {
      expect(await sdk.metadata.set('team', 'platform')).toBe(true);
      const metadata = await sdk.metadata.get();
      expect(metadata.id).toBe('grpc-caller');
      expect(metadata.extended).toMatchObject({ team: 'platform' });
      expect(metadata.components.map((c) => c.name).sort()).toEqual(['memstore', 'pubsub', 'statestore']);
    });

    it('answers UNIMPLEMENTED naming the building block for methods of blocks not built', async () => {
      const actor = await rejectionOf(raw.call('GetActorState', { actor_type: 't', actor_id: 'i', key: 'k' }));
      expect(actor.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(actor.details).toContain('actors building block');
      const workflow = await rejectionOf(raw.call('GetWorkflowBeta1', { instance_id: 'i', workflow_component: 'dapr' }));
      expect(workflow.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(workflow.details).toContain('workflow building block');
    });
  });
});
