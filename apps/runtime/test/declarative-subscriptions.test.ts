import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultResources, freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * Declarative Subscription resources through mechad, delivered to a plain HTTP app: routing
 * rules pick the path by event content, and an event the app keeps failing ends up on the
 * dead-letter topic.
 */
describe('declarative subscriptions', () => {
  let sidecar: MechadProcess;
  let app: Server;
  const seen: { path: string; contentType: string; event: { type: string; data: unknown; topic: string; pubsubname: string; source: string } }[] = [];

  beforeAll(async () => {
    const appPort = await freePort();
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/dapr/subscribe') return void res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
        const event = JSON.parse(Buffer.concat(chunks).toString());
        seen.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), event });
        if (req.url === '/always-fails') return void res.writeHead(500).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
      });
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    const resources = {
      ...defaultResources(tempDir()),
      'subscriptions.yaml': `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: widgets
spec:
  pubsubname: pubsub
  topic: inventory
  routes:
    rules:
      - match: event.type == "widget"
        path: /widgets
      - match: event.data.priority > 5
        path: /urgent
    default: /inventory
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: poison
spec:
  pubsubname: pubsub
  topic: payments
  routes:
    default: /always-fails
  deadLetterTopic: payments-dead
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata:
  name: dead-letters
spec:
  pubsubname: pubsub
  topic: payments-dead
  route: /dead-letters
`,
      // Dapr's Resiliency resource sets the delivery retries: 3 retries, 50 ms apart.
      'resiliency.yaml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: fast-retries
spec:
  policies:
    retries:
      quick:
        policy: constant
        duration: 50ms
        maxRetries: 3
  targets:
    components:
      pubsub:
        inbound:
          retry: quick
`,
    };
    sidecar = await startMechad({ appId: 'declarative', appPort, resources, waitFor: 'ready' });
  });

  afterAll(async () => {
    await sidecar?.stop();
    await new Promise((resolve) => app?.close(resolve));
  });

  async function publish(topic: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(response.status).toBe(204);
  }

  it('routes by CloudEvent type and by data content, with a default', async () => {
    await publish('inventory', { specversion: '1.0', id: 'w1', source: 'test', type: 'widget', data: { n: 1 } }, { 'content-type': 'application/cloudevents+json' });
    await publish('inventory', { priority: 9 });
    await publish('inventory', { priority: 1 });
    await waitFor(() => (seen.filter((s) => s.event.topic === 'inventory').length === 3 ? true : undefined), 'three inventory events');
    const byPath = Object.fromEntries(seen.filter((s) => s.event.topic === 'inventory').map((s) => [s.path, s.event]));
    expect(byPath['/widgets']).toMatchObject({ type: 'widget', data: { n: 1 }, pubsubname: 'pubsub' });
    expect(byPath['/urgent']).toMatchObject({ type: 'com.dapr.event.sent', source: 'declarative', data: { priority: 9 } });
    expect(byPath['/inventory']).toMatchObject({ data: { priority: 1 } });
    expect(seen[0]!.contentType).toBe('application/cloudevents+json');
  });

  it('sends an event that keeps failing to the dead-letter topic', async () => {
    await publish('payments', { amount: 12 });
    const dead = await waitFor(() => seen.find((s) => s.path === '/dead-letters'), 'the dead letter', 20_000);
    expect(dead.event.data).toEqual({ amount: 12 });
    // The first delivery and the three retries the Resiliency policy allows.
    expect(seen.filter((s) => s.path === '/always-fails').length).toBe(4);
  });

  it('lists both subscriptions in metadata as DECLARATIVE with their rules', async () => {
    const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as {
      subscriptions: { topic: string; type: string; rules: { match: string; path: string }[]; deadLetterTopic: string }[];
    };
    const widgets = metadata.subscriptions.find((s) => s.topic === 'inventory')!;
    expect(widgets.type).toBe('DECLARATIVE');
    expect(widgets.rules).toEqual([
      { match: 'event.type == "widget"', path: '/widgets' },
      { match: 'event.data.priority > 5', path: '/urgent' },
      { match: '', path: '/inventory' },
    ]);
    expect(metadata.subscriptions.find((s) => s.topic === 'payments')!.deadLetterTopic).toBe('payments-dead');
  });
});
