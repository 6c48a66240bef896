/**
 * One pub/sub target's process: it publishes the messages and receives them, so one clock
 * times each message from its publish call to its delivery. Two modes:
 *
 * - `mechad`: a node:http app (mechad's `--app-port`) that lists one subscription at
 *   `GET /dapr/subscribe`, answers each delivery to `POST /deliver` with 200
 *   `{"status":"SUCCESS"}`, and publishes with `POST /v1.0/publish/<pubsub>/<topic>` to mechad
 *   over keep-alive connections (undici). With `bulk`, the same through Dapr's bulk APIs: the
 *   subscription has `bulkSubscribe` enabled (each delivery a batch, answered with one status
 *   per entry), and publishes made in the same tick go out as one
 *   `POST /v1.0-alpha1/publish/bulk/<pubsub>/<topic>`;
 * - `bare`: the broker's client library publishing and consuming directly (`bare-pubsub.ts`);
 * - `clean-up`: removes a run's topics and groups from the broker, answers, and exits (so the
 *   client libraries, and their warnings, stay out of the benchmark's own process).
 *
 * Started by the benchmark with an IPC channel (`pubsub-driver-process.ts`), which sends it
 * `connect`, `probe` and `run` requests and reads the answers; it exits when the channel closes.
 */
import { createServer } from 'node:http';
import { openBarePubSub, removeBrokerObjects, type BarePubSub } from './bare-pubsub.ts';
import { workspaceLibrary } from './component-client-library.ts';
import type { BrokerServer } from './pubsub-brokers.ts';
import { readMessage } from './pubsub-payload.ts';
import { PubSubWindow, type WindowResult } from './pubsub-window.ts';
import { createWorkload } from './workload.ts';

export type DriverConfig =
  | { mode: 'mechad'; pubsubName: string; topic: string; valueChars: number; bulk?: BulkSettings }
  | { mode: 'bare'; server: BrokerServer; topic: string; group: string; valueChars: number }
  | { mode: 'clean-up'; server: BrokerServer; topics: string[]; groups: string[] };

/** The bulk subscription's batching, as a Dapr user writes it in `bulkSubscribe`. */
export interface BulkSettings {
  maxMessagesCount: number;
  maxAwaitDurationMs: number;
}

export type DriverRequest =
  | { type: 'connect'; mechadPort: number }
  | { type: 'probe'; timeoutMs: number }
  | { type: 'run'; cell: number; messages: number; inflight: number; stallMs: number };

export type DriverReply =
  | { type: 'listening'; port: number }
  | { type: 'ready' }
  | { type: 'connected' }
  | { type: 'probed'; ok: boolean; attempts: number; ms: number }
  | { type: 'result'; result: WindowResult }
  | { type: 'cleaned' }
  | { type: 'failed'; error: string };

const send = (reply: DriverReply) => process.send!(reply);

if (!process.send) {
  console.error('usage: node pubsub-driver.ts <config JSON> (started by the benchmark, with an IPC channel)');
  process.exit(2);
}

const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
const window = new PubSubWindow(createWorkload(1, config.mode === 'clean-up' ? 0 : config.valueChars).valueJson);
let publish: ((body: string) => Promise<void>) | undefined;
let bare: BarePubSub | undefined;
let closeApp: (() => void) | undefined;

function onPayload(payload: Uint8Array): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return;
  }
  const message = readMessage(parsed);
  if (message) window.received(message);
}

function receive(data: unknown): void {
  const message = readMessage(data);
  if (message) window.received(message);
}

/** A bulk delivery (`{"entries": [{"entryId", "event", …}]}`): every entry received and answered SUCCESS. */
function answerBatch(body: unknown): string {
  const entries = (body as { entries?: { entryId?: string; event?: { data?: unknown } }[] } | undefined)?.entries ?? [];
  const statuses = entries.map((entry) => {
    receive(entry.event?.data);
    return { entryId: entry.entryId, status: 'SUCCESS' };
  });
  return JSON.stringify({ statuses });
}

/** The app mechad delivers to: one subscription, every delivery answered SUCCESS. */
function startApp(): Promise<number> {
  if (config.mode !== 'mechad') throw new Error('not in mechad mode');
  const { bulk } = config;
  const subscriptions = JSON.stringify([
    { pubsubname: config.pubsubName, topic: config.topic, route: '/deliver', ...(bulk ? { bulkSubscribe: { enabled: true, ...bulk } } : {}) },
  ]);
  const success = '{"status":"SUCCESS"}';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (req.method === 'POST' && path === '/deliver') {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        const answer = bulk ? answerBatch(body) : (receive((body as { data?: unknown } | undefined)?.data), success);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
        return;
      }
      if (req.method === 'GET' && path === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(subscriptions) }).end(subscriptions);
        return;
      }
      res.writeHead(404, { 'content-length': 0 }).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  closeApp = () => {
    server.close();
    server.closeAllConnections();
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('the app has no port'));
    });
  });
}

/** The part of undici's Pool the app's publisher uses (loaded from @mecha/invocation's folder, untyped here). */
interface UndiciPool {
  request(options: { path: string; method: string; headers: Record<string, string>; body: string }): Promise<{
    statusCode: number;
    body: { text(): Promise<string>; dump(): Promise<void> };
  }>;
}

/**
 * Publishing through mechad's HTTP API with undici (the client mechad uses for its own app
 * channel): keep-alive connections, one request on each at a time, as many connections as
 * messages in flight. It costs less CPU per call than node:http's client, which matters on a
 * machine where the app, mechad and the broker share two cores.
 */
