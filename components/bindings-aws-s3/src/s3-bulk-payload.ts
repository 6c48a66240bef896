/** The JSON bodies of the bulk operations, as Dapr's bindings.aws.s3 reads them, checked. */

export const defaultBulkConcurrency = 10;

export interface BulkGetItem {
  key: string;
  filePath?: string;
}

export interface BulkCreateItem {
  key: string;
  data?: string;
  contentType?: string;
  filePath?: string;
}

/** One line of a bulk answer; Dapr leaves out empty fields. */
export interface BulkItemResult {
  key: string;
  data?: string;
  location?: string;
  error?: string;
}

function parseObject(data: Uint8Array, operation: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (error) {
    throw new Error(`s3 binding error: invalid ${operation} payload: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`s3 binding error: invalid ${operation} payload: expected a JSON object`);
  return value as Record<string, unknown>;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`s3 binding error: ${what} must be a string`);
  return value;
}

function concurrencyOf(body: Record<string, unknown>): number {
  const value = body['concurrency'];
  if (value === undefined || value === null) return defaultBulkConcurrency;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`s3 binding error: concurrency must be greater than 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

function itemsOf(body: Record<string, unknown>, operation: string): Record<string, unknown>[] {
  const items = body['items'];
  if (items !== undefined && !Array.isArray(items)) throw new Error(`s3 binding error: invalid ${operation} payload: items must be an array`);
  if (!items || items.length === 0) throw new Error(`s3 binding error: ${operation} requires at least one item`);
  return items.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`s3 binding error: invalid ${operation} payload: items[${index}] must be an object`);
    return item as Record<string, unknown>;
  });
}

export function parseBulkGet(data: Uint8Array): { items: BulkGetItem[]; concurrency: number } {
  const body = parseObject(data, 'bulkGet');
  const items = itemsOf(body, 'bulkGet').map((item, i) => {
    const filePath = optionalString(item['filePath'], `items[${i}].filePath`);
    return { key: optionalString(item['key'], `items[${i}].key`) ?? '', ...(filePath !== undefined ? { filePath } : {}) };
  });
  return { items, concurrency: concurrencyOf(body) };
}

export function parseBulkCreate(data: Uint8Array): { items: BulkCreateItem[]; concurrency: number } {
  const body = parseObject(data, 'bulkCreate');
  const items = itemsOf(body, 'bulkCreate').map((item, i) => {
    const result: BulkCreateItem = { key: optionalString(item['key'], `items[${i}].key`) ?? '' };
    const itemData = optionalString(item['data'], `items[${i}].data`);
    const contentType = optionalString(item['contentType'], `items[${i}].contentType`);
    const filePath = optionalString(item['filePath'], `items[${i}].filePath`);
    if (itemData !== undefined) result.data = itemData;
    if (contentType !== undefined) result.contentType = contentType;
    if (filePath !== undefined) result.filePath = filePath;
    return result;
  });
  return { items, concurrency: concurrencyOf(body) };
}

export function parseBulkDelete(data: Uint8Array): { keys: string[] } {
  const body = parseObject(data, 'bulkDelete');
  const keys = body['keys'];
  if (keys !== undefined && !Array.isArray(keys)) throw new Error('s3 binding error: invalid bulkDelete payload: keys must be an array');
  if (!keys || keys.length === 0) throw new Error('s3 binding error: bulkDelete requires at least one key');
  return { keys: keys.map((key, i) => optionalString(key, `keys[${i}]`) ?? '') };
}

/** Runs `work` on every item with at most `concurrency` at once; results keep the items' order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
