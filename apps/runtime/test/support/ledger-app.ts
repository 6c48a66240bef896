import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

/**
 * A subscriber app run as its own process, so a test can kill it (SIGKILL) mid-run. It
 * answers `GET /dapr/subscribe` with `LEDGER_SUBSCRIPTIONS` and, for every event delivered,
 * appends the event's id to `<LEDGER_DIR>/attempts` (`<id> <status>`) and, when it answers
 * SUCCESS, to `<LEDGER_DIR>/delivered` — synchronously, before the answer leaves, so a kill
 * loses nothing the app acknowledged (the kernel keeps a killed process's writes).
 *
 * An event's id is its data's `id` field when the data is an object that has one, else its
 * data when that is a string, else the CloudEvent id.
 *
 * Environment:
 * - LEDGER_PORT: where to listen (127.0.0.1).
 * - LEDGER_DIR: where the two files are.
 * - LEDGER_SUBSCRIPTIONS: the JSON answer to `GET /dapr/subscribe`.
 * - LEDGER_MODE: `success` (default) or `fail-all` (every event answered with HTTP 500).
 * - LEDGER_RETRY: comma-separated ids answered `{"status":"RETRY"}`.
 */
const port = Number(process.env['LEDGER_PORT']);
const dir = process.env['LEDGER_DIR'] ?? '';
const subscriptions = process.env['LEDGER_SUBSCRIPTIONS'] ?? '[]';
const failAll = process.env['LEDGER_MODE'] === 'fail-all';
const retry = new Set((process.env['LEDGER_RETRY'] ?? '').split(',').filter(Boolean));
if (!Number.isInteger(port) || port <= 0 || !dir) {
  console.error('ledger app: LEDGER_PORT and LEDGER_DIR are required');
  process.exit(2);
}
const deliveredFile = path.join(dir, 'delivered');
const attemptsFile = path.join(dir, 'attempts');

function eventId(event: { id?: unknown; data?: unknown }): string {
  const { data } = event;
  if (data && typeof data === 'object' && typeof (data as { id?: unknown }).id === 'string') return (data as { id: string }).id;
  if (typeof data === 'string') return data;
  return String(event.id);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method === 'GET' && request.url === '/dapr/subscribe') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(subscriptions);
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(404).end();
      return;
    }
    let id: string;
    try {
      id = eventId(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; data?: unknown });
    } catch {
      response.writeHead(400).end('not a JSON event');
      return;
    }
    if (failAll) {
      appendFileSync(attemptsFile, `${id} FAIL\n`);
      response.writeHead(500).end('failing every event');
      return;
    }
    if (retry.has(id)) {
      appendFileSync(attemptsFile, `${id} RETRY\n`);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"RETRY"}');
      return;
    }
    appendFileSync(attemptsFile, `${id} SUCCESS\n`);
    appendFileSync(deliveredFile, `${id}\n`);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`ledger app listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
