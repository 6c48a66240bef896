import { parseDuration, type ResiliencyResource } from '@mecha/core';
import type { RetryOptions } from '@mecha/pubsub';

/**
 * The retry policy a Resiliency resource sets for deliveries from one pub/sub
 * (`targets.components.<pubsub>.inbound.retry` naming a policy under `policies.retries`).
 * Undefined when no resource targets it: the pub/sub block then uses its own default.
 *
 * Dapr's policy fields: `policy` (constant | exponential), `duration` (constant interval,
 * default 5s), `maxInterval` (exponential cap, default 60s), `maxRetries` (-1 = no limit).
 * The exponential policy starts at 500 ms and grows by 1.5, as Dapr's does.
 */
export function pubsubInboundRetry(pubsubName: string, resiliencies: readonly ResiliencyResource[]): RetryOptions | undefined {
  for (const resiliency of resiliencies) {
    const target = resiliency.spec.targets?.components?.[pubsubName] as { inbound?: { retry?: string } } | undefined;
    const policyName = target?.inbound?.retry;
    if (!policyName) continue;
    const policy = resiliency.spec.policies?.retries?.[policyName] as Record<string, unknown> | undefined;
    if (!policy) {
      throw new Error(`${resiliency.source.file}: Resiliency ${resiliency.name} targets retry policy "${policyName}", which is not defined under spec.policies.retries`);
    }
    const where = `${resiliency.source.file}: Resiliency ${resiliency.name}, retry policy ${policyName}`;
    const duration = (field: string, fallback: string) => {
      const value = policy[field] ?? fallback;
      try {
        return parseDuration(value as string);
      } catch (error) {
        throw new Error(`${where}: field ${field}: ${(error as Error).message}`);
      }
    };
    const maxRetries = Number(policy['maxRetries'] ?? -1);
    if (!Number.isInteger(maxRetries) || maxRetries < -1) throw new Error(`${where}: field maxRetries must be an integer ≥ -1`);
    const maxAttempts = maxRetries === -1 ? Number.MAX_SAFE_INTEGER : maxRetries + 1;
    if ((policy['policy'] ?? 'constant') === 'exponential') {
      return { initialDelayMs: duration('initialInterval', '500ms'), factor: 1.5, maxDelayMs: duration('maxInterval', '60s'), maxAttempts };
    }
    const interval = duration('duration', '5s');
    return { initialDelayMs: interval, factor: 1, maxDelayMs: interval, maxAttempts };
  }
  return undefined;
}
