import type { DeliveryStatus } from '@mecha/pubsub';

/**
 * A `TopicEventResponse.status` as the block's delivery status. Unset is SUCCESS (protobuf's
 * zero value); a value the protocol does not define is RETRY, as daprd treats it.
 */
export function deliveryStatusOf(status: string | number | null | undefined): DeliveryStatus {
  if (status === undefined || status === null || status === 'SUCCESS' || status === 0) return 'SUCCESS';
  if (status === 'DROP' || status === 2) return 'DROP';
  return 'RETRY';
}
