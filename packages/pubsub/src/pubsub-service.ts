import { randomUUID } from 'node:crypto';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { BrokerMessage, BrokerSubscription, PubSubBroker, PubSubFeature, SubscribeRequest } from './broker.ts';
import { BulkBatcher } from './bulk-batcher.ts';
import { bulkEntryPayload, type BulkPublishEntry } from './bulk-entry.ts';
import {
  completeEnvelope,
  createEnvelope,
  defaultContentType,
  isExpired,
  isPlainObject,
  parseEnvelope,
  serializeEnvelope,
  toBytes,
  toText,
  wrapRawPayload,
  type CloudEventObject,
} from './cloud-event.ts';
import {
  BINARY_CONTENT_TYPE,
  CLOUDEVENT_CONTENT_TYPE,
  isCloudEventContentType,
} from './content-type.ts';
import {
  bulkEventsError,
  cloudEventError,
  forbiddenError,
  publishError,
  requestMetadataError,
  subscriptionError,
  topicEmptyError,
} from './pubsub-errors.ts';
import {
  cloudEventOverrides,
  type CloudEventOverrides,
  messageTtlMs,
  metadataValue,
  rawPayloadFlag,
} from './request-metadata.ts';
import { backoffSequence, resolveRetryOptions, type RetryOptions } from './retry-options.ts';
import { RouteTable } from './routing.ts';
import {
  subscriptionLabel,
  type BulkDeliveryEntry,
  type Deliver,
  type DeliverBulk,
  type Delivery,
  type DeliveryStatus,
  type SubscribeOptions,
  type SubscriptionHandle,
  type SubscriptionInfo,
  type SubscriptionSpec,
} from './subscription.ts';
import { TopicScopes } from './topic-scopes.ts';

export interface PubSubServiceOptions {
  /** The pub/sub component's name (`metadata.name` of its resource). */
  name: string;
  broker: PubSubBroker;
  /** What the component declared; MESSAGE_TTL means the broker expires messages itself. */
  features: readonly PubSubFeature[];
  appId: string;
  namespace?: string;
  logger?: Logger;
  /** Redelivery of RETRY answers by the block; see `defaultRetryOptions`. */
  retry?: RetryOptions;
  /**
   * The component's metadata (placeholders already expanded): `consumerID`, `allowedTopics`,
   * `publishingScopes`, `subscriptionScopes`, `protectedTopics`.
   */
  rawMetadata?: Readonly<Record<string, string>>;
}

export interface PublishRequest {
  topic: string;
  /** Bytes or a string are sent as given; other values as JSON. */
  data: unknown;
  /**
   * Defaults by the data's kind: `text/plain` for a string, `application/octet-stream` for
   * bytes, `application/json` otherwise. (daprd's HTTP API defaults an absent header to
   * `text/plain`; its adapter passes that explicitly.)
   */
  contentType?: string;
  /** Passed to the broker; `rawPayload`, `ttlInSeconds` and `cloudevent.*` are read by the block. */
  metadata?: Record<string, string>;
  /** W3C trace context of the publishing span. */
  traceparent?: string;
  tracestate?: string;
}

export interface BulkPublishRequest {
  topic: string;
  entries: BulkPublishEntry[];
  metadata?: Record<string, string>;
  traceparent?: string;
  tracestate?: string;
}

export interface BulkPublishResult {
  /** Empty when every entry was published. */
  failedEntries: Array<{ entryId: string; error: string }>;
}

type Outcome = 'ack' | 'nack';

/** A message ready for delivery: routed, with the fields logs name it by. */
interface Prepared {
  message: BrokerMessage;
  delivery: Delivery;
  log: Record<string, unknown>;
}

/** A message waiting in, or delivered as part of, a batch; `settle` answers the broker. */
interface BatchItem extends Prepared {
  entry: BulkDeliveryEntry;
  settle: (outcome: Outcome) => void;
}

class SubscriptionClosed extends Error {}

