/**
 * Baseline B: the smallest Node HTTP server that serves the two state routes the benchmark
 * uses with the same shape as mechad (`POST /v1.0/state/statestore` → 204, `GET
 * /v1.0/state/statestore/<key>` → 200 + JSON + etag, 204 when missing), each request making
 * one store call: for SQLite the same StateService call on the same kind of store as mechad;
 * for Redis and PostgreSQL the bare client library's call (see bare-store.ts). No router, no
 * framework, no checks beyond what the call needs: what any Node sidecar pays at least.
 *
 * Run as a child of the benchmark: `node minimal-server.ts '<store JSON>'` (a MinimalStore);
 * it listens on a free loopback port and sends `{ port }` over the IPC channel, and exits when
 * that channel closes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { StateService } from '@mecha/state';
import { SqliteStateStore, definition } from '@mecha/state-sqlite';
import { openBareStore } from './bare-store.ts';
import type { MinimalStore } from './minimal-server-process.ts';
import { appId, storeName } from './workload.ts';

interface Backend {
  get(key: string): Promise<{ value: Uint8Array; etag?: string } | undefined>;
  /** Each item's value as its JSON text, as mechad and daprd store a value posted over HTTP. */
  save(items: { key: string; valueJson: string }[]): Promise<void>;
  close(): Promise<void>;
}

async function openBackend(spec: MinimalStore): Promise<Backend> {
  if (spec.kind === 'sqlite') {
    const state = new StateService({
      store: new SqliteStateStore({ connectionString: spec.dbFile }),
      features: definition.features,
      appId,
      name: storeName,
    });
    return {
      get: (key) => state.get(key),
      save: (items) => state.save(items.map((item) => ({ key: item.key, value: Buffer.from(item.valueJson) }))),
      close: () => state.close(),
    };
  }
  const store = await openBareStore(spec.server, spec.prefix);
  return {
    get: (key) => store.get(key),
    save: async (items) => {
      await Promise.all(items.map((item) => store.set(item.key, item.valueJson)));
    },
    close: () => store.close(),
  };
}

let spec: MinimalStore | undefined;
try {
  spec = JSON.parse(process.argv[2] ?? '') as MinimalStore;
} catch {
  spec = undefined;
}
if (!spec || !process.send) {
  console.error("usage: node minimal-server.ts '<store JSON>' (started by the benchmark, with an IPC channel)");
  process.exit(2);
}

const backend = await openBackend(spec);
const statePrefix = `/v1.0/state/${storeName}`;

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errorCode: code, message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function save(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let items: unknown;
  try {
    items = JSON.parse(await readBody(req));
  } catch (error) {
    return fail(res, 400, 'ERR_MALFORMED_REQUEST', (error as Error).message);
  }
  if (!Array.isArray(items)) return fail(res, 400, 'ERR_MALFORMED_REQUEST', 'the body must be an array of state items');
  await backend.save(items.map((item: { key: string; value: unknown }) => ({ key: item.key, valueJson: JSON.stringify(item.value ?? null) })));
  res.writeHead(204).end();
}

async function get(key: string, res: ServerResponse): Promise<void> {
  const found = await backend.get(key);
  if (!found) return void res.writeHead(204).end();
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': found.value.byteLength };
  if (found.etag !== undefined) headers['etag'] = found.etag;
  res.writeHead(200, headers).end(found.value);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  if (path === statePrefix && (req.method === 'POST' || req.method === 'PUT')) return save(req, res);
  if (req.method === 'GET' && path.startsWith(`${statePrefix}/`)) return get(decodeURIComponent(path.slice(statePrefix.length + 1)), res);
  if (req.method === 'GET' && path === '/v1.0/healthz') return void res.writeHead(204).end();
  fail(res, 404, 'ERR_NOT_FOUND', `no route ${req.method} ${path}`);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => fail(res, 500, 'ERR_INTERNAL', error instanceof Error ? error.message : String(error)));
});
// The same idle keep-alive window as mechad, so neither closes a benchmark connection.
server.keepAliveTimeout = 65_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.send!({ port: address.port });
});

process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  void backend.close().finally(() => process.exit(0));
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.disconnect?.());
