import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import {
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type TransactionOperation,
} from '@mecha/state';
import { describeDynamoError } from './dynamodb-errors.ts';
import { decodeValue, encodeValue } from './stored-value.ts';
import { planTransaction, type PlannedWrite, type Precondition } from '@mecha/state';
import { joinParts, partKey, splitValue } from './value-parts.ts';

export interface DynamoDbStateStoreOptions {
  table: string;
  region?: string;
  endpoint?: string;
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  /** Attribute holding the expiry time in epoch seconds; TTL requests are refused without it. */
  ttlAttributeName?: string;
  /** Default `key`. */
  partitionKey?: string;
  /** Per HTTP request, default 5000 ms. */
  requestTimeoutMs?: number;
  /** Per call, the first attempt included; default 3. */
  maxAttempts?: number;
  logger?: Logger;
  /** A ready client (tests, custom middleware); the connection fields above are then ignored. */
  client?: DynamoDBClient;
}

type Item = Record<string, AttributeValue>;

/** DynamoDB's limit on the operations of one TransactWriteItems call. */
export const maxTransactionItems = 100;
const batchGetLimit = 100;
const batchWriteLimit = 25;
const unprocessedRetries = 8;
const torndownReadRetries = 5;

/**
 * State in one DynamoDB table, item layout as Dapr's: the partition key, `value` (a string, or
 * binary for bytes that are not UTF-8), `etag` (a UUID) and, when `ttlAttributeName` is set, the
 * expiry in epoch seconds. ETags and first-write are conditional writes; an item whose expiry has
 * passed is treated as absent everywhere (reads and conditions), since DynamoDB's TTL sweeper
 * may take a long time to remove it. Transactions are one TransactWriteItems call.
 */
