import type { Closeable } from '@mecha/core';

/**
 * The contract a pub/sub component implements: move bytes between topics, with the
 * broker's own delivery guarantees. CloudEvents, routing, retries and dead letters are the
 * block's job, not the component's.
 */
export type PubSubFeature = 'BULK_PUBSUB' | 'BULK_SUBSCRIBE' | 'SUBSCRIBE_WILDCARDS' | 'MESSAGE_TTL';

export interface BrokerMessage {
  topic: string;
  /** The envelope (CloudEvent JSON) or the raw payload, as bytes. */
  data: Uint8Array;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface SubscribeRequest {
  topic: string;
  /** Competing consumers share one group; Dapr's default is the app id (`consumerID`). */
  consumerGroup: string;
  metadata: Record<string, string>;
  /**
   * Set when the block delivers this subscription's messages to the app in batches (bulk
   * subscribe). The handler of a message then resolves only once its whole batch was
   * delivered, so a component that waits for one message before handing over the next would
   * fill each batch with one message and its time limit: hand over up to `maxMessages`
   * without waiting (in order, where the broker promises order), and acknowledge each as its
   * own handler settles.
   */
  bulk?: {
    maxMessages: number;
    /**
     * For a component that waits for the messages it handed over before handing more (one
     * partition or queue in order): call it once they are all handed over, and their batch goes
     * to the app without waiting out `maxAwaitDurationMs`, which could bring no more.
     */
    flush(): void;
  };
}

/**
 * Resolving acknowledges the message; rejecting asks the broker to redeliver it according
 * to its own semantics. The block calls this only once it has a final outcome.
 */
export type MessageHandler = (message: BrokerMessage) => Promise<void>;

export interface BrokerSubscription {
  /** Stops delivery; in-flight handlers finish first. */
  close(): Promise<void>;
}

export interface BulkPublishFailure {
  /** Index into the published array. */
  index: number;
  error: string;
}

export interface PubSubBroker extends Closeable {
  publish(message: BrokerMessage): Promise<void>;
  /** Native bulk publish; the block publishes one by one where it is absent. */
  bulkPublish?(messages: BrokerMessage[]): Promise<BulkPublishFailure[]>;
  /**
   * Resolves once the broker is ready to deliver to `handler` (consumer group joined,
   * partitions or queues bound), so a message published after it resolves is not missed.
   * The subscription must survive the broker going away and coming back (reconnect, and
   * recreate a consumer group the broker forgot) without the caller subscribing again.
   */
  subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<BrokerSubscription>;
  /**
   * Rejects, with a message naming what is wrong, while the broker cannot be reached.
   * `/v1.0/healthz/outbound` and the metadata API report it. Absent means "always healthy"
   * (an in-process broker).
   */
  ping?(): Promise<void>;
}
