import type { Logger, MetadataOf } from '@mecha/core';
import { connectionTarget, type ConnectionTarget } from './connection-url.ts';
import type { rabbitmqMetadata } from './rabbitmq-metadata.ts';

export type ExchangeKind = 'fanout' | 'topic' | 'direct' | 'headers';
export type ConcurrencyMode = 'parallel' | 'single';

export interface TlsSettings {
  /** PEM certificate authority. */
  caCert?: string;
  /** PEM client certificate and its key. */
  clientCert?: string;
  clientKey?: string;
  /** Authenticate with the client certificate (SASL EXTERNAL). */
  saslExternal?: boolean;
}

/** Everything the broker needs, already validated; `optionsFromMetadata` builds it from Dapr metadata. */
export interface RabbitMqBrokerOptions {
  target: ConnectionTarget;
  tls?: TlsSettings;
  /** Connection name shown by RabbitMQ. */
  clientName?: string;
  /** Whole seconds; 0 disables heartbeats. Default 10. */
  heartbeatSeconds?: number;
  /** Exchanges and queues survive a broker restart. Default true. */
  durable?: boolean;
  /** Exchanges and queues are deleted once unused. Default true (as daprd). */
  deleteWhenUnused?: boolean;
  /** Consume without acknowledgements (at-most-once). Default false. */
  autoAck?: boolean;
  /** With `enableDeadLetter`: requeue a rejected message instead of dead-lettering it. */
  requeueInFailure?: boolean;
  enableDeadLetter?: boolean;
  /** AMQP delivery mode of published messages; 2 = persistent. */
  deliveryMode?: number;
  /** Unacknowledged messages per subscription; 0 = unlimited. */
  prefetchCount?: number;
  /** Wait before reconnecting and before re-establishing a subscription. Default 3000. */
  reconnectWaitMs?: number;
  concurrency?: ConcurrencyMode;
  exchangeKind?: ExchangeKind;
  maxLen?: number;
  maxLenBytes?: number;
  /** TTL of published messages that do not set their own. */
  defaultTtlMs?: number;
  publishMessagePropertiesToMetadata?: boolean;
  /** How long a rejected message stays unacknowledged before it is requeued. Default 500. */
  requeueDelayMs?: number;
  /** How long closing waits for handlers in progress before leaving their messages to RabbitMQ. Default 5000. */
  drainTimeoutMs?: number;
  /** How long `subscribe` keeps trying while RabbitMQ is unreachable. Default 60000. */
  subscribeTimeoutMs?: number;
  /** Longest a publish waits for RabbitMQ's confirm (for example while a resource alarm blocks the connection). Default 30000. */
  publishTimeoutMs?: number;
  /** Bound on opening a TCP/TLS connection and on a health check. Default 10000. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

type Metadata = MetadataOf<typeof rabbitmqMetadata>;

/**
 * Turns validated metadata into broker options, checking what the schema cannot express
 * (ranges, cross-field rules, PEM blocks). Every error names its field.
 */
export function optionsFromMetadata(metadata: Metadata, logger: Logger): RabbitMqBrokerOptions {
  let connectionString = metadata.connectionString;
  if (!connectionString && metadata.host) {
    logger.warn("metadata field 'host' is deprecated; use 'connectionString' or 'hostname', 'username' and 'password'");
    connectionString = metadata.host;
  }
  const target = connectionTarget({
    connectionString,
    protocol: metadata.protocol,
    hostname: metadata.hostname,
    username: metadata.username,
    password: metadata.password,
  });
  wholeNumber('deliveryMode', metadata.deliveryMode, 0, 2);
  wholeNumber('prefetchCount', metadata.prefetchCount, 0, 65_535);
  if (metadata.maxLen !== undefined) wholeNumber('maxLen', metadata.maxLen, 0, Number.MAX_SAFE_INTEGER);
  if (metadata.maxLenBytes !== undefined) wholeNumber('maxLenBytes', metadata.maxLenBytes, 0, Number.MAX_SAFE_INTEGER);
  if (metadata.reconnectWaitSeconds < 0) throw new Error("metadata field 'reconnectWaitSeconds' must not be negative");
  if (metadata.heartBeat < 0) throw new Error("metadata field 'heartBeat' must not be negative");
  if (metadata.ttlInSeconds !== undefined && metadata.ttlInSeconds <= 0) {
    throw new Error("metadata field 'ttlInSeconds' must be more than zero");
  }
  for (const field of ['caCert', 'clientCert', 'clientKey'] as const) {
    const value = metadata[field];
    if (value && !isPem(value)) throw new Error(`metadata field '${field}' is not a PEM block (-----BEGIN …----- … -----END …-----)`);
  }
  if (Boolean(metadata.clientCert) !== Boolean(metadata.clientKey)) {
    throw new Error("metadata fields 'clientCert' and 'clientKey' must be given together");
  }
  if (metadata.saslExternal && !(metadata.caCert && metadata.clientCert && metadata.clientKey)) {
    throw new Error("metadata field 'saslExternal' can only be true when 'caCert', 'clientCert' and 'clientKey' are set");
  }
  if (metadata.autoAck) {
    logger.warn("metadata field 'autoAck' is true: messages count as handled when RabbitMQ sends them, so a failed or interrupted delivery is lost");
  }
  if (metadata.deletedWhenUnused) {
    // daprd's default, kept for compatibility; say once what it costs.
    logger.warn(
      "metadata field 'deletedWhenUnused' is true (the default): RabbitMQ deletes a consumer group's queue and its messages when the group's last subscriber disconnects, so messages published while no sidecar of the app runs are lost; set it to \"false\" to keep them",
    );
  }
  const options: RabbitMqBrokerOptions = {
    target,
    heartbeatSeconds: Math.ceil(metadata.heartBeat / 1000),
    durable: metadata.durable,
    deleteWhenUnused: metadata.deletedWhenUnused,
    autoAck: metadata.autoAck,
    requeueInFailure: metadata.requeueInFailure,
    enableDeadLetter: metadata.enableDeadLetter,
    deliveryMode: metadata.deliveryMode,
    prefetchCount: metadata.prefetchCount,
    reconnectWaitMs: metadata.reconnectWaitSeconds,
    concurrency: metadata.concurrencyMode as ConcurrencyMode,
    exchangeKind: metadata.exchangeKind as ExchangeKind,
    publishMessagePropertiesToMetadata: metadata.publishMessagePropertiesToMetadata,
    logger,
  };
  if (metadata.clientName) options.clientName = metadata.clientName;
  if (metadata.maxLen) options.maxLen = metadata.maxLen;
  if (metadata.maxLenBytes) options.maxLenBytes = metadata.maxLenBytes;
  if (metadata.ttlInSeconds !== undefined) options.defaultTtlMs = Math.round(metadata.ttlInSeconds);
  if (target.protocol === 'amqps') {
    const tls: TlsSettings = { saslExternal: metadata.saslExternal };
    if (metadata.caCert) tls.caCert = metadata.caCert;
    if (metadata.clientCert) tls.clientCert = metadata.clientCert;
    if (metadata.clientKey) tls.clientKey = metadata.clientKey;
    options.tls = tls;
  }
  return options;
}

function wholeNumber(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`metadata field '${field}' must be a whole number from ${min} to ${max} (got ${value})`);
  }
}

function isPem(value: string): boolean {
  return /-----BEGIN [^-]+-----[\s\S]+-----END [^-]+-----/.test(value);
}
