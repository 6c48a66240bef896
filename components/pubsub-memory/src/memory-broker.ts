import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type {
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  PubSubBroker,
  SubscribeRequest,
} from '@mecha/pubsub';

export interface MemoryBrokerOptions {
  /** How many times a rejected (nacked) message is delivered again before it is dropped. */
  maxRedeliveries?: number;
  /** Wait before each redelivery, in milliseconds. */
  redeliveryDelayMs?: number;
  logger?: Logger;
}

interface Consumer {
  handler: MessageHandler;
  inFlight: Set<Promise<void>>;
}

/** Subscribers sharing a consumer group take turns (round robin). */
interface Group {
  consumers: Consumer[];
  next: number;
}

/**
 * Topics in the memory of one process. Every consumer group of a topic gets every message;
 * within a group one consumer gets it. Nothing is retained: a message published while a
 * group has no subscriber is not delivered to that group. A rejected message is redelivered
 * (to the group's next consumer) up to `maxRedeliveries` times, then dropped with an error log.
 */
export class MemoryBroker implements PubSubBroker {
  readonly #topics = new Map<string, Map<string, Group>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #maxRedeliveries: number;
  readonly #redeliveryDelayMs: number;
  readonly #logger: Logger;
  #closed = false;

  constructor(options: MemoryBrokerOptions = {}) {
    this.#maxRedeliveries = options.maxRedeliveries ?? 3;
    this.#redeliveryDelayMs = options.redeliveryDelayMs ?? 100;
    this.#logger = options.logger ?? silentLogger();
  }

  async publish(message: BrokerMessage): Promise<void> {
    this.#ensureOpen();
    this.#fanOut(message);
  }

  /** All or nothing: in memory a message cannot fail once the broker is open. */
  async bulkPublish(messages: BrokerMessage[]): Promise<BulkPublishFailure[]> {
    this.#ensureOpen();
    for (const message of messages) this.#fanOut(message);
    return [];
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    this.#ensureOpen();
    const groups = this.#topics.get(request.topic) ?? new Map<string, Group>();
    this.#topics.set(request.topic, groups);
    const group = groups.get(request.consumerGroup) ?? { consumers: [], next: 0 };
    groups.set(request.consumerGroup, group);
    const consumer: Consumer = { handler, inFlight: new Set() };
    group.consumers.push(consumer);
    let closing: Promise<void> | undefined;
    return {
      close: () => {
        closing ??= (async () => {
          const index = group.consumers.indexOf(consumer);
          if (index >= 0) group.consumers.splice(index, 1);
          if (group.consumers.length === 0 && groups.get(request.consumerGroup) === group) {
            groups.delete(request.consumerGroup);
            if (groups.size === 0 && this.#topics.get(request.topic) === groups)
              this.#topics.delete(request.topic);
          }
          await Promise.allSettled([...consumer.inFlight]);
        })();
        return closing;
      },
    };
  }

  /** Stops accepting messages, abandons pending redeliveries and waits for handlers in progress. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const consumers = [...this.#topics.values()].flatMap((groups) =>
      [...groups.values()].flatMap((group) => group.consumers),
    );
    this.#topics.clear();
    await Promise.allSettled(consumers.flatMap((consumer) => [...consumer.inFlight]));
  }

  #ensureOpen(): void {
    if (this.#closed) throw new Error('the in-memory broker is closed');
  }

  #fanOut(message: BrokerMessage): void {
    // One copy per publish, so the publisher may reuse its buffer.
    const stored: BrokerMessage = {
      ...message,
      data: new Uint8Array(message.data),
      metadata: { ...message.metadata },
    };
    const groups = this.#topics.get(message.topic);
    if (!groups) return;
    for (const group of groups.values()) this.#dispatch(group, stored, 0);
  }

  #dispatch(group: Group, message: BrokerMessage, redelivery: number): void {
    if (group.consumers.length === 0) {
      if (redelivery > 0) {
        this.#logger.error(
          { topic: message.topic, redelivery },
          `dropping a message on topic ${message.topic}: its consumer group has no subscriber left`,
        );
      }
      return;
    }
    const consumer = group.consumers[group.next % group.consumers.length]!;
    group.next = (group.next + 1) % group.consumers.length;
    const delivery: BrokerMessage = { ...message, metadata: { ...message.metadata } };
    const running = Promise.resolve()
      .then(() => consumer.handler(delivery))
      .catch((error: unknown) => this.#rejected(group, message, redelivery, error));
    consumer.inFlight.add(running);
    void running.finally(() => consumer.inFlight.delete(running));
  }

  #rejected(group: Group, message: BrokerMessage, redelivery: number, error: unknown): void {
    if (this.#closed) return;
    if (redelivery >= this.#maxRedeliveries) {
      this.#logger.error(
        { topic: message.topic, deliveries: redelivery + 1, error: errorMessage(error) },
        `dropping a message on topic ${message.topic} after ${redelivery + 1} failed deliveries`,
      );
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) this.#dispatch(group, message, redelivery + 1);
    }, this.#redeliveryDelayMs);
    this.#timers.add(timer);
  }
}
