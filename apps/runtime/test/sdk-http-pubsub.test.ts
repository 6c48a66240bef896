import { CommunicationProtocolEnum, DaprClient, DaprPubSubStatusEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

/** Publish from a DaprClient and receive in a DaprServer subscription, through one mechad. */
describe('@dapr/dapr HTTP: publish and subscribe', () => {
  let sidecar: MechadProcess;
  let server: DaprServer;
  let client: DaprClient;
  const received: { topic: string; data: unknown }[] = [];
  let failuresLeft = 2;
  let retried = 0;

  beforeAll(async () => {
    const appPort = await freePort();
    sidecar = await startMechad({ appId: 'sdk-pubsub', appPort });
    const clientOptions = {
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    };
    server = new DaprServer({
      serverHost: '127.0.0.1',
      serverPort: String(appPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      clientOptions,
      logger: { level: LogLevel.Error },
    });
    await server.pubsub.subscribe('pubsub', 'orders', async (data: unknown) => {
      received.push({ topic: 'orders', data });
    });
    await server.pubsub.subscribe('pubsub', 'flaky', async (data: unknown) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        retried += 1;
        return DaprPubSubStatusEnum.RETRY;
      }
      received.push({ topic: 'flaky', data });
    });
    await server.start();
    client = new DaprClient(clientOptions);
    await waitFor(async () => ((await fetch(`${sidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'mechad ready');
  });

  afterAll(async () => {
    await server?.stop();
    await sidecar?.stop();
  });

  it('delivers a JSON event to the subscriber', async () => {
    const result = await client.pubsub.publish('pubsub', 'orders', { orderId: 42 });
    expect(result.error).toBeUndefined();
    const event = await waitFor(() => received.find((r) => r.topic === 'orders'), 'the event');
    expect(event.data).toEqual({ orderId: 42 });
  });

  it('redelivers an event the app answered RETRY for', async () => {
    await client.pubsub.publish('pubsub', 'flaky', { attempt: 'x' });
    const event = await waitFor(() => received.find((r) => r.topic === 'flaky'), 'the retried event', 15_000);
    expect(event.data).toEqual({ attempt: 'x' });
    expect(retried).toBe(2);
  });

  it('bulk publishes', async () => {
    const before = received.filter((r) => r.topic === 'orders').length;
    const result = await client.pubsub.publishBulk('pubsub', 'orders', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(result.failedMessages).toEqual([]);
    await waitFor(() => (received.filter((r) => r.topic === 'orders').length === before + 3 ? true : undefined), 'three bulk events');
  });

  it('lists the programmatic subscriptions in metadata', async () => {
    const metadata = (await client.metadata.get()) as unknown as { subscriptions: { pubsubname: string; topic: string; type: string }[] };
    expect(metadata.subscriptions).toEqual(
      expect.arrayContaining([expect.objectContaining({ pubsubname: 'pubsub', topic: 'orders', type: 'PROGRAMMATIC' })]),
    );
  });
});
