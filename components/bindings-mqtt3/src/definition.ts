import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent } from '@mecha/core';
import { parseBrokerUrl } from './broker-url.ts';
import { mqtt3BindingMetadata } from './mqtt3-binding-metadata.ts';

export const definition = defineComponent<Binding, BindingFeature, typeof mqtt3BindingMetadata>({
  type: 'bindings.mqtt3',
  version: 'v1',
  block: 'bindings',
  description: 'An MQTT 3.1.1 topic as an input binding (PUBACK only after the app handled a message) and an output binding (QoS 1 publish), through mqtt.js.',
  metadata: mqtt3BindingMetadata,
  features: ['INPUT', 'OUTPUT'],
  async create(metadata, context) {
    parseBrokerUrl(metadata.url);
    if (!metadata.topic.trim()) throw new Error('metadata field "topic" is required');
    if (!metadata.consumerID.trim()) throw new Error('metadata field "consumerID" is required');
    if (!Number.isInteger(metadata.backOffMaxRetries) || metadata.backOffMaxRetries < -1) {
      throw new Error(`metadata field "backOffMaxRetries" must be a whole number of -1 or more (got ${metadata.backOffMaxRetries})`);
    }
    if (metadata.qos !== undefined) context.logger.warn('metadata field "qos" is deprecated and ignored (as in Dapr): messages use QoS 1');
    if (Boolean(metadata.clientCert) !== Boolean(metadata.clientKey)) {
      throw new Error(`metadata field "${metadata.clientCert ? 'clientKey' : 'clientCert'}" is required with ${metadata.clientCert ? 'clientCert' : 'clientKey'}`);
    }
    for (const field of ['caCert', 'clientCert', 'clientKey'] as const) {
      const value = metadata[field];
      if (value && !/-----BEGIN [A-Z0-9 ]+-----/.test(value)) throw new Error(`metadata field "${field}" is not PEM (expected a -----BEGIN ...----- block)`);
    }
    // The client library loads with the first component of this type, not with the runtime.
    const { Mqtt3Binding } = await import('./mqtt3-binding.ts');
    return Mqtt3Binding.connect({
      url: metadata.url,
      topic: metadata.topic.trim(),
      consumerID: metadata.consumerID.trim(),
      retain: metadata.retain,
      cleanSession: metadata.cleanSession,
      backOffMaxRetries: metadata.backOffMaxRetries,
      ...(metadata.caCert ? { caCert: pem(metadata.caCert) } : {}),
      ...(metadata.clientCert ? { clientCert: pem(metadata.clientCert) } : {}),
      ...(metadata.clientKey ? { clientKey: pem(metadata.clientKey) } : {}),
      logger: context.logger,
    });
  },
});

/** Resource files often carry PEM with literal `\n` sequences instead of line breaks. */
function pem(value: string): string {
  return value.includes('\n') ? value : value.replace(/\\n/g, '\n');
}
