import type {
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  PubSubBroker,
  SubscribeRequest,
} from '../src/index.ts';

/** A broker that records what the block does and lets a test hand messages to subscribers itself. */
export class FakeBroker implements PubSubBroker {
  readonly published: BrokerMessage[] = [];
  readonly subscriptions: Array<{
    request: SubscribeRequest;
    handler: MessageHandler;
    closed: boolean;
  }> = [];
  failPublish: Error | undefined;
  closed = false;
  bulkPublish?: (messages: BrokerMessage[]) => Promise<BulkPublishFailure[]>;

  async publish(message: BrokerMessage): Promise<void> {
    if (this.failPublish) throw this.failPublish;
    this.published.push(message);
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription> {
    const entry = { request, handler, closed: false };
    this.subscriptions.push(entry);
    return {
      close: async () => {
        entry.closed = true;
      },
    };
  }

  /** Delivers like a broker would: resolves on ack, rejects on nack. */
  deliver(message: BrokerMessage, index = this.subscriptions.length - 1): Promise<void> {
    return this.subscriptions[index]!.handler(message);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export function json(message: BrokerMessage): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(message.data)) as Record<string, unknown>;
}

export function bytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
}