/** One live subscription: its compiled routes, the broker side, and deliveries in progress. */
class ActiveSubscription implements SubscriptionHandle {
  readonly spec: SubscriptionSpec;
  readonly routes: RouteTable;
  readonly rawPayload: boolean;
  readonly label: string;
  readonly abort = new AbortController();
  readonly inFlight = new Set<Promise<unknown>>();
  broker: BrokerSubscription | undefined;
  /** Set for a bulk subscription delivered in batches. */
  batcher: BulkBatcher<BatchItem> | undefined;
  #closing: Promise<void> | undefined;
  readonly #onClose: (subscription: ActiveSubscription) => void;

  constructor(
    spec: SubscriptionSpec,
    routes: RouteTable,
    rawPayload: boolean,
    onClose: (subscription: ActiveSubscription) => void,
  ) {
    this.spec = spec;
    this.routes = routes;
    this.rawPayload = rawPayload;
    this.label = subscriptionLabel(spec);
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.abort.abort();
      // Messages still waiting for their batch go back to the broker.
      for (const item of this.batcher?.stop() ?? []) item.settle('nack');
      this.#onClose(this);
      await this.broker?.close();
      await Promise.allSettled([...this.inFlight]);
    })();
    return this.#closing;
  }
}

/**
 * Dapr's pub/sub semantics over any PubSubBroker: CloudEvents envelopes (or raw payloads),
 * topic scopes, TTL, bulk publish, subscriptions with CEL routing, SUCCESS/RETRY/DROP
 * handling with retries, and dead-letter topics. The same object serves the sidecar's APIs
 * and embedded use.
 */
export class PubSubService {
  readonly name: string;
  readonly appId: string;
  readonly namespace: string | undefined;
  readonly features: readonly PubSubFeature[];
  /** The consumer group this app's subscriptions join (`consumerID`, default the app id). */
  readonly consumerGroup: string;
  readonly #broker: PubSubBroker;
  readonly #logger: Logger;
  readonly #retry: Required<RetryOptions>;
  readonly #scopes: TopicScopes;
  readonly #subscriptions = new Set<ActiveSubscription>();
  #closing: Promise<void> | undefined;

  constructor(options: PubSubServiceOptions) {
    this.name = options.name;
    this.appId = options.appId;
    this.namespace = options.namespace;
    this.features = [...options.features];
    this.#broker = options.broker;
    this.#logger = options.logger ?? silentLogger();
    this.#retry = resolveRetryOptions(options.retry);
    const metadata = options.rawMetadata ?? {};
    this.#scopes = new TopicScopes(metadata, options.appId);
    this.consumerGroup = metadataValue(metadata, 'consumerID') || options.appId;
  }

  /** Wraps the data in a CloudEvent (unless `metadata.rawPayload` is true) and publishes it. */
  async publish(request: PublishRequest): Promise<void> {
    this.#checkPublish(request.topic);
    const message = this.#toMessage(request);
    this.#ensureOpen(request.topic);
    try {
      await this.#broker.publish(message);
    } catch (error) {
      throw publishError(this.name, request.topic, error);
    }
  }

