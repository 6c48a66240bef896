import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `bindings.rabbitmq` (components-contrib `bindings/rabbitmq`). */
export const rabbitMqBindingMetadata = defineMetadata({
  host: {
    type: 'string',
    required: true,
    sensitive: true,
    description: 'The broker as an AMQP URL, `amqp://[user[:password]@]host[:port][/vhost]`; `amqps://` connects over TLS.',
    example: 'amqp://guest:guest@localhost:5672',
  },
  queueName: {
    type: 'string',
    required: true,
    description: 'The queue the input binding consumes and the output binding publishes to. It is declared (created if missing) with the settings below.',
    example: 'orders',
  },
  durable: { type: 'boolean', default: false, description: 'Declare the queue durable, so it survives a broker restart.' },
  deleteWhenUnused: { type: 'boolean', default: false, description: 'Declare the queue auto-delete: RabbitMQ deletes it once its last consumer is gone.' },
  exclusive: { type: 'boolean', default: false, description: "Declare the queue exclusive to this component's connection (deleted when it closes)." },
  ttl: {
    type: 'duration',
    description: 'Time to live of messages in the queue (the queue argument `x-message-ttl`), such as `60s`; a bare number is seconds. Absent: messages do not expire.',
    example: '60s',
  },
  ttlInSeconds: { type: 'number', description: 'The same as `ttl`, in whole seconds (`ttl` wins when both are set).', example: '60' },
  prefetchCount: {
    type: 'number',
    default: 0,
    description: 'How many unacknowledged messages RabbitMQ sends ahead to the input binding (channel QoS); 0 is no limit.',
  },
  maxPriority: {
    type: 'number',
    description: 'Declare a priority queue with priorities 0 to this value (`x-max-priority`, 1 to 255; larger values count as 255). Absent: an ordinary queue.',
    example: '10',
  },
  contentType: {
    type: 'string',
    default: 'text/plain',
    description: 'Content type of published messages when the request metadata names none (`contentType`).',
  },
  reconnectWaitInSeconds: {
    type: 'number',
    default: 5,
    description: 'How long to wait between attempts to reconnect after the connection is lost.',
  },
  caCert: { type: 'string', description: 'PEM certificate of the authority that signed the broker certificate, for `amqps://`.' },
  clientCert: { type: 'string', description: 'PEM client certificate for mutual TLS (with `clientKey`).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of `clientCert`.' },
  externalSasl: {
    type: 'boolean',
    default: false,
    description: 'With mutual TLS, log in with the SASL EXTERNAL mechanism (the user name comes from the client certificate).',
  },
});
