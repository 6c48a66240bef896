import type { RetryOptions } from '@mecha/bindings';
import type { ResiliencyResource } from '@mecha/core';
import { pubsubInboundRetry } from './pubsub-inbound-retry.ts';

/**
 * The retry policy a Resiliency resource sets for events from one input binding
 * (`targets.components.<binding>.inbound.retry`): read exactly as for a pub/sub, whose policy
 * shape the bindings block shares. Undefined when no resource targets it.
 */
export function bindingInboundRetry(bindingName: string, resiliencies: readonly ResiliencyResource[]): RetryOptions | undefined {
  return pubsubInboundRetry(bindingName, resiliencies);
}