  /**
   * Publishes several events to one topic: natively when the broker has `bulkPublish`,
   * otherwise one by one in order. Per-entry broker failures are returned, not thrown; a
   * request that cannot be turned into messages throws before anything is published.
   */
  async bulkPublish(request: BulkPublishRequest): Promise<BulkPublishResult> {
    this.#checkPublish(request.topic);
    const seen = new Set<string>();
    for (const entry of request.entries) {
      if (typeof entry.entryId !== 'string' || entry.entryId === '' || seen.has(entry.entryId)) {
        throw bulkEventsError(
          this.name,
          request.topic,
          `entryId is duplicated or not present for entry ${JSON.stringify(entry.entryId ?? '')}`,
        );
      }
      seen.add(entry.entryId);
    }
    const messages = request.entries.map((entry) => {
      const payload = bulkEntryPayload(entry);
      if ('error' in payload) throw bulkEventsError(this.name, request.topic, payload.error);
      return this.#toMessage({
        topic: request.topic,
        data: payload.data,
        contentType: payload.contentType,
        metadata: { ...request.metadata, ...entry.metadata },
        traceparent: request.traceparent,
        tracestate: request.tracestate,
      });
    });
    this.#ensureOpen(request.topic);
    const failedEntries: BulkPublishResult['failedEntries'] = [];
    if (this.#broker.bulkPublish) {
      try {
        for (const failure of await this.#broker.bulkPublish(messages)) {
          const entry = request.entries[failure.index];
          if (entry) failedEntries.push({ entryId: entry.entryId, error: failure.error });
        }
      } catch (error) {
        return {
          failedEntries: request.entries.map((entry) => ({
            entryId: entry.entryId,
            error: errorMessage(error),
          })),
        };
      }
      return { failedEntries };
    }
    for (const [index, message] of messages.entries()) {
      try {
        await this.#broker.publish(message);
      } catch (error) {
        failedEntries.push({
          entryId: request.entries[index]!.entryId,
          error: errorMessage(error),
        });
      }
    }
    return { failedEntries };
  }

  /**
   * Starts delivering the topic's messages to `deliver`. Routing rules are compiled here, so
   * a bad CEL expression fails now, naming the subscription; a topic this app may not
   * subscribe to throws ERR_PUBSUB_FORBIDDEN. A subscription with `bulkSubscribe.enabled`
   * is delivered in batches to `options.deliverBulk` when one is given.
   */
  async subscribe(
    spec: SubscriptionSpec,
    deliver: Deliver,
    options: SubscribeOptions = {},
  ): Promise<SubscriptionHandle> {
    const label = subscriptionLabel(spec);
    if (spec.pubsubName !== this.name) {
      throw subscriptionError(label, `belongs to pubsub ${spec.pubsubName}, not ${this.name}`);
    }
    if (!spec.topic) throw topicEmptyError(this.name);
    if (!this.#scopes.canSubscribe(spec.topic))
      throw forbiddenError(this.name, spec.topic, this.appId);
    let rawPayload: boolean;
    try {
      rawPayload = rawPayloadFlag(spec.metadata);
    } catch (error) {
      throw subscriptionError(label, errorMessage(error));
    }
    const routes = await RouteTable.create(spec);
    if (this.#closing) throw subscriptionError(label, `pubsub ${this.name} is closed`);
    const subscription = new ActiveSubscription(spec, routes, rawPayload, (closed) =>
      this.#subscriptions.delete(closed),
    );
    const { deliverBulk } = options;
    if (spec.bulkSubscribe?.enabled && deliverBulk) {
      subscription.batcher = new BulkBatcher<BatchItem>(
        positiveOr(spec.bulkSubscribe.maxMessagesCount, DEFAULT_BULK_MAX_MESSAGES),
        positiveOr(spec.bulkSubscribe.maxAwaitDurationMs, DEFAULT_BULK_MAX_AWAIT_MS),
        (items) => void this.#deliverBatches(subscription, items, deliverBulk),
      );
    }
    this.#subscriptions.add(subscription);
    try {
      subscription.broker = await this.#broker.subscribe(
        {
          topic: spec.topic,
          consumerGroup: this.consumerGroup,
          metadata: { ...spec.metadata },
          ...(subscription.batcher ? { bulk: bulkHints(subscription.batcher) } : {}),
        },
        async (message) => {
          if (subscription.closed) throw new SubscriptionClosed(`subscription ${label} is closed`);
          const handling = subscription.batcher
            ? this.#handleInBatch(subscription, message)
            : this.#handle(subscription, message, deliver);
          subscription.inFlight.add(handling);
          try {
            if ((await handling) === 'nack') throw new Error(`delivery to ${label} failed`);
          } finally {
            subscription.inFlight.delete(handling);
          }
        },
      );
    } catch (error) {
      this.#subscriptions.delete(subscription);
      throw subscriptionError(label, `the broker refused it: ${errorMessage(error)}`, error);
    }
    return subscription;
  }

  /**
   * Resolves while the broker is reachable; rejects with the broker's reason when it is not.
   * A broker without a health probe (in-process) is always reachable.
   */
  async ping(): Promise<void> {
    await this.#broker.ping?.();
  }

  /** Live subscriptions for the metadata API, in the order they were made. */
  subscriptions(): SubscriptionInfo[] {
    return [...this.#subscriptions].map(({ spec, routes }) => {
      const info: SubscriptionInfo = {
        pubsubname: spec.pubsubName,
        topic: spec.topic,
        metadata: { ...spec.metadata },
        rules: routes.rules,
        type:
          spec.source === 'programmatic'
            ? 'PROGRAMMATIC'
            : spec.source === 'declarative'
              ? 'DECLARATIVE'
              : 'STREAMING',
      };
      if (spec.deadLetterTopic) info.deadLetterTopic = spec.deadLetterTopic;
      return info;
    });
  }

  /** Closes every subscription (waiting for deliveries in progress), then the broker. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(
        [...this.#subscriptions].map((subscription) => subscription.close()),
      );
      await this.#broker.close();
    })();
    return this.#closing;
  }

  #checkPublish(topic: string): void {
    if (!topic) throw topicEmptyError(this.name);
    if (!this.#scopes.canPublish(topic)) throw forbiddenError(this.name, topic, this.appId);
  }

  #ensureOpen(topic: string): void {
    if (this.#closing)
      throw publishError(this.name, topic, new Error(`pubsub ${this.name} is closed`));
  }

  /** Builds the broker message for one publish: the envelope (or raw bytes) and the metadata. */
  #toMessage(request: PublishRequest): BrokerMessage {
    const metadata = { ...request.metadata };
    // Most publishes carry no metadata: then there is nothing to look up, key by key.
    const none = !hasKeys(metadata);
    let rawPayload = false;
    let ttlMs: number | undefined;
    if (!none) {
      try {
        rawPayload = rawPayloadFlag(metadata);
        ttlMs = messageTtlMs(metadata);
      } catch (error) {
        throw requestMetadataError(this.name, errorMessage(error));
      }
    }
    const { topic, data } = request;
    if (rawPayload) {
      const bytes =
        data instanceof Uint8Array
          ? data
          : toBytes(typeof data === 'string' ? data : (JSON.stringify(data) ?? ''));
      return {
        topic,
        data: bytes,
        contentType: request.contentType || defaultContentType(data),
        metadata,
      };
    }
    const expiration =
      ttlMs !== undefined && !this.features.includes('MESSAGE_TTL')
        ? new Date(Date.now() + ttlMs).toISOString()
        : undefined;
    const overrides: CloudEventOverrides = none ? {} : cloudEventOverrides(metadata);
    const traceparent =
      request.traceparent ?? (none ? undefined : metadataValue(metadata, 'traceparent'));
    const tracestate =
      request.tracestate ?? (none ? undefined : metadataValue(metadata, 'tracestate'));
    let event: CloudEventObject;
    try {
      const given = givenCloudEvent(data, request.contentType);
      event = given
        ? completeEnvelope(given, {
            topic,
            pubsubName: this.name,
            expiration,
            traceparent,
            tracestate,
          })
        : createEnvelope({
            topic,
            pubsubName: this.name,
            expiration,
            id: overrides.id,
            source: overrides.source ?? this.appId,
            type: overrides.type,
            subject: overrides.subject,
            traceparent: overrides.traceparent ?? overrides.traceid ?? traceparent,
            tracestate: overrides.tracestate ?? tracestate,
            contentType: request.contentType,
            data,
          });
    } catch (error) {
      throw cloudEventError(this.name, this.appId, error);
    }
    return {
      topic,
      data: serializeEnvelope(event),
      contentType: CLOUDEVENT_CONTENT_TYPE,
      metadata,
    };
  }

  /**
   * What comes before delivery: reading the envelope, expiry and routing. Resolves to the
   * delivery to make, or to the outcome when the message is settled without one.
   */
  async #prepare(
    subscription: ActiveSubscription,
    message: BrokerMessage,
  ): Promise<Prepared | Outcome> {
    const { spec } = subscription;
    const log = { pubsubname: this.name, topic: spec.topic, subscription: subscription.label };
    let event: CloudEventObject;
    let raw: Uint8Array;
    if (subscription.rawPayload) {
      event = wrapRawPayload(message.data, {
        topic: spec.topic,
        pubsubName: this.name,
        metadata: message.metadata,
      });
      raw = serializeEnvelope(event);
    } else {
      try {
        event = parseEnvelope(message.data);
      } catch (error) {
        this.#logger.error(
          { ...log, error: errorMessage(error) },
          `cannot read the CloudEvent of a message on topic ${spec.topic}`,
        );
        return this.#giveUp(subscription, message);
      }
      raw = message.data;
    }
    const eventLog = { ...log, id: event.id };
    if (isExpired(event)) {
      this.#logger.warn(
        { ...eventLog, expiration: event.expiration },
        `dropping expired message ${String(event.id)}`,
      );
      return this.#deadLetterOrAck(subscription, message);
    }
    let path: string | undefined;
    try {
      path = subscription.routes.route(event);
    } catch (error) {
      // A rule that cannot be evaluated fails the same way on every attempt: no retries.
      this.#logger.error(
        { ...eventLog, error: errorMessage(error) },
        `routing rules of ${subscription.label} failed`,
      );
      return this.#giveUp(subscription, message);
    }
    if (path === undefined) {
      this.#logger.warn(
        eventLog,
        `no routing rule of ${subscription.label} matches message ${String(event.id)}; dropping it`,
      );
      return this.#deadLetterOrAck(subscription, message);
    }
    const delivery: Delivery = {
      path,
      event,
      raw,
      contentType: CLOUDEVENT_CONTENT_TYPE,
      topic: spec.topic,
      pubsubName: this.name,
      metadata: { ...message.metadata, pubsubName: this.name },
    };
    return { message, delivery, log: eventLog };
  }

  /** Everything that happens to one message; resolves to whether the broker should get an ack. */
  async #handle(
    subscription: ActiveSubscription,
    message: BrokerMessage,
    deliver: Deliver,
  ): Promise<Outcome> {
    const prepared = await this.#prepare(subscription, message);
    if (typeof prepared === 'string') return prepared;
    const { delivery, log: eventLog } = prepared;
    const { path, event } = delivery;
    // Made at the first retry: most messages succeed at once.
    let nextDelay: (() => number) | undefined;
    for (let attempt = 1; ; attempt++) {
      let status: DeliveryStatus;
      try {
        status = await deliver(delivery);
      } catch (error) {
        this.#logger.warn(
          { ...eventLog, attempt, error: errorMessage(error) },
          `delivery to ${path} failed`,
        );
        status = 'RETRY';
      }
      if (status === 'SUCCESS') return 'ack';
      if (status === 'DROP') {
        this.#logger.warn({ ...eventLog, path }, `the app dropped message ${String(event.id)}`);
        return this.#deadLetterOrAck(subscription, message);
      }
      if (status !== 'RETRY') {
        this.#logger.warn(
          { ...eventLog, status: String(status) },
          `unknown delivery status; retrying`,
        );
      }
      if (attempt >= this.#retry.maxAttempts) {
        this.#logger.error(
          { ...eventLog, attempts: attempt },
          `giving up on message ${String(event.id)} after ${attempt} attempts`,
        );
        return this.#giveUp(subscription, message);
      }
      nextDelay ??= backoffSequence(this.#retry);
      try {
        await sleep(nextDelay(), subscription.abort.signal);
      } catch {
        return 'nack'; // closing: leave the message to the broker
      }
    }
  }

  /** A message of a bulk subscription: prepared now, then settled when its batch has been delivered. */
  async #handleInBatch(subscription: ActiveSubscription, message: BrokerMessage): Promise<Outcome> {
    const prepared = await this.#prepare(subscription, message);
    if (typeof prepared === 'string') return prepared;
    const entry: BulkDeliveryEntry = {
      entryId: randomUUID(),
      event: prepared.delivery.event,
      data: message.data,
      contentType:
        message.contentType ||
        (subscription.rawPayload ? BINARY_CONTENT_TYPE : CLOUDEVENT_CONTENT_TYPE),
      metadata: { ...message.metadata },
    };
    return new Promise<Outcome>((settle) => {
      const item: BatchItem = { ...prepared, entry, settle };
      // A batcher stopped in the meantime means the subscription is closing.
      if (!subscription.batcher?.add(item)) settle('nack');
    });
  }

  /** Delivers one flushed batch: one bulk delivery per path, each with its own retries. */
  async #deliverBatches(
    subscription: ActiveSubscription,
    items: BatchItem[],
    deliverBulk: DeliverBulk,
  ): Promise<void> {
    const byPath = new Map<string, BatchItem[]>();
    for (const item of items) {
      const group = byPath.get(item.delivery.path);
      if (group) group.push(item);
      else byPath.set(item.delivery.path, [item]);
    }
    await Promise.all(
      [...byPath].map(async ([path, group]) => {
        try {
          await this.#deliverBatch(subscription, path, group, deliverBulk);
        } catch (error) {
          // Not expected (deliverBulk's own failures are RETRY); never leave a message unsettled.
          this.#logger.error(
            { pubsubname: this.name, topic: subscription.spec.topic, error: errorMessage(error) },
            `bulk delivery to ${path} failed`,
          );
          for (const item of group) item.settle('nack');
        }
      }),
    );
  }

  /**
   * The bulk counterpart of #handle, as daprd does it: SUCCESS acks an entry, DROP acks it (or
   * dead-letters it), and the entries answered RETRY, left without an answer, or all of them
   * when the call fails are delivered again as a smaller batch after the backoff; entries
   * still failing after the last attempt are dead-lettered or nacked one by one.
   */
  async #deliverBatch(
    subscription: ActiveSubscription,
    path: string,
    items: BatchItem[],
    deliverBulk: DeliverBulk,
  ): Promise<void> {
    const { spec } = subscription;
    const id = randomUUID();
    const log = {
      pubsubname: this.name,
      topic: spec.topic,
      subscription: subscription.label,
      path,
      bulkId: id,
    };
    const nextDelay = backoffSequence(this.#retry);
    let pending = items;
    for (let attempt = 1; ; attempt++) {
      const statuses = new Map<string, unknown>();
      try {
        const answer = await deliverBulk({
          id,
          path,
          topic: spec.topic,
          pubsubName: this.name,
          rawPayload: subscription.rawPayload,
          entries: pending.map((item) => item.entry),
          metadata: { pubsubName: this.name },
        });
        for (const { entryId, status } of answer) statuses.set(entryId, status);
      } catch (error) {
        this.#logger.warn(
          { ...log, attempt, entries: pending.length, error: errorMessage(error) },
          `bulk delivery to ${path} failed`,
        );
      }
      const retry: BatchItem[] = [];
      const settling: Promise<void>[] = [];
      for (const item of pending) {
        const status = statuses.get(item.entry.entryId);
        statuses.delete(item.entry.entryId);
        if (status === 'SUCCESS') item.settle('ack');
        else if (status === 'DROP') {
          this.#logger.warn(
            { ...item.log, path },
            `the app dropped message ${String(item.delivery.event.id)}`,
          );
          settling.push(this.#deadLetterOrAck(subscription, item.message).then(item.settle));
        } else {
          if (status !== undefined && status !== 'RETRY') {
            this.#logger.warn(
              { ...item.log, status: String(status) },
              'unknown delivery status; retrying',
            );
          }
          retry.push(item);
        }
      }
      if (statuses.size > 0) {
        this.#logger.warn(
          { ...log, entryIds: [...statuses.keys()] },
          'the app answered for entries that are not in the batch; ignoring them',
        );
      }
      await Promise.all(settling);
      pending = retry;
      if (pending.length === 0) return;
      if (attempt >= this.#retry.maxAttempts) {
        this.#logger.error(
          { ...log, attempts: attempt, entries: pending.length },
          `giving up on ${pending.length} message(s) after ${attempt} attempts`,
        );
        await Promise.all(
          pending.map((item) => this.#giveUp(subscription, item.message).then(item.settle)),
        );
        return;
      }
      try {
        await sleep(nextDelay(), subscription.abort.signal);
      } catch {
        for (const item of pending) item.settle('nack'); // closing: leave the messages to the broker
        return;
      }
    }
  }

  /** The last word on a message that failed: dead-letter it when the subscription has a topic for that, else nack. */
  async #giveUp(subscription: ActiveSubscription, message: BrokerMessage): Promise<Outcome> {
    if (!subscription.spec.deadLetterTopic) return 'nack';
    return this.#deadLetter(subscription, message);
  }

  async #deadLetterOrAck(
    subscription: ActiveSubscription,
    message: BrokerMessage,
  ): Promise<Outcome> {
    if (!subscription.spec.deadLetterTopic) return 'ack';
    return this.#deadLetter(subscription, message);
  }

  /** Republishes the original bytes to the dead-letter topic; the message then counts as handled. */
  async #deadLetter(subscription: ActiveSubscription, message: BrokerMessage): Promise<Outcome> {
    const topic = subscription.spec.deadLetterTopic!;
    try {
      await this.#broker.publish({ ...message, topic, metadata: { ...message.metadata } });
      return 'ack';
    } catch (error) {
      this.#logger.error(
        {
          pubsubname: this.name,
          topic: subscription.spec.topic,
          deadLetterTopic: topic,
          error: errorMessage(error),
        },
        `cannot publish to dead-letter topic ${topic}`,
      );
      return 'nack';
    }
  }
}

