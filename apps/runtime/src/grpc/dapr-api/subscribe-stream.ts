import * as grpc from '@grpc/grpc-js';
import { errorMessage, MechaError, type Logger } from '@mecha/core';
import type { Deliver, DeliveryStatus, SubscriptionHandle } from '@mecha/pubsub';
import type { BlockServices } from '../../block-services.ts';
import { deliveryStatusOf } from '../app-channel/delivery-status.ts';
import { topicEventRequest, type TopicEventRequestMessage } from '../app-channel/topic-event-request.ts';
import { GrpcStatusError, toGrpcError } from '../grpc-status.ts';
import type { DaprHandlers } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

/** `SubscribeTopicEventsRequestAlpha1` in the proto loader's object form (one of the two is set). */
interface StreamRequest {
  initial_request: { pubsub_name: string; topic: string; metadata: Record<string, string>; dead_letter_topic?: string | null } | null;
  event_processed: { id: string; status: { status: string | number } | null } | null;
}

type StreamResponse = { initial_response: Record<string, never> } | { event_message: TopicEventRequestMessage };

type Call = grpc.ServerDuplexStream<StreamRequest, StreamResponse>;

/** daprd answers protocol mistakes on this stream with plain errors, which gRPC reports as UNKNOWN. */
const protocolError = (details: string): Partial<grpc.StatusObject> => ({ code: grpc.status.UNKNOWN, details });

/** The route daprd gives every streaming subscription; the client receives every event of the topic. */
const streamRoute = '/';

interface Waiter {
  resolve(status: DeliveryStatus): void;
  reject(error: Error): void;
}

/**
 * One `SubscribeTopicEventsAlpha1` stream: the client's initial request becomes a
 * subscription on the pub/sub block (source `streaming`, so the metadata API lists it as
 * STREAMING); each event is written to the stream and its delivery waits for the client's
 * `event_processed` with the same id, so RETRY goes through the block's retries and
 * dead-letter handling like any other subscription. The subscription ends with the stream.
 */
class TopicEventStream {
  readonly #call: Call;
  readonly #services: BlockServices;
  readonly #logger: Logger;
  readonly #waiters = new Map<string, Waiter[]>();
  #started = false;
  #closed = false;
  #handle: SubscriptionHandle | undefined;
  #label = '';
  #open!: () => void;
  readonly #opened = new Promise<void>((resolve) => (this.#open = resolve));
  readonly #onClosed: () => void;

