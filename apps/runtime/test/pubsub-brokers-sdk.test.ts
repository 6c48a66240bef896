import { createServer, type Server } from 'node:http';
import { CommunicationProtocolEnum, DaprClient, DaprServer, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from './backends/backends.ts';
import { brokers, requireBroker, type Broker } from './backends/brokers.ts';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * Each broker's Dapr component file, unchanged, behind mechad, used the way a Dapr app uses
 * it: the official `@dapr/dapr` SDK publishing with a DaprClient and receiving in a DaprServer,
 * over HTTP and over gRPC (app and API). The events cross the real broker with their
 * CloudEvent fields intact (read back through a `rawPayload` subscription, which hands the app
 * the bytes the broker carried), and a raw payload arrives as it was sent. A declarative
 * `Subscription` (dapr.io/v2alpha1) routes events to paths by their content.
 */
const modes = [
  { label: 'HTTP', protocol: CommunicationProtocolEnum.HTTP },
  { label: 'gRPC', protocol: CommunicationProtocolEnum.GRPC },
] as const;

interface Received {
  data: unknown;
  headers: Record<string, string>;
}

function describeSdk(broker: Broker, mode: (typeof modes)[number]): void {
  describe(`${broker.name} (${broker.type}) with @dapr/dapr over ${mode.label}`, () => {
    const run = runId();
    const topics = { orders: `orders-${run}`, envelopes: `envelopes-${run}`, raw: `raw-${run}` };
    const appId = `sdk-${broker.name}-${mode.label.toLowerCase()}-${run}`;
    const received: Record<keyof typeof topics, Received[]> = { orders: [], envelopes: [], raw: [] };
    let sidecar: MechadProcess | undefined;
    let server: DaprServer | undefined;
    let client: DaprClient;

    beforeAll(async () => {
      await requireBroker(broker.main);
      const appPort = await freePort();
      const grpc = mode.protocol === CommunicationProtocolEnum.GRPC;
      sidecar = await startMechad({
        appId,
        appPort,
        resources: { 'pubsub.yaml': broker.componentYaml(broker.main) },
        ...(grpc ? { args: ['--app-protocol', 'grpc'] } : {}),
      });
      const clientOptions = {
        daprHost: '127.0.0.1',
        daprPort: String(grpc ? sidecar.grpcPort : sidecar.httpPort),
        communicationProtocol: mode.protocol,
        logger: { level: LogLevel.Error },
      };
      server = new DaprServer({
        serverHost: '127.0.0.1',
        serverPort: String(appPort),
        communicationProtocol: mode.protocol,
        clientOptions,
        logger: { level: LogLevel.Error },
      });
      const record = (into: Received[]) => async (data: unknown, headers?: object) => {
        into.push({ data, headers: (headers ?? {}) as Record<string, string> });
      };
      await server.pubsub.subscribe('pubsub', topics.orders, record(received.orders));
      // rawPayload: the app gets the broker's bytes, here the CloudEvent envelope mechad published.
      await server.pubsub.subscribe('pubsub', topics.envelopes, record(received.envelopes), '', { rawPayload: true });
      await server.pubsub.subscribe('pubsub', topics.raw, record(received.raw), '', { rawPayload: true });
      await server.start();
      client = new DaprClient(clientOptions);
      // /v1.0/healthz answers 204 once the app's subscriptions are made on the broker.
      const ready = sidecar;
      await waitFor(async () => ((await fetch(`${ready.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'mechad ready with the app subscriptions', 30_000);
      expect(sidecar.output()).not.toContain('subscription failed');
    });

    afterAll(async () => {
      await server?.stop();
      await sidecar?.stop();
    });

    it('publishes with a DaprClient and delivers to the DaprServer subscription', async () => {
      const result = await client.pubsub.publish('pubsub', topics.orders, { orderId: 1, note: 'first' });
      expect(result.error).toBeUndefined();
      const event = await waitFor(() => received.orders.find((r) => (r.data as { orderId?: number }).orderId === 1), 'the order event', 30_000);
      expect(event.data).toEqual({ orderId: 1, note: 'first' });
    });

    it("keeps the publisher's CloudEvent fields across the broker", async () => {
      const cloudEvent = {
        specversion: '1.0',
        id: `ce-${run}`,
        source: 'sdk-tests',
        type: 'com.example.order.created',
        subject: 'order-7',
        datacontenttype: 'application/json',
        data: { orderId: 7 },
      };
      expect((await client.pubsub.publish('pubsub', topics.envelopes, cloudEvent)).error).toBeUndefined();
      const event = await waitFor(() => received.envelopes.find((r) => (r.data as { id?: string }).id === cloudEvent.id), 'the CloudEvent', 30_000);
      expect(event.data).toMatchObject({ ...cloudEvent, topic: topics.envelopes, pubsubname: 'pubsub' });
    });

    it('wraps plain data in a CloudEvent with the fields Dapr sets', async () => {
      expect((await client.pubsub.publish('pubsub', topics.envelopes, { orderId: 8 })).error).toBeUndefined();
      const event = await waitFor(
        () => received.envelopes.find((r) => (r.data as { data?: { orderId?: number } }).data?.orderId === 8),
        'the wrapped event',
        30_000,
      );
      expect(event.data).toMatchObject({
        specversion: '1.0',
        type: 'com.dapr.event.sent',
        source: appId,
        datacontenttype: 'application/json',
        topic: topics.envelopes,
        pubsubname: 'pubsub',
        data: { orderId: 8 },
      });
      expect((event.data as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('delivers a raw payload as it was sent, without an envelope', async () => {
      const payload = { n: 3, text: 'héllo, raw' };
      expect((await client.pubsub.publish('pubsub', topics.raw, payload, { metadata: { rawPayload: 'true' } })).error).toBeUndefined();
      const event = await waitFor(() => received.raw.find((r) => (r.data as { n?: number }).n === 3), 'the raw payload', 30_000);
      expect(event.data).toEqual(payload);
    });
  });
}

function describeRouting(broker: Broker): void {
  describe(`${broker.name} (${broker.type}): a declarative Subscription routes by event content`, () => {
    const run = runId();
    const topic = `inventory-${run}`;
    const appId = `routing-${broker.name}-${run}`;
    const seen: { path: string; data: { kind?: string; n?: number } }[] = [];
    let sidecar: MechadProcess | undefined;
    let app: Server | undefined;

    beforeAll(async () => {
      await requireBroker(broker.main);
      const appPort = await freePort();
      app = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          if (request.url === '/dapr/subscribe') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
          const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { kind?: string; n?: number } };
          seen.push({ path: request.url ?? '', data: event.data });
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
        });
      });
      await new Promise<void>((resolve) => app!.listen(appPort, '127.0.0.1', resolve));
      const subscription = `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: inventory
spec:
  pubsubname: pubsub
  topic: ${topic}
  routes:
    rules:
      - match: event.data.kind == "widget"
        path: /widgets
      - match: event.data.kind == "gadget" && event.data.n > 5
        path: /big-gadgets
    default: /inventory
scopes:
  - ${appId}
`;
      sidecar = await startMechad({
        appId,
        appPort,
        resources: { 'pubsub.yaml': broker.componentYaml(broker.main), 'subscription.yaml': subscription },
        waitFor: 'ready',
      });
      expect(sidecar.output()).not.toContain('subscription failed');
    });

    afterAll(async () => {
      await sidecar?.stop();
      await new Promise((resolve) => app?.close(resolve));
    });

    it('sends each event to the path whose rule matches its data, and the rest to the default', async () => {
      const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar!.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
      const events = [
        { kind: 'widget', n: 1 },
        { kind: 'gadget', n: 9 },
        { kind: 'gadget', n: 2 },
        { kind: 'sprocket', n: 4 },
      ];
      for (const event of events) expect((await client.pubsub.publish('pubsub', topic, event)).error).toBeUndefined();
      await waitFor(() => (seen.length >= events.length ? true : undefined), 'four routed events', 30_000);
      expect(seen.map((s) => [s.data.kind, s.data.n, s.path]).sort()).toEqual([
        ['gadget', 2, '/inventory'],
        ['gadget', 9, '/big-gadgets'],
        ['sprocket', 4, '/inventory'],
        ['widget', 1, '/widgets'],
      ]);
    });
  });
}

for (const broker of brokers) {
  for (const mode of modes) describeSdk(broker, mode);
  describeRouting(broker);
}
