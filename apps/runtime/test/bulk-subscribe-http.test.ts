import { createServer, type Server } from 'node:http';
import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultResources, freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

interface BulkEntry {
  entryId: string;
  event: { id: string; data: { n: number; kind?: string }; topic: string } | string;
  contentType: string;
  metadata: Record<string, string>;
}

interface BulkRequest {
  path: string;
  contentType: string;
  pubsubHeader: string;
  body: { id: string; entries: BulkEntry[]; metadata: Record<string, string>; pubsubname: string; topic: string; type: string };
}

/** Dapr's Resiliency resource: quick delivery retries (3 retries, 20 ms apart). */
const quickRetries = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: quick
spec:
  policies:
    retries:
      quick:
        policy: constant
        duration: 20ms
        maxRetries: 3
  targets:
    components:
      pubsub:
        inbound:
          retry: quick
`;

const numberOf = (entry: BulkEntry): number => (typeof entry.event === 'string' ? -1 : entry.event.data.n);

/**
 * A plain HTTP app whose `/dapr/subscribe` asks for bulk delivery: mechad posts daprd's bulk
 * envelope and reads `{statuses: [{entryId, status}]}` back.
 */
describe('bulk subscribe to an HTTP app', () => {
  let sidecar: MechadProcess;
  let app: Server;
  const bulks: BulkRequest[] = [];
  const singles: { path: string; event: { data: unknown } }[] = [];
  const retriedOnce = new Set<number>();

  beforeAll(async () => {
    const appPort = await freePort();
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const json = (value: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url === '/dapr/subscribe') {
          const bulk = (maxMessagesCount: number, maxAwaitDurationMs = 30_000) => ({ enabled: true, maxMessagesCount, maxAwaitDurationMs });
          return json([
            { pubsubname: 'pubsub', topic: 'batched', route: '/batched', bulkSubscribe: bulk(5) },
            { pubsubname: 'pubsub', topic: 'timed', routes: { rules: [{ match: 'has(event.data.kind) && event.data.kind == "big"', path: '/timed-big' }], default: '/timed' }, bulkSubscribe: bulk(100, 500) },
            { pubsubname: 'pubsub', topic: 'flaky', route: '/flaky', bulkSubscribe: bulk(3) },
            { pubsubname: 'pubsub', topic: 'raw', route: '/raw', metadata: { rawPayload: 'true' }, bulkSubscribe: bulk(2) },
            { pubsubname: 'pubsub', topic: 'hopeless', route: '/hopeless', deadLetterTopic: 'hopeless-dead', bulkSubscribe: bulk(2) },
            { pubsubname: 'pubsub', topic: 'hopeless-dead', route: '/hopeless-dead' },
          ]);
        }
        const text = Buffer.concat(chunks).toString();
        if (req.url === '/hopeless-dead') {
          singles.push({ path: req.url, event: JSON.parse(text) as { data: unknown } });
          return json({ status: 'SUCCESS' });
        }
        const body = JSON.parse(text) as BulkRequest['body'];
        bulks.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), pubsubHeader: String(req.headers['pubsubname']), body });
        if (req.url === '/hopeless') return void res.writeHead(500).end('broken');
        const statuses = body.entries.map((entry) => {
          const n = numberOf(entry);
          // Entry 2 of the flaky topic is answered RETRY once; entry 3 gets no status at all once.
          if (req.url === '/flaky' && (n === 2 || n === 3) && !retriedOnce.has(n)) {
            retriedOnce.add(n);
            return n === 2 ? { entryId: entry.entryId, status: 'RETRY' } : undefined;
          }
          return { entryId: entry.entryId, status: 'SUCCESS' };
        });
        json({ statuses: statuses.filter((status) => status !== undefined) });
      });
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    sidecar = await startMechad({ appId: 'bulk-http', appPort, resources: { ...defaultResources(tempDir()), 'resiliency.yaml': quickRetries }, waitFor: 'ready' });
  });

  afterAll(async () => {
    await sidecar?.stop();
    await new Promise((resolve) => app?.close(resolve));
  });

  async function publish(topic: string, body: unknown, query = '') {
    const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(204);
  }

  const on = (path: string) => bulks.filter((bulk) => bulk.path === path);

  it('delivers 10 quick events as 2 batches of 5 in daprd’s bulk envelope', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, n) => publish('batched', { n })));
    await waitFor(() => (on('/batched').length >= 2 ? true : undefined), 'two batches');
    const batches = on('/batched');
    expect(batches.map((batch) => batch.body.entries.length)).toEqual([5, 5]);
    expect(batches.flatMap((batch) => batch.body.entries.map(numberOf)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [first] = batches;
    expect(first!.contentType).toBe('application/json');
    expect(first!.pubsubHeader).toBe('pubsub');
    expect(first!.body).toMatchObject({ type: 'com.dapr.event.sent.bulk', topic: 'batched', pubsubname: 'pubsub', metadata: { pubsubName: 'pubsub' } });
    expect(first!.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const entry = first!.body.entries[0]!;
    expect(entry.entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry.contentType).toBe('application/cloudevents+json');
    expect(entry.event).toMatchObject({ topic: 'batched', pubsubname: 'pubsub', type: 'com.dapr.event.sent', source: 'bulk-http' });
    expect(new Set(batches.flatMap((batch) => batch.body.entries.map((e) => e.entryId))).size).toBe(10);
  });

  it('delivers a partial batch after maxAwaitDurationMs, one batch per routed path', async () => {
    await Promise.all([publish('timed', { n: 1, kind: 'big' }), publish('timed', { n: 2 }), publish('timed', { n: 3, kind: 'big' })]);
    await waitFor(() => (on('/timed-big').length === 1 && on('/timed').length === 1 ? true : undefined), 'the timed batches');
    expect(on('/timed-big')[0]!.body.entries.map(numberOf).sort()).toEqual([1, 3]);
    expect(on('/timed')[0]!.body.entries.map(numberOf)).toEqual([2]);
  });

  it('delivers again, as a smaller batch, the entries answered RETRY or left without a status', async () => {
    await Promise.all([publish('flaky', { n: 1 }), publish('flaky', { n: 2 }), publish('flaky', { n: 3 })]);
    await waitFor(() => (on('/flaky').flatMap((batch) => batch.body.entries).length >= 5 ? true : undefined), 'the redelivery');
    const batches = on('/flaky');
    expect(batches).toHaveLength(2);
    expect(batches[1]!.body.entries.map(numberOf).sort()).toEqual([2, 3]);
    // The retry is the same batch, with the same entry ids.
    expect(batches[1]!.body.id).toBe(batches[0]!.body.id);
    const firstIds = new Map(batches[0]!.body.entries.map((entry) => [numberOf(entry), entry.entryId]));
    for (const entry of batches[1]!.body.entries) expect(entry.entryId).toBe(firstIds.get(numberOf(entry)));
  });

  it('hands raw payloads over in base64 with their content type', async () => {
    await Promise.all([publish('raw', { n: 7 }, '?metadata.rawPayload=true'), publish('raw', 'plain', '?metadata.rawPayload=true')]);
    await waitFor(() => (on('/raw').length === 1 ? true : undefined), 'the raw batch');
    const entries = on('/raw')[0]!.body.entries;
    const decoded = entries.map((entry) => Buffer.from(entry.event as string, 'base64').toString()).sort();
    expect(decoded).toEqual(['"plain"', '{"n":7}']);
    expect(entries.map((entry) => entry.contentType)).toEqual(['application/json', 'application/json']);
  });

  it('retries a batch the app answers with an error, then sends its events to the dead-letter topic', async () => {
    await Promise.all([publish('hopeless', { n: 1 }), publish('hopeless', { n: 2 })]);
    await waitFor(() => (singles.length === 2 ? true : undefined), 'two dead letters');
    // 1 delivery + 3 retries, each of the whole batch.
    expect(on('/hopeless').map((batch) => batch.body.entries.length)).toEqual([2, 2, 2, 2]);
    expect(singles.map((single) => (single.event.data as { n: number }).n).sort()).toEqual([1, 2]);
  });
});

/** The official SDK's `DaprServer.pubsub.subscribeBulk` (HTTP): it answers daprd's bulk envelope per entry. */
describe('@dapr/dapr HTTP subscribeBulk', () => {
  let sidecar: MechadProcess;
  let server: DaprServer;
  const received: number[] = [];
  let retryLeft = 1;

  beforeAll(async () => {
    const appPort = await freePort();
    sidecar = await startMechad({ appId: 'sdk-bulk', appPort });
    const clientOptions = {
      daprHost: '127.0.0.1',
      daprPort: String(sidecar.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      logger: { level: LogLevel.Error },
    };
    server = new DaprServer({ serverHost: '127.0.0.1', serverPort: String(appPort), communicationProtocol: CommunicationProtocolEnum.HTTP, clientOptions, logger: { level: LogLevel.Error } });
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
    await Promise.all(
      [1, 2, 3].map((n) =>
        fetch(`${sidecar.url}/v1.0/publish/pubsub/sdk-orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) }),
      ),
    );
    await waitFor(() => (received.length === 3 ? true : undefined), 'three events');
    expect([...received].sort()).toEqual([1, 2, 3]);
    expect(retryLeft).toBe(0);
  });
});