function mechadPublisher(port: number, pubsubName: string, topic: string): (body: string) => Promise<void> {
  const { Pool } = workspaceLibrary('packages/invocation', 'undici') as { Pool: new (origin: string, options: Record<string, unknown>) => UndiciPool };
  const pool = new Pool(`http://127.0.0.1:${port}`, { pipelining: 1, keepAliveTimeout: 60_000 });
  const path = `/v1.0/publish/${encodeURIComponent(pubsubName)}/${encodeURIComponent(topic)}`;
  const headers = { 'content-type': 'application/json' };
  return async (body) => {
    const response = await pool.request({ path, method: 'POST', headers, body });
    if (response.statusCode >= 200 && response.statusCode < 300) {
      await response.body.dump();
      return;
    }
    throw new Error(`mechad answered ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`);
  };
}

/**
 * Publishing through mechad's bulk publish API: the publishes asked for in one tick of the
 * event loop (the window refills its in-flight slots together) go out as one request, and each
 * resolves when it does, or fails if mechad lists its entry among the failed ones.
 */
function mechadBulkPublisher(port: number, pubsubName: string, topic: string): (body: string) => Promise<void> {
  const { Pool } = workspaceLibrary('packages/invocation', 'undici') as { Pool: new (origin: string, options: Record<string, unknown>) => UndiciPool };
  const pool = new Pool(`http://127.0.0.1:${port}`, { pipelining: 1, keepAliveTimeout: 60_000 });
  const path = `/v1.0-alpha1/publish/bulk/${encodeURIComponent(pubsubName)}/${encodeURIComponent(topic)}`;
  const headers = { 'content-type': 'application/json' };
  type Waiting = { body: string; resolve: () => void; reject: (error: Error) => void };
  let batch: Waiting[] = [];
  const send = async (entries: Waiting[]) => {
    // Each body is already JSON text: spliced in as the entry's event, not parsed and re-encoded.
    const request = `[${entries.map((entry, i) => `{"entryId":"${i}","event":${entry.body},"contentType":"application/json"}`).join(',')}]`;
    try {
      const response = await pool.request({ path, method: 'POST', headers, body: request });
      const text = await response.body.text();
      if (response.statusCode === 204 || (response.statusCode >= 200 && response.statusCode < 300 && text === '')) {
        for (const entry of entries) entry.resolve();
        return;
      }
      const failed = new Set((JSON.parse(text) as { failedEntries?: { entryId: string }[] }).failedEntries?.map((f) => f.entryId));
      const error = new Error(`mechad answered ${response.statusCode}: ${text.slice(0, 300)}`);
      entries.forEach((entry, i) => (failed.has(String(i)) || failed.size === 0 ? entry.reject(error) : entry.resolve()));
    } catch (error) {
      for (const entry of entries) entry.reject(error as Error);
    }
  };
  return (body) =>
    new Promise<void>((resolve, reject) => {
      batch.push({ body, resolve, reject });
      if (batch.length === 1) {
        setImmediate(() => {
          const entries = batch;
          batch = [];
          void send(entries);
        });
      }
    });
}

/** Publishes probe messages until one is delivered: the subscription is then in place end to end. */
async function probe(timeoutMs: number): Promise<DriverReply> {
  const started = performance.now();
  let attempts = 0;
  while (performance.now() - started < timeoutMs) {
    attempts++;
    const result = await window.run({ cell: -attempts, messages: 1, inflight: 1, stallMs: 1000, publish: publish! });
    if (result.delivered === 1) return { type: 'probed', ok: true, attempts, ms: performance.now() - started };
    if (result.publishErrors > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { type: 'probed', ok: false, attempts, ms: performance.now() - started };
}

async function handle(request: DriverRequest): Promise<DriverReply> {
  switch (request.type) {
    case 'connect':
      if (config.mode !== 'mechad') throw new Error('connect is for the mechad mode');
      publish = (config.bulk ? mechadBulkPublisher : mechadPublisher)(request.mechadPort, config.pubsubName, config.topic);
      return { type: 'connected' };
    case 'probe':
      return probe(request.timeoutMs);
    case 'run':
      return { type: 'result', result: await window.run({ ...request, publish: publish! }) };
  }
}

process.on('message', (request: DriverRequest) => {
  handle(request).then(send, (error: unknown) => send({ type: 'failed', error: error instanceof Error ? error.message : String(error) }));
});

let closing = false;
async function shutDown(): Promise<void> {
  if (closing) return;
  closing = true;
  closeApp?.();
  await bare?.close().catch(() => undefined);
  process.exit(0);
}
process.on('disconnect', () => void shutDown());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutDown());

try {
  if (config.mode === 'mechad') {
    send({ type: 'listening', port: await startApp() });
  } else if (config.mode === 'clean-up') {
    let reply: DriverReply;
    try {
      await removeBrokerObjects(config.server, config.topics, config.groups);
      reply = { type: 'cleaned' };
    } catch (error) {
      reply = { type: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    process.send(reply, () => process.disconnect());
  } else {
    bare = await openBarePubSub({ server: config.server, topic: config.topic, group: config.group, onMessage: onPayload });
    publish = (body) => bare!.publish(body);
    send({ type: 'ready' });
  }
} catch (error) {
  console.error(`pubsub driver (${config.mode}) could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
