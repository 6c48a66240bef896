import type { ConnectionOptions } from 'node:tls';
import type { Logger, MetadataOf } from '@mecha/core';
import type { kafkaBindingMetadata } from './kafka-binding-metadata.ts';
import type { KafkaBindingOptions, KafkaSaslMechanism } from './kafka-binding-options.ts';

export type KafkaBindingMetadata = MetadataOf<typeof kafkaBindingMetadata>;

export interface KafkaSettingsContext {
  appId: string;
  logger: Logger;
  /** The metadata as written, for fields whose bare numbers Dapr reads differently. */
  raw: Readonly<Record<string, string>>;
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

const acksByName = { all: -1, local: 1, none: 0 } as const;

/**
 * Turns validated Dapr metadata into binding options, refusing with the field's name what
 * the component cannot honour instead of ignoring it.
 */
export function kafkaBindingOptions(metadata: KafkaBindingMetadata, context: KafkaSettingsContext): KafkaBindingOptions {
  const topics = (metadata.topics ?? '')
    .split(',')
    .map((topic) => topic.trim())
    .filter((topic) => topic !== '');
  const consumerGroup = metadata.consumerGroup?.trim() || metadata.consumerID?.trim() || undefined;
  if (topics.length > 0 && !consumerGroup) throw fieldError('consumerGroup', 'is required to read topics (or consumerID)');
  const heartbeat = positive('heartbeatInterval', metadata.heartbeatInterval);
  const session = positive('sessionTimeout', metadata.sessionTimeout);
  if (session <= heartbeat) throw fieldError('sessionTimeout', `must be longer than heartbeatInterval (${heartbeat} ms)`);
  const strategy = metadata.consumerGroupRebalanceStrategy;
  if (strategy !== 'range' && strategy !== 'roundrobin') throw fieldError('consumerGroupRebalanceStrategy', `"${strategy}" is not supported (supported: range, roundrobin)`);
  const compression = metadata.compression;
  if (compression !== 'none' && compression !== 'gzip') throw fieldError('compression', `"${compression}" is not supported (supported: none, gzip)`);
  const options: KafkaBindingOptions = {
    brokers: parseBrokers(metadata.brokers),
    clientId: metadata.clientID?.trim() || context.appId || 'mecha',
    topics,
    initialOffset: metadata.initialOffset === 'oldest' ? 'oldest' : 'newest',
    redeliveryDelayMs: retryInterval(metadata.consumeRetryInterval, context.raw['consumeRetryInterval']),
    heartbeatIntervalMs: heartbeat,
    sessionTimeoutMs: session,
    assignmentStrategy: strategy,
    fetchMinBytes: wholeNumber('consumerFetchMin', metadata.consumerFetchMin, 0),
    fetchMaxBytesPerPartition: wholeNumber('consumerFetchDefault', metadata.consumerFetchDefault, 1),
    acks: acksByName[metadata.producerRequiredAcks as keyof typeof acksByName],
    producerRetries: wholeNumber('producerRetryMax', metadata.producerRetryMax, 0),
    compression,
    escapeHeaders: metadata.escapeHeaders,
    logger: context.logger,
  };
  if (metadata.publishTopic?.trim()) options.publishTopic = metadata.publishTopic.trim();
  if (consumerGroup) options.consumerGroup = consumerGroup;
  if (metadata.maxMessageBytes !== undefined) options.maxMessageBytes = wholeNumber('maxMessageBytes', metadata.maxMessageBytes, 1);
  if (metadata.dialTimeout !== undefined) options.connectionTimeoutMs = positive('dialTimeout', metadata.dialTimeout);
  const read = metadata.readTimeout === undefined ? undefined : positive('readTimeout', metadata.readTimeout);
  const write = metadata.writeTimeout === undefined ? undefined : positive('writeTimeout', metadata.writeTimeout);
  if (read !== undefined || write !== undefined) options.requestTimeoutMs = Math.max(read ?? 0, write ?? 0);
  if (metadata.clientConnectionTopicMetadataRefreshInterval !== undefined) {
    options.metadataMaxAgeMs = positive('clientConnectionTopicMetadataRefreshInterval', metadata.clientConnectionTopicMetadataRefreshInterval);
  }
  if (metadata.excludeHeaderMetaRegex) {
    try {
      options.excludeHeaderMetadata = new RegExp(metadata.excludeHeaderMetaRegex);
    } catch (error) {
      throw fieldError('excludeHeaderMetaRegex', `is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (metadata.schemaRegistryURL) {
    context.logger.warn('metadata field "schemaRegistryURL": schema registries are not supported by this component; requests with valueSchemaType are refused');
  }
  const authType = resolveAuthType(metadata);
  if (authType === 'password') {
    if (!metadata.saslUsername) throw fieldError('saslUsername', "is required with authType 'password'");
    if (!metadata.saslPassword) throw fieldError('saslPassword', "is required with authType 'password'");
    const mechanism = saslMechanisms[metadata.saslMechanism.trim().toUpperCase()];
    if (!mechanism) throw fieldError('saslMechanism', `must be one of PLAINTEXT, SHA-256, SHA-512 (got "${metadata.saslMechanism}")`);
    options.sasl = { mechanism, username: metadata.saslUsername, password: metadata.saslPassword };
  }
  const ssl = tlsOptions(metadata, authType);
  if (ssl !== undefined) options.ssl = ssl;
  return options;
}

function resolveAuthType(metadata: KafkaBindingMetadata): AuthType {
  let authType = metadata.authType?.trim().toLowerCase();
  if (!authType && metadata.authRequired !== undefined) authType = metadata.authRequired ? (metadata.saslPassword ? 'password' : 'mtls') : 'none';
  if (!authType) throw fieldError('authType', 'is required: one of none, password, mtls, certificate');
  if (authType !== 'none' && authType !== 'password' && authType !== 'mtls' && authType !== 'certificate') {
    throw fieldError('authType', `"${authType}" is not supported by this component (supported: none, password, mtls, certificate)`);
  }
  return authType;
}

/** TLS as Dapr has it: on for every auth type but `none`, unless `disableTls`. */
function tlsOptions(metadata: KafkaBindingMetadata, authType: AuthType): ConnectionOptions | boolean | undefined {
  for (const field of ['caCert', 'clientCert', 'clientKey'] as const) {
    const value = metadata[field];
    if (value && !/-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(pem(value))) {
      throw fieldError(field, 'is not PEM (expected a -----BEGIN ...----- block)');
    }
  }
  if (Boolean(metadata.clientCert) !== Boolean(metadata.clientKey)) {
    throw fieldError(metadata.clientCert ? 'clientKey' : 'clientCert', 'is required with the other (clientCert and clientKey go together)');
  }
  if (authType === 'mtls' && metadata.disableTls) throw fieldError('disableTls', "cannot be true with authType 'mtls'");
  if (authType === 'certificate' && !metadata.caCert) throw fieldError('caCert', "is required with authType 'certificate'");
  if (authType === 'none' || metadata.disableTls) return undefined;
  const tls: ConnectionOptions = {};
  if (metadata.skipVerify) tls.rejectUnauthorized = false;
  if (metadata.caCert) tls.ca = [pem(metadata.caCert)];
  if (metadata.clientCert && metadata.clientKey) {
    tls.cert = pem(metadata.clientCert);
    tls.key = pem(metadata.clientKey);
  }
  return Object.keys(tls).length === 0 ? true : tls;
}

/** Resource files often carry PEM with literal `\n` sequences instead of line breaks. */
function pem(value: string): string {
  return value.includes('\n') ? value : value.replace(/\\n/g, '\n');
}

function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) throw fieldError('brokers', 'must name at least one broker as host:port');
  for (const broker of brokers) {
    if (!/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(broker)) throw fieldError('brokers', `"${broker}" is not host:port`);
  }
  return brokers;
}

/** Dapr reads a bare integer here as milliseconds, unlike its other durations. */
function retryInterval(parsedMs: number | undefined, raw: string | undefined): number {
  if (parsedMs === undefined) return 100;
  const ms = raw !== undefined && /^\s*\d+\s*$/.test(raw) ? Number(raw) : parsedMs;
  if (!(ms >= 0)) throw fieldError('consumeRetryInterval', 'must not be negative');
  return ms;
}

function wholeNumber(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw fieldError(field, `must be a whole number of at least ${min} (got ${value})`);
  return value;
}

function positive(field: string, ms: number): number {
  if (!(ms > 0)) throw fieldError(field, 'must be a positive duration');
  return ms;
}

function fieldError(field: string, message: string): Error {
  return new Error(`metadata field "${field}" ${message}`);
}
