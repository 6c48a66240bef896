import { defineComponent } from '@mecha/core';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { kafkaMetadata } from './kafka-metadata.ts';
import { kafkaOptions } from './kafka-options.ts';

export const definition = defineComponent<PubSubBroker, PubSubFeature, typeof kafkaMetadata>({
  type: 'pubsub.kafka',
  version: 'v1',
  block: 'pubsub',
  description:
    'Apache Kafka through kafkajs: consumer groups, offsets committed only after the handler succeeded, rejected messages redelivered in partition order, SASL/TLS, native bulk publish.',
  metadata: kafkaMetadata,
  features: ['BULK_PUBSUB'],
  create: async (metadata, context): Promise<PubSubBroker> => {
    const options = kafkaOptions(metadata, { appId: context.appId, logger: context.logger });
    // kafkajs loads with the first component of this type, not with the runtime.
    const { KafkaBroker } = await import('./kafka-broker.ts');
    return KafkaBroker.connect(options);
  },
});
