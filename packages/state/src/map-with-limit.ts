/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping results in input
 * order. A limit of 0 or less means no limit, as Dapr's bulk defaults do.
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const workers = limit > 0 ? Math.min(limit, items.length) : items.length;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