  constructor(call: Call, services: BlockServices, logger: Logger, onClosed: () => void) {
    this.#call = call;
    this.#services = services;
    this.#logger = logger;
    this.#onClosed = onClosed;
    call.on('data', (message: StreamRequest) => this.#receive(message));
    // The client half-closed: it unsubscribes, and the stream ends cleanly.
    call.on('end', () => void this.#close().then(() => this.#endQuietly()));
    call.on('cancelled', () => void this.#close());
    call.on('error', () => void this.#close());
  }

  /** Ends the stream with an error status, for example when the sidecar shuts down. */
  fail(status: Partial<grpc.StatusObject>): Promise<void> {
    if (!this.#closed) this.#call.emit('error', status);
    return this.#close();
  }

  #receive(message: StreamRequest): void {
    if (this.#closed) return;
    if (!this.#started) {
      this.#started = true;
      if (!message.initial_request) return void this.fail(protocolError('initial request is required'));
      this.#subscribe(message.initial_request).catch((error: unknown) => void this.fail(toGrpcError(error)));
      return;
    }
    if (message.initial_request) return void this.fail(protocolError('duplicate initial request received'));
    const processed = message.event_processed;
    if (!processed) return;
    const waiting = this.#waiters.get(processed.id);
    const waiter = waiting?.shift();
    if (!waiter) {
      this.#logger.warn({ subscription: this.#label, id: processed.id }, 'event_processed for an event this stream is not waiting for: ignored');
      return;
    }
    if (waiting!.length === 0) this.#waiters.delete(processed.id);
    waiter.resolve(deliveryStatusOf(processed.status?.status));
  }

  async #subscribe(initial: NonNullable<StreamRequest['initial_request']>): Promise<void> {
    const { pubsub_name: pubsubName, topic } = initial;
    if (!pubsubName) throw new GrpcStatusError(protocolError('pubsubName is required'));
    if (!topic) throw new GrpcStatusError(protocolError('topic is required'));
    const pubsub = this.#services.pubsub.get(pubsubName);
    if (!pubsub) {
      // daprd answers ERR_PUBSUB_NOT_FOUND (INVALID_ARGUMENT over gRPC) whether or not any pub/sub is configured.
      throw new MechaError('ERR_PUBSUB_NOT_FOUND', 'not-found', `pubsub ${pubsubName} is not found`, { reason: 'DAPR_PUBSUB_NOT_FOUND' });
    }
    this.#label = `${pubsubName}/${topic}`;
    const handle = await pubsub.subscribe(
      {
        pubsubName,
        topic,
        routes: { rules: [], default: streamRoute },
        metadata: { ...(initial.metadata ?? {}) },
        ...(initial.dead_letter_topic ? { deadLetterTopic: initial.dead_letter_topic } : {}),
        source: 'streaming',
      },
      this.#deliver,
    );
    if (this.#closed) {
      await handle.close();
      return;
    }
    this.#handle = handle;
    this.#call.write({ initial_response: {} });
    this.#open();
    this.#logger.info({ pubsub: pubsubName, topic }, 'streaming subscription opened');
  }

  readonly #deliver: Deliver = async (delivery) => {
    await this.#opened;
    if (this.#closed) throw new Error(`the stream of ${this.#label} is closed`);
    const request = topicEventRequest(delivery);
    const answer = new Promise<DeliveryStatus>((resolve, reject) => {
      const list = this.#waiters.get(request.id) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(request.id, list);
    });
    this.#call.write({ event_message: request });
    return answer;
  };

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClosed();
    this.#open();
    const gone = new Error(`the stream of ${this.#label || 'a streaming subscription'} closed`);
    for (const list of this.#waiters.values()) for (const waiter of list) waiter.reject(gone);
    this.#waiters.clear();
    const handle = this.#handle;
    this.#handle = undefined;
    try {
      await handle?.close();
      if (handle) this.#logger.info({ subscription: this.#label }, 'streaming subscription closed');
    } catch (error) {
      this.#logger.warn({ subscription: this.#label, error: errorMessage(error) }, 'closing a streaming subscription failed');
    }
  }

  #endQuietly(): void {
    try {
      this.#call.end();
    } catch {
      // Already ended by the transport.
    }
  }
}

/** The open streams of each sidecar (keyed by its BlockServices), so shutdown can end them. */
const openStreams = new WeakMap<BlockServices, Set<TopicEventStream>>();

/** Ends every streaming subscription of a sidecar with UNAVAILABLE (the client may reconnect elsewhere) and waits for them to close. */
export async function closeSubscriptionStreams(services: BlockServices): Promise<void> {
  const streams = [...(openStreams.get(services) ?? [])];
  await Promise.all(streams.map((stream) => stream.fail({ code: grpc.status.UNAVAILABLE, details: 'the sidecar is shutting down' })));
}

/** SubscribeTopicEventsAlpha1: streaming subscriptions. */
export function subscribeStreamHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;
  const logger = context.logger.child({ scope: 'mechad.pubsub.streaming' });
  let streams = openStreams.get(services);
  if (!streams) openStreams.set(services, (streams = new Set()));
  const live = streams;
  return {
    SubscribeTopicEventsAlpha1: ((call: Call) => {
      const stream: TopicEventStream = new TopicEventStream(call, services, logger, () => live.delete(stream));
      live.add(stream);
    }) as grpc.UntypedHandleCall,
  };
}
