import { runPubSubConformance } from '@mecha/pubsub/conformance';
import { afterAll, beforeAll } from 'vitest';
import { definition } from '../src/index.ts';
import { adminClient, requireTestRedis, testRedis } from './fixtures/test-redis.ts';
import { recordingTopics } from './fixtures/topic-recorder.ts';

beforeAll(() => requireTestRedis());

const topics = new Set<string>();
afterAll(async () => {
  const admin = adminClient();
  try {
    if (topics.size > 0) await admin.del(...topics);
  } finally {
    admin.disconnect();
  }
});

// Short claim timings so a message left by a closed subscriber comes back within the kit's waits.
runPubSubConformance({
  name: `redis streams ${testRedis}`,
  definition: recordingTopics(definition, topics),
  metadata: {
    redisHost: testRedis,
    processingTimeout: '2s',
    redeliverInterval: '500ms',
    nackRedeliverDelay: '20ms',
  },
  competingConsumers: true,
  durable: true,
  // Both cap what a bulk subscription could hold; it raises them to a batch.
  smallLimits: [{ metadata: { queueDepth: '5', concurrency: '2' } }],
});
