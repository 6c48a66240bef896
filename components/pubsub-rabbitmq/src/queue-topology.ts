import type { SubscribeRequest } from '@mecha/pubsub';
import type { Channel } from 'amqplib';
import type { ExchangeKind } from './broker-options.ts';

/** The component-wide settings that shape exchanges and queues. */
export interface TopologySettings {
  exchangeKind: ExchangeKind;
  durable: boolean;
  deleteWhenUnused: boolean;
  enableDeadLetter: boolean;
  maxLen?: number;
  maxLenBytes?: number;
}

export interface ExchangeSpec {
  name: string;
  kind: ExchangeKind;
  durable: boolean;
  autoDelete: boolean;
}

export interface QueueSpec {
  name: string;
  durable: boolean;
  autoDelete: boolean;
  args: Record<string, unknown>;
}

/**
 * What one subscription needs on the broker, named as daprd names it so both can share a
 * broker: the topic's exchange (named after the topic), a queue `<consumerGroup>-<topic>`
 * (or the subscription's `queueName`) bound to it once per routing key, and with
 * `enableDeadLetter` a fanout exchange `dlx-<queue>` bound to a queue `dlq-<queue>`.
 */
export interface SubscriptionTopology {
  exchange: ExchangeSpec;
  queue: QueueSpec;
  bindingKeys: string[];
  deadLetter?: { exchange: ExchangeSpec; queue: QueueSpec };
}

const QUEUE_TYPES = ['classic', 'quorum'];

/** The exchange a topic is published to and subscribed from. */
export function topicExchange(topic: string, settings: TopologySettings): ExchangeSpec {
  return { name: topic, kind: settings.exchangeKind, durable: settings.durable, autoDelete: settings.deleteWhenUnused };
}

/**
 * Reads the subscription metadata daprd's component understands (`queueName`, `routingKey`,
 * `queueType`, `singleActiveConsumer`, `maxLen`, `maxLenBytes`, `maxPriority`); throws
 * naming the field when one is malformed.
 */
export function subscriptionTopology(request: SubscribeRequest, settings: TopologySettings): SubscriptionTopology {
  const metadata = request.metadata;
  const queueName = metadata['queueName'] || `${request.consumerGroup}-${request.topic}`;
  const args: Record<string, unknown> = {};
  let deadLetter: SubscriptionTopology['deadLetter'];
  if (settings.enableDeadLetter) {
    const dlqArgs: Record<string, unknown> = lengthLimits(settings);
    // Kept on disk as much as possible: a dead-letter queue is read rarely.
    dlqArgs['x-queue-mode'] = 'lazy';
    deadLetter = {
      exchange: { name: `dlx-${queueName}`, kind: 'fanout', durable: true, autoDelete: settings.deleteWhenUnused },
      queue: { name: `dlq-${queueName}`, durable: true, autoDelete: settings.deleteWhenUnused, args: dlqArgs },
    };
    args['x-dead-letter-exchange'] = deadLetter.exchange.name;
  }
  Object.assign(args, lengthLimits(settings));
  const maxPriority = metadata['maxPriority'];
  if (maxPriority) args['x-max-priority'] = Math.min(255, wholeNumber('maxPriority', maxPriority));
  const queueType = metadata['queueType'];
  if (queueType && !QUEUE_TYPES.includes(queueType)) {
    throw new Error(`subscription metadata 'queueType' must be classic or quorum (got '${queueType}')`);
  }
  args['x-queue-type'] = queueType || 'classic';
  if (isTruthy(metadata['singleActiveConsumer'])) args['x-single-active-consumer'] = true;
  const maxLenBytes = metadata['maxLenBytes'];
  if (maxLenBytes) args['x-max-length-bytes'] = wholeNumber('maxLenBytes', maxLenBytes);
  const maxLen = metadata['maxLen'];
  if (maxLen) args['x-max-length'] = wholeNumber('maxLen', maxLen);
  const topology: SubscriptionTopology = {
    exchange: topicExchange(request.topic, settings),
    queue: { name: queueName, durable: settings.durable, autoDelete: settings.deleteWhenUnused, args },
    bindingKeys: (metadata['routingKey'] ?? '').split(','),
  };
  if (deadLetter) topology.deadLetter = deadLetter;
  return topology;
}

/** Declares (idempotently) everything the subscription consumes from. */
export async function declareTopology(channel: Channel, topology: SubscriptionTopology): Promise<void> {
  await declareExchange(channel, topology.exchange);
  if (topology.deadLetter) {
    await declareExchange(channel, topology.deadLetter.exchange);
    await declareQueue(channel, topology.deadLetter.queue);
    await channel.bindQueue(topology.deadLetter.queue.name, topology.deadLetter.exchange.name, '');
  }
  await declareQueue(channel, topology.queue);
  for (const key of topology.bindingKeys) await channel.bindQueue(topology.queue.name, topology.exchange.name, key);
}

export async function declareExchange(channel: Channel, exchange: ExchangeSpec): Promise<void> {
  await channel.assertExchange(exchange.name, exchange.kind, { durable: exchange.durable, autoDelete: exchange.autoDelete });
}

async function declareQueue(channel: Channel, queue: QueueSpec): Promise<void> {
  await channel.assertQueue(queue.name, { durable: queue.durable, autoDelete: queue.autoDelete, exclusive: false, arguments: queue.args });
}

function lengthLimits(settings: TopologySettings): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (settings.maxLen) args['x-max-length'] = settings.maxLen;
  if (settings.maxLenBytes) args['x-max-length-bytes'] = settings.maxLenBytes;
  return args;
}

function wholeNumber(field: string, value: string): number {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new Error(`subscription metadata '${field}' must be a whole number of at least 0 (got '${value}')`);
  }
  return parsed;
}

/** daprd's truthy strings: 1, true, t, yes, y, on (any case). */
function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 't', 'yes', 'y', 'on'].includes(value.trim().toLowerCase());
}
