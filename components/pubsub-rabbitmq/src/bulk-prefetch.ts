/**
 * The prefetch of a subscription. A bulk subscription's messages wait for their batch, so a
 * `prefetchCount` below the batch size would cap every batch and leave it to its time limit:
 * it is raised to the batch size. 0 (no limit) stays 0.
 */
export function bulkPrefetch(prefetchCount: number, bulkMaxMessages: number | undefined): number {
  if (bulkMaxMessages === undefined || prefetchCount === 0) return prefetchCount;
  return Math.max(prefetchCount, bulkMaxMessages);
}
