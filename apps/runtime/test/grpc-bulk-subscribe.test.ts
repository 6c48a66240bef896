import * as grpc from '@grpc/grpc-js';
import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprProtos } from '../src/grpc/protos.ts';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface CloudEventEntry {
  id: string;
  source: string;
  type: string;
  spec_version: string;
  data_content_type: string;
  data: Buffer;
  extensions: { fields: Record<string, { stringValue?: string }> };
}

interface BulkEntry {
  entry_id: string;
  event: 'bytes' | 'cloud_event';
  bytes?: Buffer;
  cloud_event?: CloudEventEntry;
  content_type: string;
  metadata: Record<string, string>;
}

interface BulkRequest {
  id: string;
  entries: BulkEntry[];
  metadata: Record<string, string>;
  topic: string;
  pubsub_name: string;
  type: string;
  path: string;
}

interface BulkCall {
  method: 'OnBulkTopicEvent' | 'OnBulkTopicEventAlpha1';
  request: BulkRequest;
  metadata: Record<string, unknown>;
}

interface Subscription {
  topic: string;
  maxMessagesCount: number;
  metadata?: Record<string, string>;
}

/** The `n` a test event carries in its JSON data. */
function numberOf(entry: BulkEntry): number {
  const bytes = entry.cloud_event ? entry.cloud_event.data : entry.bytes!;
  return (JSON.parse(bytes.toString()) as { n: number }).n;
}

/**
 * A gRPC app written against the raw services: AppCallback always (subscriptions and single
 * events), plus the stable and/or alpha bulk method as the test asks. Entry `n == 2` of the
 * topic `bulk-flaky` is answered RETRY once.
 */
class BulkGrpcApp {
  readonly server = new grpc.Server();
  readonly bulkCalls: BulkCall[] = [];
  readonly singles: { topic: string; n: number }[] = [];
  readonly #retried = new Set<string>();

  constructor(subscriptions: Subscription[], serves: { stable: boolean; alpha: boolean }) {
    const protos = daprProtos();
    const bulkHandler =
      (method: BulkCall['method']) =>
      (call: grpc.ServerUnaryCall<BulkRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const request = call.request;
        this.bulkCalls.push({ method, request, metadata: call.metadata.getMap() });
        const statuses = request.entries.map((entry) => {
          if (request.topic === 'bulk-flaky' && numberOf(entry) === 2 && !this.#retried.has(entry.entry_id)) {
            this.#retried.add(entry.entry_id);
            return { entry_id: entry.entry_id, status: 'RETRY' };
          }
          return { entry_id: entry.entry_id, status: 'SUCCESS' };
        });
        callback(null, { statuses });
      };
    this.server.addService(protos.appCallback.service, {
      ListTopicSubscriptions: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, {
          subscriptions: subscriptions.map((subscription) => ({
            pubsub_name: 'pubsub',
            topic: subscription.topic,
            metadata: subscription.metadata ?? {},
            routes: { default: `/${subscription.topic}` },
            bulk_subscribe: { enabled: true, max_messages_count: subscription.maxMessagesCount, max_await_duration_ms: 30_000 },
          })),
        }),
      OnTopicEvent: (call: grpc.ServerUnaryCall<{ topic: string; data: Buffer }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        this.singles.push({ topic: call.request.topic, n: (JSON.parse(call.request.data.toString()) as { n: number }).n });
        callback(null, { status: 'SUCCESS' });
      },
      ...(serves.stable ? { OnBulkTopicEvent: bulkHandler('OnBulkTopicEvent') } : {}),
    });
    if (serves.alpha) this.server.addService(protos.appCallbackAlpha.service, { OnBulkTopicEventAlpha1: bulkHandler('OnBulkTopicEventAlpha1') });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

async function startApp(appId: string, subscriptions: Subscription[], serves: { stable: boolean; alpha: boolean }) {
  const appPort = await freePort();
  const app = new BulkGrpcApp(subscriptions, serves);
  await app.listen(appPort);
  const sidecar = await startMechad({ appId, appPort, args: ['--app-protocol', 'grpc'], waitFor: 'ready' });
  return { app, sidecar };
}

async function publish(sidecar: MechadProcess, topic: string, n: number, query = ''): Promise<void> {
  const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ n }),
  });
  expect(response.status).toBe(204);
}

