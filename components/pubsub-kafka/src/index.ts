export { definition } from './definition.ts';
export { KafkaBroker } from './kafka-broker.ts';
export type {
  KafkaBrokerOptions,
  KafkaInitialOffset,
  KafkaSaslCredentials,
  KafkaSaslMechanism,
} from './kafka-broker-options.ts';
export { kafkaMetadata } from './kafka-metadata.ts';
export { kafkaOptions, type KafkaMetadata, type KafkaOptionsContext } from './kafka-options.ts';
