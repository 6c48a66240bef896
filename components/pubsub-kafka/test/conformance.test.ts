import { runPubSubConformance } from '@mecha/pubsub/conformance';
import { beforeAll } from 'vitest';
import { definition } from '../src/index.ts';
import { KAFKA, requireKafka } from './kafka-server.ts';

beforeAll(() => requireKafka(KAFKA, 'kafka'));

runPubSubConformance({
  name: 'kafka',
  definition,
  metadata: {
    brokers: KAFKA,
    authType: 'none',
    // Short group timings so competing members rebalance quickly; the broker allows 1 s sessions.
    heartbeatInterval: '300ms',
    sessionTimeout: '3s',
    consumeRetryInterval: '20ms',
  },
  competingConsumers: true,
  durable: true,
  orderedPerKey: true,
  // A partition's messages go to a bulk subscription a batch at a time, then flush.
  bulkFlushes: true,
});
