export { definition } from './definition.ts';
export { KafkaBinding } from './kafka-binding.ts';
export type { KafkaAssignmentStrategy, KafkaBindingOptions, KafkaSaslMechanism } from './kafka-binding-options.ts';
