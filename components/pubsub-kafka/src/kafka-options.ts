import type { ConnectionOptions } from 'node:tls';
import { parseDuration, type Logger, type MetadataOf } from '@mecha/core';
import type { KafkaBrokerOptions, KafkaSaslMechanism } from './kafka-broker-options.ts';
import type { kafkaMetadata } from './kafka-metadata.ts';

export type KafkaMetadata = MetadataOf<typeof kafkaMetadata>;

export interface KafkaOptionsContext {
  appId: string;
  logger: Logger;
}

type AuthType = 'none' | 'password' | 'mtls' | 'certificate';

const saslMechanisms: Record<string, KafkaSaslMechanism> = {
  PLAINTEXT: 'plain',
  PLAIN: 'plain',
  'SHA-256': 'scram-sha-256',
  'SCRAM-SHA-256': 'scram-sha-256',
  'SHA-512': 'scram-sha-512',
  'SCRAM-SHA-512': 'scram-sha-512',
};

const acksByName: Record<string, -1 | 0 | 1> = { all: -1, local: 1, none: 0 };

/**
 * Turns validated Dapr metadata into broker options, refusing (with the field's name) what
 * the component cannot honour rather than ignoring it.
 */
export function kafkaOptions(
  metadata: KafkaMetadata,
  context: KafkaOptionsContext,
): KafkaBrokerOptions {
  const { logger } = context;
  const brokers = parseBrokers(metadata.brokers);
  const authType = resolveAuthType(metadata);
  const options: KafkaBrokerOptions = {
    brokers,
    clientId: metadata.clientID || context.appId || 'mecha',
    initialOffset: oneOf('initialOffset', metadata.initialOffset, ['newest', 'oldest'] as const),
    redeliveryDelayMs: parseRetryInterval(metadata.consumeRetryInterval),
    heartbeatIntervalMs: metadata.heartbeatInterval ?? 3000,
    sessionTimeoutMs: metadata.sessionTimeout ?? 10_000,
    fetchMinBytes: wholeNumber('consumerFetchMin', metadata.consumerFetchMin, 0),
    fetchMaxBytesPerPartition: wholeNumber(
      'consumerFetchDefault',
      metadata.consumerFetchDefault,
      1,
    ),
    acks: acks(metadata.producerRequiredAcks),
    producerRetries: wholeNumber('producerRetryMax', metadata.producerRetryMax, 0),
    compression: compression(metadata.compression),
    escapeHeaders: metadata.escapeHeaders,
    logger,
  };
  if (metadata.consumerGroup) options.consumerGroup = metadata.consumerGroup;
  if (metadata.maxMessageBytes !== undefined) {
    options.maxMessageBytes = wholeNumber('maxMessageBytes', metadata.maxMessageBytes, 1);
  }
  if (options.heartbeatIntervalMs! <= 0)
    throw fieldError('heartbeatInterval', 'must be a positive duration');
  if (options.sessionTimeoutMs! <= options.heartbeatIntervalMs!) {
    throw fieldError(
      'sessionTimeout',
      `must be longer than heartbeatInterval (${options.heartbeatIntervalMs} ms)`,
    );
  }
  if (metadata.dialTimeout !== undefined)
    options.connectionTimeoutMs = positiveDuration('dialTimeout', metadata.dialTimeout);
  const read =
    metadata.readTimeout === undefined
      ? undefined
      : positiveDuration('readTimeout', metadata.readTimeout);
  const write =
    metadata.writeTimeout === undefined
      ? undefined
      : positiveDuration('writeTimeout', metadata.writeTimeout);
  if (read !== undefined || write !== undefined)
    options.requestTimeoutMs = Math.max(read ?? 0, write ?? 0);
  if (metadata.clientConnectionTopicMetadataRefreshInterval !== undefined) {
    options.metadataMaxAgeMs = positiveDuration(
      'clientConnectionTopicMetadataRefreshInterval',
      metadata.clientConnectionTopicMetadataRefreshInterval,
    );
  }
  if (metadata.excludeHeaderMetaRegex) {
    try {
      options.excludeHeaderMetadata = new RegExp(metadata.excludeHeaderMetaRegex);
    } catch (error) {
      throw fieldError(
        'excludeHeaderMetaRegex',
        `is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  }
  const strategy = metadata.consumerGroupRebalanceStrategy.trim().toLowerCase();
  if (strategy === 'sticky') {
    throw fieldError(
      'consumerGroupRebalanceStrategy',
      '"sticky" is not supported by this component (supported: range, roundrobin)',
    );
  }
  options.assignmentStrategy = oneOf('consumerGroupRebalanceStrategy', strategy, [
    'range',
    'roundrobin',
  ] as const);
  if (metadata.schemaRegistryURL) {
    logger.warn(
      { schemaRegistryURL: metadata.schemaRegistryURL },
      'schemaRegistryURL is not supported by this component; publishes and subscriptions with valueSchemaType are refused',
    );
  }
  if (authType === 'password') {
    if (!metadata.saslUsername)
      throw fieldError('saslUsername', "is required when authType is 'password'");
    if (!metadata.saslPassword)
      throw fieldError('saslPassword', "is required when authType is 'password'");
    const mechanism = saslMechanisms[metadata.saslMechanism.toUpperCase()];
    if (!mechanism) {
      throw fieldError(
        'saslMechanism',
        `must be one of PLAINTEXT, SHA-256, SHA-512 (got "${metadata.saslMechanism}")`,
      );
    }
    options.sasl = { mechanism, username: metadata.saslUsername, password: metadata.saslPassword };
  }
  const ssl = tlsOptions(metadata, authType);
  if (ssl !== undefined) options.ssl = ssl;
  return options;
}

function resolveAuthType(metadata: KafkaMetadata): AuthType {
  let authType = metadata.authType?.trim().toLowerCase();
  if (!authType && metadata.authRequired !== undefined) {
    authType = metadata.authRequired ? (metadata.saslPassword ? 'password' : 'mtls') : 'none';
  }
  if (!authType) {
    throw fieldError('authType', 'is required: one of none, password, mtls, certificate');
  }
  if (authType === 'oidc' || authType === 'awsiam') {
    throw fieldError(
      'authType',
      `"${authType}" is not supported by this component (supported: none, password, mtls, certificate)`,
    );
  }
  if (
    authType !== 'none' &&
    authType !== 'password' &&
    authType !== 'mtls' &&
    authType !== 'certificate'
  ) {
    throw fieldError(
      'authType',
      `must be one of none, password, mtls, certificate (got "${metadata.authType}")`,
    );
  }
  return authType;
}

/** TLS follows Dapr: on for every auth type but `none`, unless `disableTls`. */
function tlsOptions(
  metadata: KafkaMetadata,
  authType: AuthType,
): ConnectionOptions | boolean | undefined {
  for (const field of ['caCert', 'clientCert', 'clientKey'] as const) {
    const value = metadata[field];
    if (value && !isPem(value))
      throw fieldError(field, 'is not PEM (expected a -----BEGIN ...----- block)');
  }
  if (authType === 'mtls') {
    if (metadata.disableTls) throw fieldError('disableTls', "cannot be true with authType 'mtls'");
    if (!metadata.clientCert || !metadata.clientKey) {
      throw fieldError(
        metadata.clientCert ? 'clientKey' : 'clientCert',
        "is required with authType 'mtls' (clientCert and clientKey together)",
      );
    }
  }
  if (authType === 'certificate' && !metadata.caCert)
    throw fieldError('caCert', "is required with authType 'certificate'");
  if (authType === 'none' || metadata.disableTls) return undefined;
  const tls: ConnectionOptions = {};
  if (metadata.skipVerify) tls.rejectUnauthorized = false;
  if (metadata.caCert) tls.ca = [pemText(metadata.caCert)];
  if (authType === 'mtls') {
    tls.cert = pemText(metadata.clientCert!);
    tls.key = pemText(metadata.clientKey!);
  }
  return Object.keys(tls).length === 0 ? true : tls;
}

function isPem(value: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(pemText(value));
}

/** Resource files often carry PEM with literal `\n` sequences instead of line breaks. */
function pemText(value: string): string {
  return value.includes('\n') ? value : value.replace(/\\n/g, '\n');
}

function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0)
    throw fieldError('brokers', 'must name at least one broker as host:port');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(broker)) {
      throw fieldError('brokers', `"${broker}" is not host:port`);
    }
  }
  return brokers;
}

/** Dapr reads a bare number as milliseconds here (unlike its other durations). */
function parseRetryInterval(value: string): number {
  const text = value.trim();
  let ms: number;
  try {
    ms = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  } catch (error) {
    throw fieldError('consumeRetryInterval', (error as Error).message);
  }
  if (!(ms >= 0)) throw fieldError('consumeRetryInterval', 'must not be negative');
  return ms;
}

function acks(value: string): -1 | 0 | 1 {
  const result = acksByName[value.trim().toLowerCase()];
  if (result === undefined)
    throw fieldError('producerRequiredAcks', `must be one of all, local, none (got "${value}")`);
  return result;
}

function compression(value: string): 'none' | 'gzip' {
  const name = value.trim().toLowerCase();
  if (name === '' || name === 'none') return 'none';
  if (name === 'gzip') return 'gzip';
  if (name === 'snappy' || name === 'lz4' || name === 'zstd') {
    throw fieldError(
      'compression',
      `"${name}" is not supported by this component (supported: none, gzip)`,
    );
  }
  throw fieldError('compression', `must be one of none, gzip (got "${value}")`);
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  const match = allowed.find((candidate) => candidate === value.trim().toLowerCase());
  if (!match) throw fieldError(field, `must be one of ${allowed.join(', ')} (got "${value}")`);
  return match;
}

function wholeNumber(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw fieldError(field, `must be a whole number of at least ${min} (got ${value})`);
  return value;
}

function positiveDuration(field: string, ms: number): number {
  if (!(ms > 0)) throw fieldError(field, 'must be a positive duration');
  return ms;
}

function fieldError(field: string, message: string): Error {
  return new Error(`metadata field "${field}" ${message}`);
}