/** The publisher's own CloudEvent, when the request carries one: CloudEvents content type, or an object with `specversion` and no content type. */
function givenCloudEvent(
  data: unknown,
  contentType: string | undefined,
): Record<string, unknown> | undefined {
  if (isCloudEventContentType(contentType)) {
    const value: unknown =
      data instanceof Uint8Array || typeof data === 'string'
        ? JSON.parse(data instanceof Uint8Array ? toText(data) : data)
        : data;
    if (!isPlainObject(value)) throw new TypeError('a CloudEvent must be a JSON object');
    return value;
  }
  if (!contentType && isPlainObject(data) && 'specversion' in data) return data;
  return undefined;
}

function hasKeys(record: Record<string, string>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true;
  return false;
}

/**
 * What a broker learns of a bulk subscription. A flush it asks for waits for the macrotask
 * queue: the messages it just handed over reach the batch after a few promise reactions.
 */
function bulkHints(batcher: BulkBatcher<BatchItem>): NonNullable<SubscribeRequest['bulk']> {
  return { maxMessages: batcher.maxCount, flush: () => void setImmediate(() => batcher.flush()) };
}

/** daprd's defaults for `bulkSubscribe.maxMessagesCount` and `maxAwaitDurationMs`. */
const DEFAULT_BULK_MAX_MESSAGES = 100;
const DEFAULT_BULK_MAX_AWAIT_MS = 1000;

/** A bulk setting as given, or the default when it is absent or not a positive whole number (daprd reads 0 as unset). */
function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
