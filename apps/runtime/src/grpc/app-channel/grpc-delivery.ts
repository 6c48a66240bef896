import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@mecha/core';
import type { Deliver } from '@mecha/pubsub';
import { deliveryStatusOf } from './delivery-status.ts';
import { isServiceError, type GrpcAppChannel } from './grpc-app-channel.ts';
import { topicEventRequest } from './topic-event-request.ts';

/**
 * Delivers pub/sub events to a gRPC app through OnTopicEvent, reading the answer as daprd
 * does: the response status (SUCCESS, RETRY, DROP; anything else RETRY); an UNIMPLEMENTED
 * error drops the event (the app has no handler and never will); any other error is RETRY.
 */
export function grpcDelivery(channel: GrpcAppChannel, logger: Logger): Deliver {
  return async (delivery) => {
    const request = topicEventRequest(delivery);
    try {
      const response = await channel.onTopicEvent(request, delivery.metadata);
      const status = deliveryStatusOf(response.status);
      if (status === 'RETRY' && response.status !== 'RETRY' && response.status !== 1) {
        logger.warn({ topic: delivery.topic, id: request.id, status: response.status }, 'unknown delivery status from the app: retrying');
      }
      return status;
    } catch (error) {
      if (isServiceError(error) && error.code === grpc.status.UNIMPLEMENTED) {
        logger.warn({ topic: delivery.topic, id: request.id, error: error.details }, 'the app answered UNIMPLEMENTED for an event: dropping it');
        return 'DROP';
      }
      throw error;
    }
  };
}
