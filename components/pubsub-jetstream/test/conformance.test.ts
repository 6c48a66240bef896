import { randomUUID } from 'node:crypto';
import { runPubSubConformance } from '@mecha/pubsub/conformance';
import { afterAll, beforeAll } from 'vitest';
import { definition } from '../src/index.ts';
import { deleteStreams } from './jetstream-admin.ts';
import { NATS_URL, requireServer } from './nats-server.ts';

// Each run keeps its topics in streams of its own (the component adds every topic to the
// stream named by streamName), so deleting them afterwards leaves nothing behind.
const single = `mecha-conformance-${randomUUID().slice(0, 8)}`;
const parallel = `mecha-conformance-${randomUUID().slice(0, 8)}`;

beforeAll(() => requireServer(NATS_URL, 'nats'));
afterAll(() => deleteStreams(NATS_URL, [single, parallel]));

runPubSubConformance({
  name: 'jetstream (concurrency single)',
  definition,
  metadata: { natsURL: NATS_URL, streamName: single, ackWait: '2s' },
  competingConsumers: true,
  durable: true,
  // One message at a time, in stream order: publish order holds for a whole topic.
  orderedPerKey: true,
  // A bulk subscription gets a batch at a time, in order, and flushes it.
  bulkFlushes: true,
});

runPubSubConformance({
  name: 'jetstream (concurrency parallel)',
  definition,
  metadata: { natsURL: NATS_URL, streamName: parallel, concurrency: 'parallel', ackWait: '2s' },
  competingConsumers: true,
  // The durability cases do not depend on the concurrency; the run above has them.
  durable: false,
});
