import { defineMetadata } from '@mecha/core';

/**
 * Dapr's `pubsub.jetstream` metadata, field for field. Fields that only make sense for
 * Dapr's push consumers (`flowControl`, `rateLimit`, `queueGroupName`) are accepted so Dapr
 * component files load unchanged; the README says what each one does here.
 */
export const jetstreamMetadata = defineMetadata({
  natsURL: {
    type: 'string',
    required: true,
    description:
      'The NATS server to connect to (`nats://host:port`, `tls://host:port`); several may be given, separated by commas.',
    example: 'nats://localhost:4222',
  },
  jwt: {
    type: 'string',
    sensitive: true,
    description: 'User JWT for NATS decentralized authentication. Needs `seedKey`.',
  },
  seedKey: {
    type: 'string',
    sensitive: true,
    description: "The user's nkey seed (`SU…`), which signs the server's challenge. Needs `jwt`.",
  },
  token: {
    type: 'string',
    sensitive: true,
    description: 'Authentication token, for servers configured with token authentication.',
  },
  tls_client_cert: {
    type: 'string',
    description:
      'Client certificate for TLS client authentication: a PEM file path, or the PEM text itself. Needs `tls_client_key`.',
  },
  tls_client_key: {
    type: 'string',
    sensitive: true,
    description: 'Private key of `tls_client_cert`: a PEM file path, or the PEM text itself.',
  },
  name: {
    type: 'string',
    default: 'dapr.io - pubsub.jetstream',
    description: "The connection's name, as the server's monitoring shows it.",
  },
  streamName: {
    type: 'string',
    description:
      'The stream that stores the topics. Created (capturing the topic) when it does not exist. When absent, each topic uses the stream that captures it, or a stream created for it.',
    example: 'orders',
  },
  durableName: {
    type: 'string',
    description:
      'Name of the durable consumer. When absent, the consumer is named after the consumer group (`consumerID`, default the app id) and the topic.',
  },
  queueGroupName: {
    type: 'string',
    description:
      'Accepted for Dapr compatibility and not used: subscribers sharing a durable consumer already share its messages.',
  },
  startSequence: {
    type: 'number',
    description: 'First stream sequence to deliver, with `deliverPolicy: sequence`.',
  },
  startTime: {
    type: 'number',
    description: 'Deliver messages stored from this time on (Unix seconds), with `deliverPolicy: time`.',
    example: '1640995200',
  },
  deliverAll: {
    type: 'boolean',
    description: 'Removed from Dapr in 1.10 (replaced by `deliverPolicy`); accepted and ignored.',
  },
  flowControl: {
    type: 'boolean',
    default: false,
    description: 'Accepted for Dapr compatibility; pull consumers need no flow control, so it has no effect.',
  },
  ackWait: {
    type: 'duration',
    description:
      'How long the server waits for an acknowledgement before it delivers a message again (server default 30s). Handlers that run longer keep their message with progress acknowledgements.',
    example: '30s',
  },
  maxDeliver: {
    type: 'number',
    description:
      'How many times a message is delivered at most; after that the consumer skips it (the message stays in the stream). Unlimited when absent.',
  },
  backOff: {
    type: 'string',
    description:
      'Redelivery delays, comma-separated (`1s, 5s, 30s`, brackets allowed): the server uses them for unacknowledged messages, and a rejected message waits the entry for its delivery count. Needs `maxDeliver`, greater than the number of delays.',
    example: '1s, 5s, 30s',
  },
  maxAckPending: {
    type: 'number',
    description: 'How many messages may be delivered and not yet acknowledged, across all subscribers of the consumer.',
  },
  replicas: {
    type: 'number',
    description: 'Replicas of the consumer, and of a stream this component creates (clustered servers).',
  },
  memoryStorage: {
    type: 'boolean',
    default: false,
    description: 'Keep the consumer state, and a stream this component creates, in memory instead of on disk.',
  },
  rateLimit: {
    type: 'number',
    description: 'Accepted for Dapr compatibility; the server limits rates of push consumers only, so it has no effect.',
  },
  heartbeat: {
    type: 'duration',
    description:
      'Idle heartbeat the server sends while a pull waits for messages; two missed heartbeats make the subscriber check its consumer again.',
    example: '5s',
  },
  deliverPolicy: {
    type: 'string',
    default: 'all',
    allowed: ['all', 'last', 'new', 'sequence', 'time'],
    description:
      'Where a new durable consumer starts: every stored message, the last one, only new ones, `startSequence`, or `startTime`. An existing consumer keeps its position.',
  },
  ackPolicy: {
    type: 'string',
    default: 'explicit',
    allowed: ['explicit', 'all', 'none'],
    description:
      'Only `explicit` is supported: each message is acknowledged on its own once its handler has succeeded. `all` and `none` are refused, because they can acknowledge messages that were not handled.',
  },
  domain: {
    type: 'string',
    description: 'JetStream domain, for servers in a leaf-node or multi-domain setup.',
  },
  apiPrefix: {
    type: 'string',
    description: 'JetStream API subject prefix, for accounts that import JetStream under another prefix.',
    example: '$JS.API',
  },
  concurrency: {
    type: 'string',
    default: 'single',
    allowed: ['single', 'parallel'],
    description:
      '`single` hands one message at a time to the handler, in order; `parallel` hands over every fetched message at once.',
  },
});
