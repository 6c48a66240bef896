import { createHash } from 'node:crypto';

/** Characters JetStream refuses in stream and consumer names (they become subject tokens and paths). */
const FORBIDDEN = /[\s.*>/\\]/;
const READABLE_LIMIT = 48;

/** Why `name` cannot name a stream or consumer, or undefined when it can. */
export function invalidNameReason(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (FORBIDDEN.test(name)) return 'must not contain whitespace, ".", "*", ">", "/" or "\\"';
  if (name.length > 255) return 'must be at most 255 characters';
  return undefined;
}

/**
 * The stream this component creates for a topic that no stream captures: the topic itself
 * when it is a valid name, otherwise a readable form plus a hash of the exact topic, so two
 * topics never share a name by accident.
 */
export function streamNameForTopic(topic: string): string {
  if (invalidNameReason(topic) === undefined && topic.length <= READABLE_LIMIT) return topic;
  return `${readable(topic)}_${shortHash(topic)}`;
}

/**
 * The durable consumer of one consumer group on one topic. A consumer follows one filter
 * subject, so each (group, topic) pair gets its own; the hash keeps pairs whose readable
 * forms coincide apart.
 */
export function consumerNameFor(group: string, topic: string): string {
  return `${readable(group)}__${readable(topic)}_${shortHash(`${group}\u0000${topic}`)}`;
}

function readable(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, READABLE_LIMIT) || '_';
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
