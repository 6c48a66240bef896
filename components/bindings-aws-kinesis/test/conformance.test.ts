import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll } from 'vitest';
import { definition } from '../src/definition.ts';
import { createTestStream, deleteTestStream, kinesisMetadata } from './kinesis-server.ts';

const stream = await createTestStream(2);
afterAll(() => deleteTestStream(stream));

runBindingConformance({
  name: 'kinesalite',
  definition,
  metadata: kinesisMetadata(stream, { consumerName: 'conformance' }),
  output: { operations: ['create'] },
  input: {
    trigger: async ({ unique, service }) => {
      await service.invoke({ operation: 'create', data: Buffer.from(`record ${unique}`), metadata: { partitionKey: unique } });
    },
    identify: (event) => event.metadata['sequenceNumber'] ?? '',
    // Checkpoints are kept in memory only: a new reader starts at the newest records, so an
    // event a closed reader never settled is not handed to the next one (see README).
    redelivers: false,
  },
});
