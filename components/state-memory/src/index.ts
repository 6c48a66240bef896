import { defineComponent, defineMetadata } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { MemoryStateStore } from './memory-state-store.ts';

export { MemoryStateStore, type MemoryStateStoreOptions } from './memory-state-store.ts';

export const definition = defineComponent({
  type: 'state.in-memory',
  version: 'v1',
  block: 'state',
  description: 'State kept in the process memory, with ETags, TTL and transactions; lost on restart.',
  // Like Dapr's in-memory store: no fields of its own (keyPrefix and friends are read by the block).
  metadata: defineMetadata({}),
  features: ['ETAG', 'TRANSACTIONAL', 'TTL'] satisfies StateFeature[],
  create: async (): Promise<StateStore> => new MemoryStateStore(),
});
