import type { Logger, MetadataOf } from '@mecha/core';
import type { ConsumerSettings, JetStreamBrokerOptions, JetStreamDeliverPolicy } from './broker-options.ts';
import { parseDurationList } from './duration-list.ts';
import type { jetstreamMetadata } from './jetstream-metadata.ts';
import { invalidNameReason } from './jetstream-names.ts';

type Values = MetadataOf<typeof jetstreamMetadata>;

const DELIVER_POLICIES: Record<string, JetStreamDeliverPolicy> = {
  all: 'all',
  last: 'last',
  new: 'new',
  sequence: 'by_start_sequence',
  time: 'by_start_time',
};

/**
 * Turns validated component metadata into broker options, refusing combinations the server
 * would refuse later (or that would break at-least-once delivery) with an error naming the
 * field. Fields accepted only for compatibility are reported through `logger` when set.
 */
export function optionsFromMetadata(values: Values, logger: Logger): JetStreamBrokerOptions {
  const fail = (field: string, message: string): never => {
    throw new Error(`pubsub.jetstream: metadata field '${field}' ${message}`);
  };

  const servers = values.natsURL
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (servers.length === 0) fail('natsURL', 'is required');

  if (values.jwt && !values.seedKey) fail('seedKey', "is required when 'jwt' is set");
  if (values.seedKey && !values.jwt) fail('jwt', "is required when 'seedKey' is set");
  if (values.tls_client_cert && !values.tls_client_key)
    fail('tls_client_key', "is required when 'tls_client_cert' is set");
  if (values.tls_client_key && !values.tls_client_cert)
    fail('tls_client_cert', "is required when 'tls_client_key' is set");

  if (values.ackPolicy !== 'explicit') {
    fail(
      'ackPolicy',
      `'${values.ackPolicy}' is not supported: it can acknowledge messages whose handler has not succeeded. Use 'explicit' (the default).`,
    );
  }

  for (const field of ['streamName', 'durableName'] as const) {
    const value = values[field];
    if (value === undefined || value === '') continue;
    const reason = invalidNameReason(value);
    if (reason) fail(field, reason);
  }

  const deliverPolicy = DELIVER_POLICIES[values.deliverPolicy]!;
  const consumer: ConsumerSettings = { deliverPolicy, memoryStorage: values.memoryStorage };

  const startSequence = values.startSequence || undefined;
  if (startSequence !== undefined && (!Number.isInteger(startSequence) || startSequence < 1))
    fail('startSequence', 'must be a whole number of at least 1');
  if (deliverPolicy === 'by_start_sequence') {
    if (startSequence === undefined) fail('startSequence', "is required with deliverPolicy 'sequence'");
    consumer.startSequence = startSequence;
  } else if (startSequence !== undefined) {
    fail('startSequence', "applies only with deliverPolicy 'sequence'");
  }

  const startTime = values.startTime || undefined;
  if (startTime !== undefined && (!Number.isFinite(startTime) || startTime < 0))
    fail('startTime', 'must be a Unix time in seconds');
  if (deliverPolicy === 'by_start_time') {
    if (startTime === undefined) fail('startTime', "is required with deliverPolicy 'time'");
    consumer.startTime = new Date(startTime! * 1000);
  } else if (startTime !== undefined) {
    fail('startTime', "applies only with deliverPolicy 'time'");
  }

  if (values.ackWait !== undefined) {
    if (!(values.ackWait > 0)) fail('ackWait', 'must be a positive duration');
    consumer.ackWaitMs = values.ackWait;
  }
  if (values.maxDeliver !== undefined && values.maxDeliver !== 0 && values.maxDeliver !== -1) {
    if (!Number.isInteger(values.maxDeliver) || values.maxDeliver < 1)
      fail('maxDeliver', 'must be a whole number of at least 1 (or -1 for unlimited)');
    consumer.maxDeliver = values.maxDeliver;
  }
  if (values.backOff !== undefined && values.backOff.trim() !== '') {
    try {
      consumer.backOffMs = parseDurationList(values.backOff);
    } catch (error) {
      fail('backOff', `must be a comma-separated list of durations: ${(error as Error).message}`);
    }
    // The server refuses a backoff list on a consumer without a larger delivery limit.
    if (consumer.maxDeliver === undefined || consumer.maxDeliver <= consumer.backOffMs!.length) {
      fail(
        'maxDeliver',
        `must be set, and greater than the number of 'backOff' delays (${consumer.backOffMs!.length}), when 'backOff' is set`,
      );
    }
  }
  if (values.maxAckPending !== undefined && values.maxAckPending !== 0 && values.maxAckPending !== -1) {
    if (!Number.isInteger(values.maxAckPending) || values.maxAckPending < 1)
      fail('maxAckPending', 'must be a whole number of at least 1 (or -1 for unlimited)');
    consumer.maxAckPending = values.maxAckPending;
  }
  if (values.replicas !== undefined && values.replicas !== 0) {
    if (!Number.isInteger(values.replicas) || values.replicas < 1 || values.replicas > 5)
      fail('replicas', 'must be a whole number from 1 to 5');
    consumer.replicas = values.replicas;
  }
  let heartbeatMs: number | undefined;
  if (values.heartbeat !== undefined && values.heartbeat !== 0) {
    if (!(values.heartbeat > 0)) fail('heartbeat', 'must be a positive duration');
    heartbeatMs = values.heartbeat;
  }

  const ignored = [
    values.queueGroupName ? 'queueGroupName' : '',
    values.flowControl ? 'flowControl' : '',
    values.rateLimit ? 'rateLimit' : '',
    values.deliverAll !== undefined ? 'deliverAll' : '',
  ].filter((name) => name !== '');
  if (ignored.length > 0) {
    logger.warn(
      { fields: ignored },
      `pubsub.jetstream: metadata ${ignored.map((name) => `'${name}'`).join(', ')} accepted for Dapr compatibility and ignored (durable pull consumers; see the component's README)`,
    );
  }

  return {
    servers,
    connectionName: values.name,
    ...(values.token ? { token: values.token } : {}),
    ...(values.jwt ? { jwt: values.jwt, seedKey: values.seedKey! } : {}),
    ...(values.tls_client_cert
      ? { tlsClientCert: values.tls_client_cert, tlsClientKey: values.tls_client_key! }
      : {}),
    ...(values.domain ? { domain: values.domain } : {}),
    ...(values.apiPrefix ? { apiPrefix: values.apiPrefix } : {}),
    ...(values.streamName ? { streamName: values.streamName } : {}),
    ...(values.durableName ? { durableName: values.durableName } : {}),
    consumer,
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    concurrency: values.concurrency === 'parallel' ? 'parallel' : 'single',
    logger,
  };
}
