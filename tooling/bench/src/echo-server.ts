/**
 * The app the invocation rows call: a bare node:http server that answers `POST /echo` with
 * 200 and the request body, in the request's content type. Every other path is 404, so a
 * sidecar asking `GET /dapr/subscribe` learns there are no subscriptions.
 *
 * Run as a child of the benchmark: `node echo-server.ts`; it listens on a free loopback port,
 * sends `{ port }` over the IPC channel, and exits when that channel closes.
 */
import { createServer } from 'node:http';

if (!process.send) {
  console.error('usage: node echo-server.ts (started by the benchmark, with an IPC channel)');
  process.exit(2);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/echo') return void res.writeHead(404).end();
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.byteLength }).end(body);
  });
});
server.keepAliveTimeout = 65_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.send!({ port: address.port });
});

process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.disconnect?.());
