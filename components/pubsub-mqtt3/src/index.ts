export { definition } from './definition.ts';
export { Mqtt3Broker } from './mqtt3-broker.ts';
export type { Mqtt3BrokerOptions } from './mqtt3-broker-options.ts';
export { Mqtt3Subscription } from './mqtt3-subscription.ts';
export { mqtt3Metadata } from './mqtt3-metadata.ts';
