import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@mecha/core';
import type { AssignmentStrategy } from './partition-assignment.ts';

export type KafkaInitialOffset = 'newest' | 'oldest';
export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSaslCredentials {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

/** Everything `KafkaBroker` needs; `kafkaOptions` builds it from Dapr metadata. */
export interface KafkaBrokerOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  clientId?: string;
  /** Overrides the consumer group of every subscription (Dapr's `consumerGroup`). */
  consumerGroup?: string;
  /** Where a group without committed offsets starts. Default `newest`. */
  initialOffset?: KafkaInitialOffset;
  /** `true` for TLS with the system roots, or Node's TLS options. */
  ssl?: ConnectionOptions | boolean;
  sasl?: KafkaSaslCredentials;
  /** Largest value published, in bytes; larger ones are refused before sending. */
  maxMessageBytes?: number;
  /** Wait before a rejected message is delivered again. Default 100 ms. */
  redeliveryDelayMs?: number;
  /** Default 3000 ms. */
  heartbeatIntervalMs?: number;
  /** Default 10000 ms. */
  sessionTimeoutMs?: number;
  /** TCP connect timeout. Default 5000 ms. */
  connectionTimeoutMs?: number;
  /** Default 30000 ms. */
  requestTimeoutMs?: number;
  /** How often metadata is refreshed. Default kafkajs's 5 minutes. */
  metadataMaxAgeMs?: number;
  /** Default 1. */
  fetchMinBytes?: number;
  /** Default 1 MiB. */
  fetchMaxBytesPerPartition?: number;
  /** Longest a fetch waits for data; also bounds how soon a paused partition resumes and a rebalance is noticed. Default 250 ms. */
  fetchMaxWaitMs?: number;
  /** -1 all in-sync replicas (default), 1 the leader, 0 none. */
  acks?: -1 | 0 | 1;
  /** Retries of a failed publish request. Default 5. */
  producerRetries?: number;
  /** Default `none`. */
  compression?: 'none' | 'gzip';
  /** URL-escape received header values and keys (Dapr's `escapeHeaders`). */
  escapeHeaders?: boolean;
  /** Metadata keys never turned into headers, nor headers into metadata. */
  excludeHeaderMetadata?: RegExp;
  /**
   * How long closing a subscription waits for handlers still running. A handler that has not
   * settled by then is abandoned: its message stays uncommitted and is delivered again to
   * the group. Default 5000 ms.
   */
  closeTimeoutMs?: number;
  /** Longest `subscribe` waits to join the consumer group. Default 60000 ms. */
  joinTimeoutMs?: number;
  /** Kafka's assignment protocol for the group. Default `range`, as in Dapr. */
  assignmentStrategy?: AssignmentStrategy;
  /** Partitions of one subscription handled at the same time. Default 16. */
  partitionsConsumedConcurrently?: number;
  /** Backoff of reconnection attempts after the brokers went away. Defaults 300 ms and 5000 ms. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long `ping` waits for the cluster's answer. Default 3000 ms. */
  pingTimeoutMs?: number;
  logger?: Logger;
}
