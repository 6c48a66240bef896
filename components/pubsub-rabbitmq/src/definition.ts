import { defineComponent } from '@mecha/core';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { optionsFromMetadata } from './broker-options.ts';
import { rabbitmqMetadata } from './rabbitmq-metadata.ts';

export const definition = defineComponent<PubSubBroker, PubSubFeature, typeof rabbitmqMetadata>({
  type: 'pubsub.rabbitmq',
  version: 'v1',
  block: 'pubsub',
  description:
    'RabbitMQ through amqplib: an exchange per topic, a queue per consumer group, publisher confirms, acknowledgement after handling, per-message TTL, dead-letter queues, automatic reconnection.',
  metadata: rabbitmqMetadata,
  features: ['BULK_PUBSUB', 'MESSAGE_TTL'],
  create: async (metadata, context) => {
    // Checked before the client library loads, so bad metadata fails fast and names its field.
    const options = optionsFromMetadata(metadata, context.logger);
    const { RabbitMqBroker } = await import('./rabbitmq-broker.ts');
    return RabbitMqBroker.connect(options);
  },
});
