import { defineMetadata } from '@mecha/core';

/**
 * Dapr's `pubsub.kafka` metadata fields, by Dapr's names. Fields the component accepts but
 * cannot act on say so in their description; `kafkaOptions` refuses the values it cannot honour.
 */
export const kafkaMetadata = defineMetadata({
  brokers: {
    type: 'string',
    required: true,
    description: 'Comma-separated `host:port` list of Kafka brokers to bootstrap from.',
    example: 'localhost:9092,kafka-1.example.com:9093',
  },
  consumerGroup: {
    type: 'string',
    description:
      "Consumer group every subscription of this component joins. Unset: the subscription's consumer group, which is `consumerID` or else the app id.",
    example: 'order-processors',
  },
  clientID: {
    type: 'string',
    description:
      "Client id sent with every request, for the brokers' logs and quotas. Unset: the app id.",
    example: 'checkout',
  },
  authType: {
    type: 'string',
    description:
      'Authentication: `none`, `password` (SASL), `mtls` (TLS client certificate) or `certificate` (TLS with `caCert`). Required, unless the deprecated `authRequired` is given. `oidc` and `awsiam` are refused: this component does not implement them.',
    example: 'password',
  },
  authRequired: {
    type: 'boolean',
    description:
      'Deprecated; use `authType`. When `authType` is absent, `true` means `password` if `saslPassword` is set and `mtls` otherwise; `false` means `none`.',
  },
  saslUsername: {
    type: 'string',
    description: 'SASL user name; required when `authType` is `password`.',
    example: 'adminuser',
  },
  saslPassword: {
    type: 'string',
    sensitive: true,
    description: 'SASL password; required when `authType` is `password`.',
  },
  saslMechanism: {
    type: 'string',
    default: 'PLAINTEXT',
    description:
      'SASL mechanism for `authType: password`: `PLAINTEXT` (SASL/PLAIN), `SHA-256` (SCRAM-SHA-256) or `SHA-512` (SCRAM-SHA-512). `PLAIN`, `SCRAM-SHA-256` and `SCRAM-SHA-512` are accepted too.',
    example: 'SHA-512',
  },
  initialOffset: {
    type: 'string',
    default: 'newest',
    description:
      'Where a consumer group with no committed offset starts: `newest` (messages published after it subscribed) or `oldest` (everything the topic retains). A group that has committed offsets always resumes from them.',
    example: 'oldest',
  },
  maxMessageBytes: {
    type: 'number',
    description:
      "Largest message value, in bytes, this component publishes; a larger one is refused before it is sent. Unset: only the brokers' own `message.max.bytes` applies.",
    example: '1048576',
  },
  consumeRetryInterval: {
    type: 'string',
    default: '100ms',
    description:
      'Wait before a message the subscriber rejected is delivered again (its partition pauses meanwhile, so later messages of that partition wait behind it). A duration such as `200ms`; a bare number is milliseconds, as in Dapr.',
    example: '200ms',
  },
  consumeRetryEnabled: {
    type: 'boolean',
    description:
      "Accepted for compatibility and not used: retries are the `@mecha/pubsub` block's job, and this component always redelivers a rejected message rather than skipping it.",
  },
  heartbeatInterval: {
    type: 'duration',
    description:
      'Interval between heartbeats to the group coordinator. Default `3s`. Must be below `sessionTimeout`.',
    example: '1s',
  },
  sessionTimeout: {
    type: 'duration',
    description:
      "How long the coordinator waits without a heartbeat before it gives a member's partitions to others. Default `10s`.",
    example: '20s',
  },
  version: {
    type: 'string',
    description:
      'Accepted for compatibility and not used: kafkajs negotiates protocol versions with each broker (Kafka 0.11 or later).',
    example: '2.0.0',
  },
  disableTls: {
    type: 'boolean',
    default: false,
    description:
      'Turns TLS off. As in Dapr, TLS is on for every `authType` except `none` unless this is `true`.',
  },
  skipVerify: {
    type: 'boolean',
    default: false,
    description: 'Accepts any broker certificate. Insecure; for tests only.',
  },
  caCert: {
    type: 'string',
    description:
      'PEM certificate authority the broker certificates must chain to. Unset: the system roots.',
    example: '-----BEGIN CERTIFICATE-----\\n...',
  },
  clientCert: {
    type: 'string',
    description: 'PEM client certificate for `authType: mtls` (with `clientKey`).',
    example: '-----BEGIN CERTIFICATE-----\\n...',
  },
  clientKey: {
    type: 'string',
    sensitive: true,
    description: 'PEM private key of `clientCert`.',
  },
  oidcTokenEndpoint: {
    type: 'string',
    description: 'For `authType: oidc`, which this component refuses (not implemented).',
  },
  oidcClientID: {
    type: 'string',
    description: 'For `authType: oidc`, which this component refuses (not implemented).',
  },
  oidcClientSecret: {
    type: 'string',
    sensitive: true,
    description: 'For `authType: oidc`, which this component refuses (not implemented).',
  },
  oidcScopes: {
    type: 'string',
    description: 'For `authType: oidc`, which this component refuses (not implemented).',
  },
  oidcExtensions: {
    type: 'string',
    description: 'For `authType: oidc`, which this component refuses (not implemented).',
  },
  channelBufferSize: {
    type: 'number',
    description: "Accepted for compatibility and not used (a setting of Dapr's Go client).",
  },
  consumerFetchMin: {
    type: 'number',
    default: 1,
    description: 'Least number of bytes a fetch waits for before the broker answers.',
  },
  consumerFetchDefault: {
    type: 'number',
    default: 1048576,
    description: 'Most bytes fetched from one partition per request.',
  },
  clientConnectionTopicMetadataRefreshInterval: {
    type: 'duration',
    description: 'How often cluster and topic metadata are refreshed. Unset: every 5 minutes.',
    example: '4m',
  },
  clientConnectionKeepAliveInterval: {
    type: 'duration',
    description: 'Accepted for compatibility and not used: connections stay open until closed.',
  },
  dialTimeout: {
    type: 'duration',
    description: 'Longest wait for a TCP connection to a broker. Unset: 5s.',
    example: '10s',
  },
  readTimeout: {
    type: 'duration',
    description:
      "Longest wait for a broker's answer to a request (the longer of `readTimeout` and `writeTimeout` is used). Unset: 30s.",
    example: '10s',
  },
  writeTimeout: {
    type: 'duration',
    description: 'See `readTimeout`. Unset: 30s.',
    example: '10s',
  },
  metadataTimeout: {
    type: 'duration',
    description: 'Accepted for compatibility and not used: metadata requests use `readTimeout`.',
  },
  producerRequiredAcks: {
    type: 'string',
    default: 'all',
    description:
      'Acknowledgement a publish waits for: `all` (every in-sync replica), `local` (the partition leader) or `none` (no answer; a lost message goes unnoticed).',
  },
  producerRetryMax: {
    type: 'number',
    default: 5,
    description: 'How many times a failed publish request is retried before the publish fails.',
  },
  compression: {
    type: 'string',
    default: 'none',
    description:
      'Compression of published batches: `none` or `gzip`. `snappy`, `lz4` and `zstd` are refused (kafkajs needs extra codec packages for them); consuming such batches fails the same way.',
  },
  consumerGroupRebalanceStrategy: {
    type: 'string',
    default: 'range',
    description:
      "How the group spreads partitions over its members: `range` or `roundrobin` (Kafka's protocols, so members of other Kafka clients may share the group). `sticky` is refused (not implemented).",
  },
  escapeHeaders: {
    type: 'boolean',
    default: false,
    description:
      'URL-escapes (query escaping) the values of received headers and of the message key before they become delivery metadata.',
  },
  excludeHeaderMetaRegex: {
    type: 'string',
    description:
      'Regular expression of metadata keys not to turn into Kafka headers when publishing, nor headers into metadata when consuming.',
    example: '^rawPayload$|^valueSchemaType$',
  },
  schemaRegistryURL: {
    type: 'string',
    description:
      'Not supported: there is no schema registry client, so a publish or subscription with `valueSchemaType` other than `None` is refused.',
  },
});