export class DynamoDbStateStore implements StateStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #pk: string;
  readonly #ttl: string | undefined;
  readonly #where: string;
  readonly #logger: Logger;
  readonly #ownsClient: boolean;

  constructor(options: DynamoDbStateStoreOptions) {
    if (!options.table) throw new Error('missing DynamoDB table name (metadata field "table")');
    this.#table = options.table;
    this.#pk = options.partitionKey || 'key';
    this.#ttl = options.ttlAttributeName || undefined;
    this.#logger = options.logger ?? silentLogger();
    this.#where = options.endpoint ? `table ${options.table} at ${options.endpoint}` : `table ${options.table}`;
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? new DynamoDBClient(clientConfig(options));
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#send('read', () =>
        this.#client.send(
          new GetItemCommand({ TableName: this.#table, Key: this.#keyOf(request.key), ConsistentRead: request.consistency === 'strong' }),
        ),
      );
      const item = result.Item;
      if (!item || this.#expired(item)) return undefined;
      const stored = await this.#toStored(request.key, item);
      // Undefined: the parts of this version were removed by a newer write meanwhile; read again.
      if (stored) return stored;
      if (attempt >= torndownReadRetries) throw new Error(`the value of key ${request.key} kept changing while it was read from ${this.#where}`);
    }
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    const keys = [...new Set(requests.map((request) => request.key))];
    const consistent = requests.some((request) => request.consistency === 'strong');
    const found = new Map<string, Item>();
    for (let at = 0; at < keys.length; at += batchGetLimit) {
      for (const item of await this.#batchGet(keys.slice(at, at + batchGetLimit), consistent)) found.set(item[this.#pk]!.S!, item);
    }
    const items = new Map<string, StoredItem | undefined>();
    for (const key of keys) {
      const item = found.get(key);
      if (!item || this.#expired(item)) items.set(key, undefined);
      // A value in parts is read on its own, with the retries of get.
      else items.set(key, item.parts ? await this.get({ key, consistency: consistent ? 'strong' : 'eventual', metadata: {} }) : await this.#toStored(key, item));
    }
    return requests.map((request) => {
      const item = items.get(request.key);
      return item ? { key: request.key, item } : { key: request.key };
    });
  }

  async set(request: StateSetRequest): Promise<void> {
    const { item, extraParts } = this.#itemOf(request);
    await this.#putParts(extraParts);
    const condition = this.#condition(this.#preconditionOf(request));
    try {
      const result = await this.#send('write', () =>
        this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item, ...condition, ReturnValues: 'ALL_OLD' })),
      );
      await this.#deleteParts([result.Attributes]);
    } catch (error) {
      await this.#deleteParts([item]);
      if (isConditionFailure(error)) throw this.#mismatch(request.key, request.etag);
      throw error;
    }
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    const etag = request.etag === undefined || request.etag === '' ? undefined : request.etag;
    const condition = this.#condition(etag === undefined ? { kind: 'none' } : { kind: 'etag', etag });
    try {
      const result = await this.#send('write', () =>
        this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: this.#keyOf(request.key), ...condition, ReturnValues: 'ALL_OLD' })),
      );
      await this.#deleteParts([result.Attributes]);
    } catch (error) {
      if (isConditionFailure(error)) throw this.#mismatch(request.key, etag);
      throw error;
    }
  }

  async transact(operations: TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    const writes = planTransaction(operations);
    if (writes.length > maxTransactionItems) {
      throw new Error(
        `a DynamoDB transaction can change at most ${maxTransactionItems} items; this one changes ${writes.length} keys. Split it into smaller transactions`,
      );
    }
    // Learn which current versions have values in parts, to remove those parts once replaced.
    const previous = (await this.#batchGet(writes.map((write) => write.key), true)).filter((item) => item.parts);
    const built = writes.map((write) => this.#transactItem(write));
    const extraParts = built.flatMap((entry) => entry.extraParts);
    await this.#putParts(extraParts);
    try {
      await this.#send('write', () => this.#client.send(new TransactWriteItemsCommand({ TransactItems: built.map((entry) => entry.item) })));
    } catch (error) {
      await this.#deleteParts(built.map((entry) => entry.put));
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
        if (failed >= 0) {
          const write = writes[failed]!;
          throw this.#mismatch(write.key, write.precondition.kind === 'etag' ? write.precondition.etag : undefined);
        }
        const codes = reasons.map((reason) => reason.Code ?? 'None').join(', ');
        throw new Error(`DynamoDB cancelled the transaction on ${this.#where} (reasons: ${codes}): ${error.message}`, { cause: error });
      }
      throw error;
    }
    await this.#deleteParts(previous);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }

  #transactItem(write: PlannedWrite): { item: TransactWriteItem; extraParts: Item[]; put?: Item } {
    const condition = this.#condition(write.precondition);
    if (!write.upsert) return { item: { Delete: { TableName: this.#table, Key: this.#keyOf(write.key), ...condition } }, extraParts: [] };
    const { item, extraParts } = this.#itemOf(write.upsert);
    return { item: { Put: { TableName: this.#table, Item: item, ...condition } }, extraParts, put: item };
  }

  #preconditionOf(request: StateSetRequest): Precondition {
    if (request.etag !== undefined && request.etag !== '') return { kind: 'etag', etag: request.etag };
    return request.concurrency === 'first-write' ? { kind: 'absent' } : { kind: 'none' };
  }

  /** The condition expression for a precondition; an expired item counts as absent. */
  #condition(precondition: Precondition): {
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Item;
  } {
    if (precondition.kind === 'none') return {};
    const now = { ':now': { N: String(Math.floor(Date.now() / 1000)) } };
    if (precondition.kind === 'absent') {
      if (!this.#ttl) return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': this.#pk } };
      return {
        ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
        ExpressionAttributeNames: { '#pk': this.#pk, '#ttl': this.#ttl },
        ExpressionAttributeValues: now,
      };
    }
    const etag = { ':etag': { S: precondition.etag } };
    if (!this.#ttl) return { ConditionExpression: '#etag = :etag', ExpressionAttributeNames: { '#etag': 'etag' }, ExpressionAttributeValues: etag };
    return {
      ConditionExpression: '#etag = :etag AND (attribute_not_exists(#ttl) OR #ttl > :now)',
      ExpressionAttributeNames: { '#etag': 'etag', '#ttl': this.#ttl },
      ExpressionAttributeValues: { ...etag, ...now },
    };
  }

  #itemOf(request: StateSetRequest): { item: Item; extraParts: Item[] } {
    const etag = randomUUID();
    const ttl = request.ttlInSeconds;
    const expiry: Item = {};
    if (ttl !== undefined && ttl > 0) {
      if (!this.#ttl) {
        throw new Error(`ttlInSeconds needs the metadata field "ttlAttributeName" naming the table's TTL attribute; it is not set for ${this.#where}`);
      }
      // The first whole second at or after now + ttl, so an item never lives less than asked.
      expiry[this.#ttl] = { N: String(Math.ceil((Date.now() + ttl * 1000) / 1000)) };
    }
    const parts = splitValue(request.value);
    if (parts.length === 1) return { item: { ...this.#keyOf(request.key), value: encodeValue(request.value), etag: { S: etag }, ...expiry }, extraParts: [] };
    const item = { ...this.#keyOf(request.key), value: { B: parts[0]! }, etag: { S: etag }, parts: { N: String(parts.length - 1) }, ...expiry };
    const extraParts = parts.slice(1).map((part, index) => ({ ...this.#keyOf(partKey(request.key, etag, index + 1)), value: { B: part }, ...expiry }));
    return { item, extraParts };
  }

  /** Undefined when the item's value is in parts and some part is gone (a newer write replaced it). */
  async #toStored(key: string, item: Item): Promise<StoredItem | undefined> {
    const metadata: Record<string, string> = {};
    const expiry = this.#expiryOf(item);
    if (expiry !== undefined) metadata.ttlExpireTime = new Date(expiry * 1000).toISOString();
    const etag = item.etag?.S;
    const partCount = Number(item.parts?.N ?? 0);
    let value = decodeValue(item.value);
    if (partCount > 0 && etag) {
      const keys = Array.from({ length: partCount }, (_, index) => partKey(key, etag, index + 1));
      const found = new Map((await this.#batchGet(keys, true)).map((part) => [part[this.#pk]!.S!, decodeValue(part.value)]));
      if (found.size !== partCount) return undefined;
      value = joinParts([value, ...keys.map((partName) => found.get(partName)!)]);
    }
    return etag === undefined ? { value, metadata } : { value, etag, metadata };
  }

  #expiryOf(item: Item): number | undefined {
    if (!this.#ttl) return undefined;
    const raw = item[this.#ttl]?.N;
    if (raw === undefined) return undefined;
    const seconds = Number(raw);
    return Number.isFinite(seconds) ? seconds : undefined;
  }

  #expired(item: Item): boolean {
    const expiry = this.#expiryOf(item);
    return expiry !== undefined && expiry * 1000 <= Date.now();
  }

  #keyOf(key: string): Item {
    return { [this.#pk]: { S: key } };
  }

  #mismatch(key: string, etag: string | undefined): EtagMismatchError {
    return new EtagMismatchError(
      etag === undefined
        ? `item with key ${key} already exists and no etag was given`
        : `no current item with key ${key} and etag ${etag}`,
    );
  }

  async #batchGet(keys: string[], consistent: boolean): Promise<Item[]> {
    const items: Item[] = [];
    for (let at = 0; at < keys.length; at += batchGetLimit) {
      let pending: Item[] | undefined = keys.slice(at, at + batchGetLimit).map((key) => this.#keyOf(key));
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > unprocessedRetries) throw new Error(`DynamoDB left ${pending.length} keys unprocessed on ${this.#where} after ${round} tries (throttled?)`);
        if (round > 0) await backoff(round);
        const request: Item[] = pending;
        const result = await this.#send('read', () =>
          this.#client.send(new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: request, ConsistentRead: consistent } } })),
        );
        items.push(...(result.Responses?.[this.#table] ?? []));
        pending = result.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return items;
  }

  async #putParts(parts: Item[]): Promise<void> {
    await this.#batchWrite(parts.map((item) => ({ PutRequest: { Item: item } })));
  }

  /** Removes the extra parts of the given versions; a failure only leaves garbage, so it is logged. */
  async #deleteParts(items: Array<Item | undefined>): Promise<void> {
    const keys: string[] = [];
    for (const item of items) {
      const count = Number(item?.parts?.N ?? 0);
      const etag = item?.etag?.S;
      const key = item?.[this.#pk]?.S;
      if (count > 0 && etag && key) for (let index = 1; index <= count; index++) keys.push(partKey(key, etag, index));
    }
    try {
      await this.#batchWrite(keys.map((key) => ({ DeleteRequest: { Key: this.#keyOf(key) } })));
    } catch (error) {
      this.#logger.warn({ table: this.#table, error: errorMessage(error) }, 'failed to remove the parts of a replaced large value');
    }
  }

  async #batchWrite(requests: Array<{ PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } }>): Promise<void> {
    for (let at = 0; at < requests.length; at += batchWriteLimit) {
      let pending: typeof requests | undefined = requests.slice(at, at + batchWriteLimit);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > unprocessedRetries) throw new Error(`DynamoDB left ${pending.length} writes unprocessed on ${this.#where} after ${round} tries (throttled?)`);
        if (round > 0) await backoff(round);
        const batch: typeof requests = pending;
        const result = await this.#send('write', () => this.#client.send(new BatchWriteItemCommand({ RequestItems: { [this.#table]: batch } })));
        pending = result.UnprocessedItems?.[this.#table] as typeof requests | undefined;
      }
    }
  }

  /** Runs one SDK call and turns transport failures into an error that says where and what. */
  async #send<T>(kind: 'read' | 'write', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isConditionFailure(error) || error instanceof TransactionCanceledException) throw error;
      throw describeDynamoError(error, kind, this.#where);
    }
  }
}

function clientConfig(options: DynamoDbStateStoreOptions): DynamoDBClientConfig {
  const config: DynamoDBClientConfig = {
    region: options.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 3)),
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 5000, connectionTimeout: options.requestTimeoutMs ?? 5000 },
  };
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.accessKey) {
    config.credentials = {
      accessKeyId: options.accessKey,
      secretAccessKey: options.secretKey ?? '',
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    };
  }
  return config;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

function backoff(round: number): Promise<void> {
  const ms = Math.min(1000, 25 * 2 ** round) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
