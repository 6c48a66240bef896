import { defineComponent, defineMetadata } from '@mecha/core';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { MemoryBroker } from './memory-broker.ts';

export { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.ts';

const metadata = defineMetadata({
  maxRedeliveries: {
    type: 'number',
    default: 3,
    description:
      'How many times a message the subscriber rejects is delivered again before it is dropped (with an error log). 0 drops it at once.',
  },
  redeliveryDelay: {
    type: 'duration',
    description:
      'Wait before each redelivery of a rejected message, as a duration such as `100ms` or `2s`. Default 100ms.',
    example: '250ms',
  },
});

export const definition = defineComponent<PubSubBroker, PubSubFeature, typeof metadata>({
  type: 'pubsub.in-memory',
  version: 'v1',
  block: 'pubsub',
  description:
    'Topics in process memory: consumer groups with competing consumers, bounded redelivery, native bulk publish. Nothing survives a restart.',
  metadata,
  features: ['BULK_PUBSUB'],
  async create(values, context) {
    if (!Number.isInteger(values.maxRedeliveries) || values.maxRedeliveries < 0) {
      throw new Error(
        `maxRedeliveries must be a whole number of at least 0 (got ${values.maxRedeliveries})`,
      );
    }
    return new MemoryBroker({
      maxRedeliveries: values.maxRedeliveries,
      redeliveryDelayMs: values.redeliveryDelay ?? 100,
      logger: context.logger,
    });
  },
});
