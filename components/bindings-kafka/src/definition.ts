import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent } from '@mecha/core';
import { kafkaBindingMetadata } from './kafka-binding-metadata.ts';
import { kafkaBindingOptions } from './kafka-settings.ts';

export const definition = defineComponent<Binding, BindingFeature, typeof kafkaBindingMetadata>({
  type: 'bindings.kafka',
  version: 'v1',
  block: 'bindings',
  description: 'Kafka topics as an input binding (a consumer group, committed only after the app handled a message) and an output binding (publish to publishTopic), through kafkajs.',
  metadata: kafkaBindingMetadata,
  features: ['INPUT', 'OUTPUT'],
  async create(metadata, context) {
    const options = kafkaBindingOptions(metadata, { appId: context.appId, logger: context.logger, raw: context.rawMetadata });
    // The client library loads with the first component of this type, not with the runtime.
    const { KafkaBinding } = await import('./kafka-binding.ts');
    return KafkaBinding.connect(options);
  },
});
