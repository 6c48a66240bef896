export { definition } from './definition.ts';
export { RabbitMqBroker } from './rabbitmq-broker.ts';
export {
  optionsFromMetadata,
  type RabbitMqBrokerOptions,
  type TlsSettings,
  type ExchangeKind,
  type ConcurrencyMode,
} from './broker-options.ts';
export { connectionTarget, type ConnectionTarget, type ConnectionSettings } from './connection-url.ts';
export { rabbitmqMetadata } from './rabbitmq-metadata.ts';