describe('bulk subscribe to a gRPC app serving AppCallbackAlpha', () => {
  let app: BulkGrpcApp;
  let sidecar: MechadProcess;

  beforeAll(async () => {
    ({ app, sidecar } = await startApp(
      'grpc-bulk-alpha',
      [
        { topic: 'bulk', maxMessagesCount: 4 },
        { topic: 'bulk-flaky', maxMessagesCount: 3 },
        { topic: 'bulk-raw', maxMessagesCount: 2, metadata: { rawPayload: 'true' } },
      ],
      { stable: false, alpha: true },
    ));
  });

  afterAll(async () => {
    await sidecar?.stop();
    await app?.close();
  });

  const calls = (topic: string) => app.bulkCalls.filter((call) => call.request.topic === topic);

  it('delivers a batch through OnBulkTopicEventAlpha1 when OnBulkTopicEvent is UNIMPLEMENTED', async () => {
    await Promise.all([1, 2, 3, 4].map((n) => publish(sidecar, 'bulk', n)));
    await waitFor(() => (calls('bulk').length === 1 ? true : undefined), 'the batch');
    const [call] = calls('bulk');
    expect(call!.method).toBe('OnBulkTopicEventAlpha1');
    expect(call!.request).toMatchObject({ topic: 'bulk', pubsub_name: 'pubsub', type: 'com.dapr.event.sent.bulk', path: '/bulk', metadata: { pubsubName: 'pubsub' } });
    expect(call!.request.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(call!.metadata['pubsubname']).toBe('pubsub');
    expect(call!.request.entries.map(numberOf).sort()).toEqual([1, 2, 3, 4]);
    const entry = call!.request.entries[0]!;
    expect(entry.event).toBe('cloud_event');
    expect(entry.content_type).toBe('application/cloudevents+json');
    expect(entry.cloud_event).toMatchObject({ source: 'grpc-bulk-alpha', type: 'com.dapr.event.sent', spec_version: '1.0', data_content_type: 'application/json' });
    expect(entry.cloud_event!.extensions.fields['topic']).toMatchObject({ stringValue: 'bulk' });
    expect(app.singles).toEqual([]);
  });

  it('delivers an entry answered RETRY again, alone', async () => {
    await Promise.all([1, 2, 3].map((n) => publish(sidecar, 'bulk-flaky', n)));
    await waitFor(() => (calls('bulk-flaky').length === 2 ? true : undefined), 'the retry');
    expect(calls('bulk-flaky').map((call) => call.request.entries.map(numberOf).sort())).toEqual([[1, 2, 3], [2]]);
  });

  it('hands raw payloads over as bytes', async () => {
    await Promise.all([5, 6].map((n) => publish(sidecar, 'bulk-raw', n, '?metadata.rawPayload=true')));
    await waitFor(() => (calls('bulk-raw').length === 1 ? true : undefined), 'the raw batch');
    const entries = calls('bulk-raw')[0]!.request.entries;
    expect(entries.map((entry) => entry.event)).toEqual(['bytes', 'bytes']);
    expect(entries.map(numberOf).sort()).toEqual([5, 6]);
    expect(entries.map((entry) => entry.content_type)).toEqual(['application/json', 'application/json']);
  });
});

describe('bulk subscribe to a gRPC app serving AppCallback.OnBulkTopicEvent', () => {
  let app: BulkGrpcApp;
  let sidecar: MechadProcess;

  beforeAll(async () => {
    ({ app, sidecar } = await startApp('grpc-bulk-stable', [{ topic: 'bulk', maxMessagesCount: 2 }], { stable: true, alpha: true }));
  });

  afterAll(async () => {
    await sidecar?.stop();
    await app?.close();
  });

  it('prefers the stable method, as daprd does', async () => {
    await Promise.all([1, 2].map((n) => publish(sidecar, 'bulk', n)));
    await waitFor(() => (app.bulkCalls.length === 1 ? true : undefined), 'the batch');
    expect(app.bulkCalls.map((call) => call.method)).toEqual(['OnBulkTopicEvent']);
  });
});

describe('bulk subscribe to a gRPC app without bulk methods', () => {
  let app: BulkGrpcApp;
  let sidecar: MechadProcess;

  beforeAll(async () => {
    ({ app, sidecar } = await startApp('grpc-bulk-none', [{ topic: 'bulk', maxMessagesCount: 5 }], { stable: false, alpha: false }));
  });

  afterAll(async () => {
    await sidecar?.stop();
    await app?.close();
  });

  it('still delivers every event, one by one through OnTopicEvent', async () => {
    await Promise.all([1, 2, 3, 4, 5].map((n) => publish(sidecar, 'bulk', n)));
    await waitFor(() => (app.singles.length === 5 ? true : undefined), 'five single events');
    expect(app.singles.map((single) => single.n).sort()).toEqual([1, 2, 3, 4, 5]);
    // Later batches go straight to OnTopicEvent.
    await Promise.all([6, 7, 8, 9, 10].map((n) => publish(sidecar, 'bulk', n)));
    await waitFor(() => (app.singles.length === 10 ? true : undefined), 'ten single events');
    expect(app.bulkCalls).toEqual([]);
    expect(sidecar.output().match(/implements neither OnBulkTopicEvent/g)).toHaveLength(1);
  });
});

/** The official SDK's gRPC server serves AppCallbackAlpha.OnBulkTopicEventAlpha1 for `subscribeBulk`. */
describe('@dapr/dapr gRPC subscribeBulk', () => {
  let sidecar: MechadProcess;
  let server: DaprServer;
  const received: number[] = [];
  let retryLeft = 1;

  beforeAll(async () => {
    const appPort = await freePort();
    sidecar = await startMechad({ appId: 'grpc-sdk-bulk', appPort, args: ['--app-protocol', 'grpc'] });
    const clientOptions = {
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.grpcPort),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      logger: { level: LogLevel.Error },
    };
    server = new DaprServer({ serverHost: '127.0.0.1', serverPort: String(appPort), communicationProtocol: CommunicationProtocolEnum.GRPC, clientOptions, logger: { level: LogLevel.Error } });
    await server.pubsub.subscribeBulk(
      'pubsub',
      'sdk-orders',
      async (data: unknown) => {
        const { n } = data as { n: number };
        if (n === 2 && retryLeft > 0) {
          retryLeft -= 1;
          return DaprPubSubStatusEnum.RETRY;
        }
        received.push(n);
        return DaprPubSubStatusEnum.SUCCESS;
      },
      { maxMessagesCount: 3, maxAwaitDurationMs: 500 },
    );
    await server.start();
    await waitFor(async () => ((await fetch(`${sidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'mechad ready');
  });

  afterAll(async () => {
    await server?.stop();
    await sidecar?.stop();
  });

  it('receives every event of a batch, and again the one it answered RETRY', async () => {
    await Promise.all([1, 2, 3].map((n) => publish(sidecar, 'sdk-orders', n)));
    await waitFor(() => (received.length === 3 ? true : undefined), 'three events');
    expect([...received].sort()).toEqual([1, 2, 3]);
    expect(retryLeft).toBe(0);
  });
});
