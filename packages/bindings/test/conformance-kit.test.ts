import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { runBindingConformance } from '../src/conformance.ts';
import { memoryQueueDefinition } from './memory-queue-binding.ts';

// The kit against a redelivering source with both directions: every case it has runs.
runBindingConformance({
  name: 'test queue',
  definition: memoryQueueDefinition,
  metadata: { queue: randomUUID() },
  waitTimeoutMs: 5000,
  output: {
    operations: ['create', 'get'],
    roundTrip: async ({ unique, invoke }) => {
      await invoke('create', `payload ${unique}`, { key: unique });
      const read = await invoke('get', undefined, { key: unique });
      expect(Buffer.from(read.data).toString()).toBe(`payload ${unique}`);
      expect(read.contentType).toBe('application/octet-stream');
    },
  },
  input: {
    trigger: async ({ unique, service }) => {
      await service.invoke({ operation: 'create', data: Buffer.from(`event ${unique}`), metadata: { key: unique } });
    },
    redelivers: true,
  },
});
