/**
 * Runs kinesalite (a Kinesis API server, in memory) until SIGTERM/SIGINT.
 *   node src/kinesalite-server.ts [--host 127.0.0.1] [--port 4567] [--shard-limit 1000] [--stream-ms 100]
 * kinesalite's own command line listens on every interface; this binds the host given
 * (loopback by default). Without a `path` option it keeps streams in memory (memdown), so its
 * optional LevelDB binding (leveldown) is never loaded and need not be built.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';

interface KinesaliteOptions {
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
  shardLimit: number;
}

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '4567' },
    'shard-limit': { type: 'string', default: '1000' },
    'stream-ms': { type: 'string', default: '100' },
  },
});
const wholeNumber = (name: string, text: string, min: number, max: number): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`kinesalite-server: invalid --${name} ${text}`);
    process.exit(2);
  }
  return value;
};
const port = wholeNumber('port', values.port, 1, 65535);
// Every stream shares one account-wide shard limit (10 by default): suites that each create
// streams at the same time would hit it.
const shardLimit = wholeNumber('shard-limit', values['shard-limit'], 1, 100_000);
// How long a stream stays CREATING/DELETING/UPDATING; kept short (500 ms by default) so suites
// stay fast while clients still see the transitions they must wait for.
const streamMs = wholeNumber('stream-ms', values['stream-ms'], 0, 60_000);

const kinesalite = createRequire(import.meta.url)('kinesalite') as (options: KinesaliteOptions) => Server;
const server = kinesalite({ createStreamMs: streamMs, deleteStreamMs: streamMs, updateStreamMs: streamMs, shardLimit });

await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, values.host, () => resolve());
});
console.log(`kinesalite-server: listening on ${values.host}:${port}`);

function shutdown(): void {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
export {};
