import type { Logger } from '@mecha/core';
import { defaultInstanceName } from './client-id.ts';

export interface Mqtt3BrokerOptions {
  /** `tcp://[user[:password]@]host[:port]`, or a TLS scheme (`ssl`, `tls`, `tcps`, `mqtts`). */
  url: string;
  /** QoS of published messages (default 1); subscriptions use QoS 1 unless this is 0. */
  qos?: 0 | 1 | 2;
  /** Default retain flag of published messages (default false). */
  retain?: boolean;
  /** Subscribers connect with a clean session, giving up queued and unacknowledged messages (default false). */
  cleanSession?: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  /** Handler retries within one connection before the message goes back to the broker; -1 (default) is no limit. */
  backOffMaxRetries?: number;
  /** Subscribe as `$share/<group>/<topic>` so a consumer group shares the messages (default true). */
  sharedSubscriptions?: boolean;
  /** Prefix of the publishing connection's client id (default `mecha`). */
  publisherIdPrefix?: string;
  /** Host part of subscriber client ids (default: this host's name). */
  instanceName?: string;
  /** First wait before a rejected message is handed to the subscriber again, doubling up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long a publish waits for a connection and the broker's acknowledgement (default 10 s). */
  publishTimeoutMs?: number;
  /** How long the first connection and a subscription's SUBACK may take (default 10 s). */
  connectTimeoutMs?: number;
  /** How long closing waits for handlers in progress before leaving their messages unacknowledged (default 5 s). */
  drainTimeoutMs?: number;
  /** Wait between reconnection attempts (default 1 s). */
  reconnectPeriodMs?: number;
  /**
   * After the publishing connection was re-established, publishes wait this long so that
   * subscribers reconnecting to a restarted broker can subscribe again first (default twice
   * `reconnectPeriodMs`).
   */
  reconnectGraceMs?: number;
  /** MQTT keep-alive in seconds (default 30). */
  keepaliveSeconds?: number;
  logger?: Logger;
}

export type ResolvedMqtt3Options = Required<Omit<Mqtt3BrokerOptions, 'caCert' | 'clientCert' | 'clientKey'>> &
  Pick<Mqtt3BrokerOptions, 'caCert' | 'clientCert' | 'clientKey'>;

/**
 * Applies defaults and refuses values the broker would misread. Messages name Dapr's
 * metadata fields, since that is where a sidecar user sets them.
 */
export function resolveMqtt3Options(options: Mqtt3BrokerOptions, logger: Logger): ResolvedMqtt3Options {
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new Error(`metadata field 'qos' must be 0, 1 or 2 (got ${String(qos)})`);
  }
  const backOffMaxRetries = options.backOffMaxRetries ?? -1;
  if (!Number.isInteger(backOffMaxRetries) || backOffMaxRetries < -1) {
    throw new Error(`metadata field 'backOffMaxRetries' must be a whole number, -1 for no limit (got ${backOffMaxRetries})`);
  }
  for (const field of ['caCert', 'clientCert', 'clientKey'] as const) {
    const value = options[field];
    if (value !== undefined && value !== '' && !/-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(value)) {
      throw new Error(`metadata field '${field}' is not a PEM block (-----BEGIN ...----- ... -----END ...-----)`);
    }
  }
  if (Boolean(options.clientCert) !== Boolean(options.clientKey)) {
    throw new Error(`metadata fields 'clientCert' and 'clientKey' go together: set both or neither`);
  }
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const resolved = value ?? fallback;
    if (!Number.isFinite(resolved) || resolved < 0) throw new RangeError(`${name} must be a non-negative number (got ${resolved})`);
    return resolved;
  };
  const reconnectPeriodMs = Math.max(1, positive('reconnectPeriodMs', options.reconnectPeriodMs, 1000));
  const resolved: ResolvedMqtt3Options = {
    url: options.url,
    qos,
    retain: options.retain ?? false,
    cleanSession: options.cleanSession ?? false,
    backOffMaxRetries,
    sharedSubscriptions: options.sharedSubscriptions ?? true,
    publisherIdPrefix: options.publisherIdPrefix ?? 'mecha',
    instanceName: options.instanceName ?? defaultInstanceName(),
    retryDelayMs: positive('retryDelayMs', options.retryDelayMs, 200),
    maxRetryDelayMs: positive('maxRetryDelayMs', options.maxRetryDelayMs, 2000),
    publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs, 10_000),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs, 5000),
    reconnectPeriodMs,
    reconnectGraceMs: positive('reconnectGraceMs', options.reconnectGraceMs, 2 * reconnectPeriodMs),
    keepaliveSeconds: positive('keepaliveSeconds', options.keepaliveSeconds, 30),
    logger,
  };
  if (options.caCert) resolved.caCert = options.caCert;
  if (options.clientCert) resolved.clientCert = options.clientCert;
  if (options.clientKey) resolved.clientKey = options.clientKey;
  return resolved;
}
