import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@mecha/core';
import type { ISocketFactory } from 'kafkajs';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
export type KafkaAssignmentStrategy = 'range' | 'roundrobin';

/** What `KafkaBinding.connect` needs, in kafkajs's terms rather than Dapr's metadata. */
export interface KafkaBindingOptions {
  brokers: string[];
  /** Default `mecha`. */
  clientId?: string;
  /** Topics the input binding reads; none: `read` does nothing (an output-only binding). */
  topics?: string[];
  /** Where `create` publishes. */
  publishTopic?: string;
  /** Required for reading. */
  consumerGroup?: string;
  /** Where a group without committed offsets starts. Default `newest`. */
  initialOffset?: 'newest' | 'oldest';
  /** Delay before a message the handler rejected is fetched again. Default 100. */
  redeliveryDelayMs?: number;
  heartbeatIntervalMs?: number;
  sessionTimeoutMs?: number;
  /** Partition assignment protocol, under Kafka's names. Default `range`. */
  assignmentStrategy?: KafkaAssignmentStrategy;
  fetchMinBytes?: number;
  fetchMaxBytesPerPartition?: number;
  /** Messages larger than this are refused before sending. */
  maxMessageBytes?: number;
  /** -1: all in-sync replicas (default), 1: the leader, 0: none. */
  acks?: -1 | 0 | 1;
  producerRetries?: number;
  compression?: 'none' | 'gzip';
  /** URL-escape keys and header values of consumed messages. */
  escapeHeaders?: boolean;
  /** Metadata keys not sent as headers, and header names not passed on as metadata. */
  excludeHeaderMetadata?: RegExp;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  metadataMaxAgeMs?: number;
  ssl?: ConnectionOptions | boolean;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /** How TCP connections are opened (kafkajs's socket factory); for proxies and tests. */
  socketFactory?: ISocketFactory;
  /** How long the first connection check may take. Default 5000. */
  pingTimeoutMs?: number;
  /** How long closing waits for a handler in progress. Default 5000. */
  closeTimeoutMs?: number;
  logger?: Logger;
}
