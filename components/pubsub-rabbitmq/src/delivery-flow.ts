import type { ConcurrencyMode } from './broker-options.ts';

/**
 * How many messages RabbitMQ may hand a subscription, and whether they go to the handler one by
 * one. A bulk subscription's messages wait for their batch, so a prefetch below the batch size
 * would cap every batch and leave it to its time limit: the prefetch is raised to the batch
 * size, and `single` becomes "one batch at a time" (parallel handling of a prefetch of exactly
 * one batch, handed over in queue order).
 */
export function deliveryFlow(
  prefetchCount: number,
  concurrency: ConcurrencyMode,
  bulkMaxMessages: number | undefined,
): { prefetchCount: number; concurrency: ConcurrencyMode } {
  if (bulkMaxMessages === undefined) return { prefetchCount, concurrency };
  if (concurrency === 'single') return { prefetchCount: bulkMaxMessages, concurrency: 'parallel' };
  return { prefetchCount: prefetchCount > 0 ? Math.max(prefetchCount, bulkMaxMessages) : 0, concurrency };
}
