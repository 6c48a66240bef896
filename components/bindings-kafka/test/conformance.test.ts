import { randomUUID } from 'node:crypto';
import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll, beforeAll } from 'vitest';
import { definition } from '../src/definition.ts';
import { createTopics, deleteTopics, kafkaBrokers } from './kafka-server.ts';

const topic = `bindings-conformance-${randomUUID()}`;

beforeAll(() => createTopics([topic]));
afterAll(() => deleteTopics([topic]));

runBindingConformance({
  name: 'kafka',
  definition,
  metadata: { brokers: kafkaBrokers, authType: 'none', topics: topic, publishTopic: topic, consumerGroup: `conformance-${randomUUID()}` },
  output: { operations: ['create'] },
  input: {
    trigger: async ({ unique, service }) => {
      await service.invoke({ operation: 'create', data: Buffer.from(unique), metadata: { partitionKey: unique } });
    },
    redelivers: true,
  },
  waitTimeoutMs: 30_000,
});
