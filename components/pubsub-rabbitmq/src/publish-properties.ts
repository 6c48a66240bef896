import { parseDuration } from '@mecha/core';
import type { BrokerMessage } from '@mecha/pubsub';
import type { Options } from 'amqplib';

export interface PublishDefaults {
  deliveryMode: number;
  defaultTtlMs?: number;
}

export interface PublishProperties {
  routingKey: string;
  options: Options.Publish;
}

/**
 * The AMQP routing key and properties of one message, from the publish request's metadata
 * as daprd reads it: `routingKey`, `ttlInSeconds` (or `ttl`) as the per-message expiration,
 * `priority`, and `contentType`, `messageID`, `correlationID`, `type` as message properties.
 * Values daprd would ignore with a warning are ignored here too (`warn`).
 */
export function publishProperties(
  message: BrokerMessage,
  defaults: PublishDefaults,
  warn: (text: string) => void,
): PublishProperties {
  const metadata = message.metadata;
  const options: Options.Publish = {};
  // Modes 0 and 1 are both transient; leaving the flag out says the same.
  if (defaults.deliveryMode > 0) options.deliveryMode = defaults.deliveryMode;
  const contentType = lookup(metadata, 'contentType') ?? message.contentType;
  if (contentType) options.contentType = contentType;
  const ttlMs = messageTtl(metadata, warn) ?? defaults.defaultTtlMs;
  if (ttlMs !== undefined) options.expiration = String(Math.max(0, Math.round(ttlMs)));
  const priority = lookup(metadata, 'priority');
  if (priority !== undefined) {
    const value = Number(priority);
    if (Number.isInteger(value)) options.priority = Math.min(255, Math.max(0, value));
    else warn(`ignoring metadata priority '${priority}': not a whole number`);
  }
  const messageId = lookup(metadata, 'messageID');
  if (messageId !== undefined) options.messageId = messageId;
  const correlationId = lookup(metadata, 'correlationID');
  if (correlationId !== undefined) options.correlationId = correlationId;
  const type = lookup(metadata, 'type');
  if (type !== undefined) options.type = type;
  return { routingKey: lookup(metadata, 'routingKey') ?? '', options };
}

/** `ttlInSeconds` or `ttl`: a Go duration, or whole seconds above zero. */
function messageTtl(metadata: Record<string, string>, warn: (text: string) => void): number | undefined {
  const value = lookup(metadata, 'ttlInSeconds') ?? lookup(metadata, 'ttl');
  if (value === undefined) return undefined;
  try {
    const ms = parseDuration(value);
    if (/^-?\d+$/.test(value.trim()) && ms <= 0) throw new RangeError('must be more than zero');
    return Math.max(0, ms);
  } catch (error) {
    warn(`ignoring metadata ttlInSeconds '${value}': ${(error as Error).message}`);
    return undefined;
  }
}

/** A non-empty metadata value, the key matched exactly first and then ignoring case. */
function lookup(metadata: Record<string, string>, key: string): string | undefined {
  const exact = metadata[key];
  if (exact) return exact;
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(metadata)) {
    if (value && name.toLowerCase() === wanted) return value;
  }
  return undefined;
}
