import { defineComponent } from '@mecha/core';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { parseBrokerUrl } from './broker-address.ts';
import { mqtt3Metadata } from './mqtt3-metadata.ts';

export const definition = defineComponent({
  type: 'pubsub.mqtt3',
  version: 'v1',
  block: 'pubsub',
  description:
    'MQTT 3.1.1 through mqtt.js: QoS 1 with the PUBACK sent only after handling, persistent sessions, shared subscriptions for consumer groups, reconnection.',
  metadata: mqtt3Metadata,
  features: ['SUBSCRIBE_WILDCARDS'] satisfies PubSubFeature[],
  create: async (metadata, context): Promise<PubSubBroker> => {
    // Checked before the client library loads, so a bad file fails fast and names the field.
    const address = parseBrokerUrl(metadata.url);
    if (address.protocol !== 'mqtts' && (metadata.caCert || metadata.clientCert)) {
      context.logger.warn("metadata fields 'caCert'/'clientCert' are ignored: 'url' does not use a TLS scheme (ssl://, tls://, tcps://, mqtts://)");
    }
    const qos = metadata.qos;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new Error(`metadata field 'qos' must be 0, 1 or 2 (got ${qos})`);
    const consumerID = context.rawMetadata['consumerID'];
    // The client library loads with the first component of this type, not with the runtime.
    const { Mqtt3Broker } = await import('./mqtt3-broker.ts');
    return Mqtt3Broker.connect({
      url: metadata.url,
      qos,
      retain: metadata.retain,
      cleanSession: metadata.cleanSession,
      backOffMaxRetries: metadata.backOffMaxRetries,
      sharedSubscriptions: metadata.sharedSubscriptions,
      ...(metadata.caCert ? { caCert: metadata.caCert } : {}),
      ...(metadata.clientCert ? { clientCert: metadata.clientCert } : {}),
      ...(metadata.clientKey ? { clientKey: metadata.clientKey } : {}),
      publisherIdPrefix: consumerID || context.appId || 'mecha',
      logger: context.logger,
    });
  },
});
