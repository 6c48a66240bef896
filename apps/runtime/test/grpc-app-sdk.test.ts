import { CommunicationProtocolEnum, DaprClient, DaprPubSubStatusEnum, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaprGrpcClient } from './support/dapr-grpc-client.ts';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface Received {
  topic: string;
  data: unknown;
  headers: Record<string, string>;
}

/**
 * A `DaprServer` in gRPC mode (the SDK serves AppCallback on its port) behind a mechad
 * started with `--app-protocol grpc`: subscriptions from ListTopicSubscriptions, events via
 * OnTopicEvent, invocations via OnInvoke.
 */
describe('@dapr/dapr gRPC app behind mechad --app-protocol grpc', () => {
  const appToken = 'app-secret';
  let sidecar: MechadProcess;
  let server: DaprServer;
  let grpcClient: DaprClient;
  const received: Received[] = [];
  let failuresLeft = 2;

  beforeAll(async () => {
    const appPort = await freePort();
    sidecar = await startMechad({ appId: 'grpc-app', appPort, args: ['--app-protocol', 'grpc'], env: { APP_API_TOKEN: appToken } });
    const clientOptions = {
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.grpcPort),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      logger: { level: LogLevel.Error },
    };
    server = new DaprServer({
      serverHost: '127.0.0.1',
      serverPort: String(appPort),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      clientOptions,
      logger: { level: LogLevel.Error },
    });
    await server.pubsub.subscribe('pubsub', 'orders', async (data: unknown, headers?: object) => {
      received.push({ topic: 'orders', data, headers: headers as Record<string, string> });
    });
    await server.pubsub.subscribe('pubsub', 'flaky', async (data: unknown, headers?: object) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        return DaprPubSubStatusEnum.RETRY;
      }
      received.push({ topic: 'flaky', data, headers: headers as Record<string, string> });
      return DaprPubSubStatusEnum.SUCCESS;
    });
    await server.invoker.listen(
      'echo',
      async (request) => ({ body: request.body, query: request.query, contentType: request.metadata?.contentType }),
      { method: HttpMethod.POST },
    );
    await server.invoker.listen('hello', async () => ({ hello: 'world' }), { method: HttpMethod.GET });
    await server.invoker.listen(
      'boom',
      async () => {
        throw new Error('the handler failed');
      },
      { method: HttpMethod.GET },
    );
    await server.start();
    grpcClient = new DaprClient(clientOptions);
    await waitFor(async () => ((await fetch(`${sidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'mechad ready');
    await waitFor(async () => {
      const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { subscriptions: unknown[] };
      return metadata.subscriptions.length === 2 ? true : undefined;
    }, 'the app subscriptions');
  });

  afterAll(async () => {
    await server?.stop();
    await sidecar?.stop();
  });

  it('delivers an event published through the HTTP API, with the app token and the message metadata', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 1 }),
    });
    expect(response.status).toBe(204);
    const event = await waitFor(() => received.find((r) => r.topic === 'orders' && (r.data as { orderId?: number }).orderId === 1), 'the event');
    expect(event.data).toEqual({ orderId: 1 });
    expect(event.headers['dapr-api-token']).toBe(appToken);
    expect(event.headers['pubsubname']).toBe('pubsub');
  });

  it('delivers an event published with a gRPC DaprClient', async () => {
    const result = await grpcClient.pubsub.publish('pubsub', 'orders', { orderId: 2 });
    expect(result.error).toBeUndefined();
    const event = await waitFor(() => received.find((r) => (r.data as { orderId?: number }).orderId === 2), 'the event');
    expect(event.data).toEqual({ orderId: 2 });
  });

  it('delivers plain text as text', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/orders`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'just words',
    });
    expect(response.status).toBe(204);
    await waitFor(() => received.find((r) => r.data === 'just words'), 'the text event');
  });

  it('redelivers an event the app answered RETRY for', async () => {
    await grpcClient.pubsub.publish('pubsub', 'flaky', { attempt: 'x' });
    const event = await waitFor(() => received.find((r) => r.topic === 'flaky'), 'the retried event', 15_000);
    expect(event.data).toEqual({ attempt: 'x' });
    expect(failuresLeft).toBe(0);
  });

  it('lists the app subscriptions as PROGRAMMATIC in the metadata of both APIs', async () => {
    const http = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as {
      subscriptions: { pubsubname: string; topic: string; type: string }[];
      appConnectionProperties: { protocol: string };
    };
    expect(http.subscriptions.map((s) => [s.topic, s.type]).sort()).toEqual([
      ['flaky', 'PROGRAMMATIC'],
      ['orders', 'PROGRAMMATIC'],
    ]);
    expect(http.appConnectionProperties.protocol).toBe('grpc');
    // The SDK's metadata call drops subscriptions, so ask GetMetadata directly.
    const raw = new DaprGrpcClient(sidecar.grpcPort);
    try {
      const viaGrpc = await raw.call<{ subscriptions: { topic: string; type: string }[] }>('GetMetadata', {});
      expect(viaGrpc.subscriptions.map((s) => [s.topic, s.type]).sort()).toEqual([
        ['flaky', 'PROGRAMMATIC'],
        ['orders', 'PROGRAMMATIC'],
      ]);
    } finally {
      raw.close();
    }
  });

  it('invokes the gRPC app from an HTTP caller through the sidecar (verb, body, query, content type)', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/invoke/grpc-app/method/echo?a=1&b=two`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'ping',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ body: 'ping', query: 'a=1&b=two', contentType: 'text/plain' });
  });

  it('routes by verb: GET reaches the GET handler', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/invoke/grpc-app/method/hello`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers a handler failure with the HTTP status of its gRPC code and the status as JSON', async () => {
    const response = await fetch(`${sidecar.url}/v1.0/invoke/grpc-app/method/boom`);
    expect(response.status).toBe(500);
    // The SDK's server (Connect) reports a thrown error as INTERNAL without its message.
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ code: 13, message: 'internal error' });
  });

  it('invokes the app from a gRPC DaprClient through the sidecar', async () => {
    const result = await grpcClient.invoker.invoke('grpc-app', 'hello', HttpMethod.GET);
    expect(result).toEqual({ hello: 'world' });
  });
});
