import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent } from '@mecha/core';
import { parseBrokerUrl } from './broker-url.ts';
import { rabbitMqBindingMetadata } from './rabbitmq-binding-metadata.ts';

export const definition = defineComponent<Binding, BindingFeature, typeof rabbitMqBindingMetadata>({
  type: 'bindings.rabbitmq',
  version: 'v1',
  block: 'bindings',
  description: 'One RabbitMQ queue as an input binding (manual ack after the app handled a message) and an output binding (confirmed publish), through amqplib.',
  metadata: rabbitMqBindingMetadata,
  features: ['INPUT', 'OUTPUT'],
  async create(metadata, context) {
    parseBrokerUrl(metadata.host);
    if (!metadata.queueName.trim()) throw new Error('metadata field "queueName" is required');
    wholeNumber('prefetchCount', metadata.prefetchCount, 0, 65535);
    if (metadata.maxPriority !== undefined) wholeNumber('maxPriority', metadata.maxPriority, 0, Number.MAX_SAFE_INTEGER);
    if (!(metadata.reconnectWaitInSeconds > 0)) throw new Error(`metadata field "reconnectWaitInSeconds" must be more than 0 (got ${metadata.reconnectWaitInSeconds})`);
    const ttlMs = metadata.ttl ?? (metadata.ttlInSeconds === undefined ? undefined : metadata.ttlInSeconds * 1000);
    if (ttlMs !== undefined && !(ttlMs >= 0 && Number.isFinite(ttlMs))) throw new Error(`metadata field "${metadata.ttl !== undefined ? 'ttl' : 'ttlInSeconds'}" must not be negative`);
    if (Boolean(metadata.clientCert) !== Boolean(metadata.clientKey)) {
      throw new Error(`metadata field "${metadata.clientCert ? 'clientKey' : 'clientCert'}" is required with ${metadata.clientCert ? 'clientCert' : 'clientKey'}`);
    }
    for (const field of ['caCert', 'clientCert', 'clientKey'] as const) {
      const value = metadata[field];
      if (value && !/-----BEGIN [A-Z0-9 ]+-----/.test(value)) throw new Error(`metadata field "${field}" is not PEM (expected a -----BEGIN ...----- block)`);
    }
    // The client library loads with the first component of this type, not with the runtime.
    const { RabbitMqBinding } = await import('./rabbitmq-binding.ts');
    return RabbitMqBinding.connect({
      host: metadata.host,
      queueName: metadata.queueName.trim(),
      durable: metadata.durable,
      deleteWhenUnused: metadata.deleteWhenUnused,
      exclusive: metadata.exclusive,
      ...(ttlMs !== undefined ? { messageTtlMs: ttlMs } : {}),
      prefetchCount: metadata.prefetchCount,
      ...(metadata.maxPriority !== undefined ? { maxPriority: metadata.maxPriority } : {}),
      contentType: metadata.contentType || 'text/plain',
      reconnectWaitMs: metadata.reconnectWaitInSeconds * 1000,
      ...(metadata.caCert ? { caCert: pem(metadata.caCert) } : {}),
      ...(metadata.clientCert ? { clientCert: pem(metadata.clientCert) } : {}),
      ...(metadata.clientKey ? { clientKey: pem(metadata.clientKey) } : {}),
      externalSasl: metadata.externalSasl,
      logger: context.logger,
    });
  },
});

function wholeNumber(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`metadata field "${field}" must be a whole number from ${min} to ${max} (got ${value})`);
}

/** Resource files often carry PEM with literal `\n` sequences instead of line breaks. */
function pem(value: string): string {
  return value.includes('\n') ? value : value.replace(/\\n/g, '\n');
}
