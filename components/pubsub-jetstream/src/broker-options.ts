import type { Logger } from '@mecha/core';

/** JetStream's names for where a new consumer starts. */
export type JetStreamDeliverPolicy = 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time';

/** How the durable consumers this broker creates are configured. */
export interface ConsumerSettings {
  deliverPolicy?: JetStreamDeliverPolicy;
  /** With `by_start_sequence`. */
  startSequence?: number;
  /** With `by_start_time`. */
  startTime?: Date;
  /** Server default (30 s) when absent. */
  ackWaitMs?: number;
  /** Unlimited when absent. */
  maxDeliver?: number;
  /** Redelivery delays; a rejected message also waits the entry for its delivery count. */
  backOffMs?: number[];
  maxAckPending?: number;
  replicas?: number;
  memoryStorage?: boolean;
}

export interface JetStreamBrokerOptions {
  /** Server URLs, tried in turn. */
  servers: string[];
  /** Shown in the server's monitoring. */
  connectionName?: string;
  token?: string;
  /** User JWT; `seedKey` signs the server's nonce. */
  jwt?: string;
  seedKey?: string;
  /** PEM file paths or PEM text. */
  tlsClientCert?: string;
  tlsClientKey?: string;
  domain?: string;
  apiPrefix?: string;
  /** One stream for every topic; absent: the stream capturing each topic, or one created for it. */
  streamName?: string;
  /** Names the durable consumer; absent: derived from the consumer group and the topic. */
  durableName?: string;
  consumer?: ConsumerSettings;
  /** Idle heartbeat asked of the server during a pull. */
  heartbeatMs?: number;
  /** `single`: one message at a time per subscription, in order. `parallel`: all fetched messages at once. */
  concurrency?: 'single' | 'parallel';
  /** Wait before a rejected message is delivered again, when `backOffMs` is not set. Default 1000. */
  redeliveryDelayMs?: number;
  /** How long closing waits for handlers in progress before leaving their messages unacknowledged. Default 5000. */
  closeTimeoutMs?: number;
  /** JetStream API and publish acknowledgement timeout. Default 5000. */
  requestTimeoutMs?: number;
  /** How long `ping()` waits for the server. Default 2000. */
  pingTimeoutMs?: number;
  /** Wait between reconnection attempts. Default 1000. */
  reconnectWaitMs?: number;
  /** Messages a subscription holds at most (delivered, not yet acknowledged). Default 20 (`single`) or 100 (`parallel`). */
  prefetch?: number;
  logger?: Logger;
}
