import { defineMetadata } from '@mecha/core';

/**
 * `pubsub.rabbitmq` metadata, with Dapr's field names. Defaults follow what daprd's component
 * actually does (its Go code), which differs from its manifest in places: queues and
 * exchanges are durable unless `durable` is false.
 */
export const rabbitmqMetadata = defineMetadata({
  connectionString: {
    type: 'string',
    sensitive: true,
    description:
      'AMQP URI of the broker, `amqp://user:password@host:port/vhost` or `amqps://…`. When absent, the URI is built from `protocol`, `hostname`, `username` and `password`.',
    example: 'amqp://guest:guest@localhost:5672',
  },
  host: {
    type: 'string',
    sensitive: true,
    description: 'Deprecated name of `connectionString`, used only when that is absent.',
  },
  protocol: {
    type: 'string',
    description:
      '`amqp` or `amqps`. Taken from the scheme of `connectionString` when that is set; if both are set they must agree.',
    example: 'amqps',
  },
  hostname: {
    type: 'string',
    default: 'localhost',
    description: 'Broker host (optionally `host:port`) when `connectionString` is absent.',
  },
  username: {
    type: 'string',
    description: 'User name when `connectionString` is absent (guest when neither is given).',
  },
  password: {
    type: 'string',
    sensitive: true,
    description: 'Password when `connectionString` is absent.',
  },
  durable: {
    type: 'boolean',
    default: true,
    description: 'Declare exchanges and subscription queues durable, so they survive a broker restart.',
  },
  deletedWhenUnused: {
    type: 'boolean',
    default: true,
    description:
      "Declare exchanges and queues auto-delete: RabbitMQ deletes a group's queue (and the messages in it) once its last consumer goes. Set `false` to keep messages for a group while it has no subscriber.",
  },
  autoAck: {
    type: 'boolean',
    default: false,
    description:
      'Let RabbitMQ consider a message handled as soon as it is sent to the subscriber (at-most-once). Off by default: a message is acknowledged only after it was handled.',
  },
  requeueInFailure: {
    type: 'boolean',
    default: false,
    description:
      'With `enableDeadLetter`, whether a message the subscriber rejects goes back to its queue (`true`) or to the dead-letter queue (`false`). Without `enableDeadLetter` a rejected message is always requeued.',
  },
  enableDeadLetter: {
    type: 'boolean',
    default: false,
    description:
      'Give each subscription queue a dead-letter exchange `dlx-<queue>` bound to a durable queue `dlq-<queue>`, which receives rejected (see `requeueInFailure`), expired and overflowing messages.',
  },
  deliveryMode: {
    type: 'number',
    default: 0,
    description: 'AMQP delivery mode of published messages: `2` is persistent (written to disk), `0` or `1` transient.',
    example: '2',
  },
  prefetchCount: {
    type: 'number',
    default: 0,
    description:
      'Most unacknowledged messages RabbitMQ sends to one subscription at a time; `0` means no limit. Raised to `maxMessagesCount` for a bulk subscription.',
    example: '10',
  },
  reconnectWaitSeconds: {
    type: 'duration',
    default: 3000,
    description:
      'Wait before each attempt to reconnect (and to re-establish a subscription), as seconds or a duration such as `3s`.',
    example: '10s',
  },
  concurrencyMode: {
    type: 'string',
    default: 'parallel',
    allowed: ['parallel', 'single'],
    description: 'Handle the messages of one subscription in parallel, or one at a time in delivery order (a bulk subscription: one batch at a time, in order).',
  },
  exchangeKind: {
    type: 'string',
    default: 'fanout',
    allowed: ['fanout', 'topic', 'direct', 'headers'],
    description: 'Kind of the exchange declared for each topic.',
  },
  publisherConfirm: {
    type: 'boolean',
    default: false,
    description:
      'Accepted for compatibility. Publisher confirms are always on: a publish succeeds only once RabbitMQ confirmed it.',
  },
  maxLen: {
    type: 'number',
    description: 'Most messages a subscription queue (and its dead-letter queue) holds (`x-max-length`).',
    example: '1000',
  },
  maxLenBytes: {
    type: 'number',
    description: 'Most bytes a subscription queue (and its dead-letter queue) holds (`x-max-length-bytes`).',
    example: '1048576',
  },
  ttlInSeconds: {
    type: 'duration',
    description:
      'Default time to live of published messages, as seconds or a duration; a publish request may set its own `ttlInSeconds`.',
    example: '60',
  },
  clientName: {
    type: 'string',
    description: 'Connection name shown in the RabbitMQ management UI and `rabbitmqctl list_connections`.',
    example: 'checkout-sidecar',
  },
  heartBeat: {
    type: 'duration',
    default: 10_000,
    description: 'AMQP heartbeat interval (whole seconds); a dead connection is noticed after about two of them. `0` disables heartbeats.',
    example: '30s',
  },
  saslExternal: {
    type: 'boolean',
    default: false,
    description:
      'With `amqps`, authenticate with the client certificate (SASL EXTERNAL) instead of a user name and password; needs `caCert`, `clientCert` and `clientKey`.',
  },
  caCert: {
    type: 'string',
    description: 'PEM certificate authority to verify the broker with (`amqps`).',
  },
  clientCert: {
    type: 'string',
    sensitive: true,
    description: 'PEM client certificate (`amqps`).',
  },
  clientKey: {
    type: 'string',
    sensitive: true,
    description: 'PEM private key of `clientCert` (`amqps`).',
  },
  publishMessagePropertiesToMetadata: {
    type: 'boolean',
    default: false,
    description:
      'Give subscribers the AMQP message properties and headers as metadata (`metadata.messageid`, `metadata.correlationid`, `metadata.type`, `metadata.contenttype`, `metadata.<header>`).',
  },
});
