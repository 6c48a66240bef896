import { defineComponent } from '@mecha/core';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { jetstreamMetadata } from './jetstream-metadata.ts';
import { optionsFromMetadata } from './options-from-metadata.ts';

export const definition = defineComponent({
  type: 'pubsub.jetstream',
  version: 'v1',
  block: 'pubsub',
  description:
    'NATS JetStream: a durable pull consumer per consumer group and topic, explicit acks after the handler, delayed redelivery of rejected messages, streams created when absent, native bulk publish.',
  metadata: jetstreamMetadata,
  features: ['BULK_PUBSUB'] satisfies PubSubFeature[],
  create: async (metadata, context): Promise<PubSubBroker> => {
    // Settings are checked before the client library loads, so bad metadata fails fast.
    const options = optionsFromMetadata(metadata, context.logger);
    // The NATS client loads with the first component of this type, not with the runtime.
    const { JetStreamBroker } = await import('./jetstream-broker.ts');
    return JetStreamBroker.connect(options);
  },
});
