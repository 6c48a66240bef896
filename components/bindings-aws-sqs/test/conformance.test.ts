import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll } from 'vitest';
import { definition } from '../src/definition.ts';
import { createTestQueue, deleteTestQueue, sqsMetadata } from './sqs-server.ts';

// A short visibility timeout: a message the app did not take comes back within the kit's wait.
const queue = await createTestQueue({ VisibilityTimeout: '2' });
afterAll(() => deleteTestQueue(queue));

runBindingConformance({
  name: 'ElasticMQ',
  definition,
  metadata: sqsMetadata(queue.name),
  output: { operations: ['create'] },
  input: {
    trigger: async ({ unique, service }) => {
      await service.invoke({ operation: 'create', data: Buffer.from(`event ${unique}`) });
    },
    identify: (event) => event.metadata['messageId'] ?? '',
    redelivers: true,
  },
});
