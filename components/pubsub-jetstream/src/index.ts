export { definition } from './definition.ts';
export { JetStreamBroker } from './jetstream-broker.ts';
export type { JetStreamBrokerOptions, ConsumerSettings, JetStreamDeliverPolicy } from './broker-options.ts';
export { jetstreamMetadata } from './jetstream-metadata.ts';
export { optionsFromMetadata } from './options-from-metadata.ts';
