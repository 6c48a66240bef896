import * as grpc from '@grpc/grpc-js';
import { errorMessage, type Logger } from '@mecha/core';
import type { BulkDeliveryStatus, Deliver, DeliverBulk, DeliveryStatus } from '@mecha/pubsub';
import { deliveryStatusOf } from './delivery-status.ts';
import { isServiceError, type BulkTopicEventMethod, type GrpcAppChannel } from './grpc-app-channel.ts';
import { bulkRequestEntry, entryAsDelivery, topicEventBulkRequest, type TopicEventBulkRequestEntryMessage } from './topic-event-bulk-request.ts';

function unimplemented(error: unknown): boolean {
  return isServiceError(error) && error.code === grpc.status.UNIMPLEMENTED;
}

/**
 * Delivers a batch to a gRPC app. Like daprd, it calls AppCallback.OnBulkTopicEvent and,
 * when the app answers UNIMPLEMENTED, AppCallbackAlpha.OnBulkTopicEventAlpha1 (what older
 * SDKs serve); the per-entry statuses are read as OnTopicEvent's (unset is SUCCESS; an entry
 * without a status is retried by the block). Any other error retries the whole batch.
 *
 * When the app implements neither, daprd drops every event of the batch. Mecha delivers
 * them one at a time through OnTopicEvent instead (`deliverOne`), so an app that asked for
 * batches but takes only single events loses nothing. What the app serves is learnt once
 * per connection, so later batches go straight to the method that works.
 */
export function grpcBulkDelivery(channel: GrpcAppChannel, deliverOne: Deliver, logger: Logger): DeliverBulk {
  let method: BulkTopicEventMethod | 'OnTopicEvent' = 'OnBulkTopicEvent';
  return async (delivery) => {
    const statuses: BulkDeliveryStatus[] = [];
    const entries: TopicEventBulkRequestEntryMessage[] = [];
    for (const entry of delivery.entries) {
      try {
        entries.push(bulkRequestEntry(delivery, entry));
      } catch (error) {
        logger.warn({ topic: delivery.topic, id: entry.event.id, error: errorMessage(error) }, 'cannot build the bulk entry for an event: retrying it');
        statuses.push({ entryId: entry.entryId, status: 'RETRY' });
      }
    }
    if (entries.length === 0) return statuses;
    while (method !== 'OnTopicEvent') {
      const tried: BulkTopicEventMethod = method;
      try {
        const response = await channel.onBulkTopicEvent(tried, topicEventBulkRequest(delivery, entries), delivery.metadata);
        for (const answer of response.statuses ?? []) {
          statuses.push({ entryId: answer.entry_id, status: answerStatus(answer.status) });
        }
        return statuses;
      } catch (error) {
        if (!unimplemented(error)) throw error;
        if (method !== tried) continue; // another batch learnt it meanwhile
        method = tried === 'OnBulkTopicEvent' ? 'OnBulkTopicEventAlpha1' : 'OnTopicEvent';
        if (method === 'OnTopicEvent') {
          logger.warn({ topic: delivery.topic }, 'the app implements neither OnBulkTopicEvent nor OnBulkTopicEventAlpha1: delivering its bulk subscriptions one event at a time (OnTopicEvent)');
        }
      }
    }
    const sendable = new Set(entries.map((entry) => entry.entry_id));
    const singles = delivery.entries.filter((entry) => sendable.has(entry.entryId));
    await Promise.all(
      singles.map(async (entry) => {
        let status: DeliveryStatus;
        try {
          status = await deliverOne(entryAsDelivery(delivery, entry));
        } catch (error) {
          logger.warn({ topic: delivery.topic, id: entry.event.id, error: errorMessage(error) }, 'delivery of an event of a batch failed: retrying it');
          status = 'RETRY';
        }
        statuses.push({ entryId: entry.entryId, status });
      }),
    );
    return statuses;
  };
}

/** A status name the protocol defines as itself; anything else is passed on as given, so the block retries (and logs) it. */
function answerStatus(status: string | number | null | undefined): DeliveryStatus {
  const known = deliveryStatusOf(status);
  if (known !== 'RETRY' || status === 'RETRY' || status === 1) return known;
  return String(status) as DeliveryStatus;
}
