import { randomUUID } from 'node:crypto';
import { DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand, PutRecordCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { Binding, BindingRequest, BindingResponse, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import { abortablePause } from './abortable-pause.ts';
import { awsClientConfig, requireRegion, type AwsConnectionFields } from './aws-client-config.ts';
import { http1RequestHandler } from './http1-request-handler.ts';
import { ShardReader } from './shard-reader.ts';

export interface KinesisBindingOptions extends AwsConnectionFields {
  streamName: string;
  /** Names this reader in logs (Dapr's KCL application name; no lease table is kept here). */
  consumerName?: string;
  /** `shared` (GetRecords polling). `extended` (enhanced fan-out) is refused. Default `shared`. */
  mode?: string;
  /** Partition key of `create` when the request names none; default a random UUID per record. */
  partitionKey?: string;
  /** Pause between reads of a shard that found nothing new. Default 1000 (as the KCL's idle time). */
  pollIntervalMs?: number;
  /** How often the shard list is read again to find shards made by a split or merge. Default 10000. */
  shardSyncIntervalMs?: number;
  /** Longest pause between attempts after errors or a rejected record. Default 30000. */
  maxRetryDelayMs?: number;
  /** How long `close()` waits for handlers still running. Default 10000. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

function isMissing(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ResourceNotFoundException';
}

/**
 * `bindings.aws.kinesis`: one data stream. Output `create` puts a record (PutRecord). Input
 * reads every shard with GetRecords (Dapr's `shared` mode) from the records written after
 * `read()` began, handing them to the handler in order per shard; a shard's checkpoint moves
 * only after the handler took a record, and a rejected record is offered again before later
 * ones. Shards made by a split or merge are found by listing the shards again, and read from
 * their start once their parents are read to the end.
 *
 * Unlike Dapr's KCL worker, checkpoints live in this process only (no DynamoDB lease table):
 * a restarted reader begins at the newest records, and several readers of one stream each get
 * every record (no shard leases are shared).
 */
export class KinesisBinding implements Binding {
  readonly operations = ['create'] as const;
  readonly #client: KinesisClient;
  readonly #options: KinesisBindingOptions;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  /** Ends this read (close, or a read that failed to start); its readers stop with it. */
  #reading: AbortController | undefined;
  /** Every shard seen, with its reader while one runs (`undefined`: closed before we started). */
  readonly #shards = new Map<string, ShardReader | undefined>();
  #handler: InputBindingHandler | undefined;
  #syncing: Promise<void> | undefined;
  #wakeSync: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  private constructor(client: KinesisClient, options: KinesisBindingOptions) {
    this.#client = client;
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger()).child({ stream: options.streamName, ...(options.consumerName ? { consumer: options.consumerName } : {}) });
  }

  /** Builds the client and checks the settings; the stream is looked up when reading starts, or at the first call. */
  static async create(options: KinesisBindingOptions): Promise<KinesisBinding> {
    const streamName = options.streamName?.trim();
    if (!streamName) throw new Error('metadata field "streamName" is required');
    const mode = options.mode?.trim() || 'shared';
    if (mode === 'extended') {
      throw new Error('metadata field "mode": "extended" (enhanced fan-out, SubscribeToShard) is not supported; use "shared"');
    }
    if (mode !== 'shared') throw new Error(`metadata field "mode" must be "shared" (got ${JSON.stringify(options.mode)})`);
    for (const [name, value] of [
      ['pollIntervalMs', options.pollIntervalMs],
      ['shardSyncIntervalMs', options.shardSyncIntervalMs],
      ['maxRetryDelayMs', options.maxRetryDelayMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be more than 0 (got ${value})`);
    }
    const client = new KinesisClient({ ...awsClientConfig(options), requestHandler: http1RequestHandler() });
    try {
      await requireRegion(() => client.config.region(), 'bindings.aws.kinesis');
    } catch (error) {
      client.destroy();
      throw error;
    }
    return new KinesisBinding(client, { ...options, streamName, mode });
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    if (request.operation !== 'create') throw new Error(`kinesis binding error: unsupported operation ${request.operation}`);
    const partitionKey = request.metadata['partitionKey'] || this.#options.partitionKey || randomUUID();
    try {
      const output = await this.#client.send(new PutRecordCommand({ StreamName: this.#options.streamName, Data: request.data, PartitionKey: partitionKey }));
      return { data: new Uint8Array(0), metadata: { partitionKey, ...(output.ShardId ? { shardId: output.ShardId } : {}), ...(output.SequenceNumber ? { sequenceNumber: output.SequenceNumber } : {}) } };
    } catch (error) {
      throw new Error(`kinesis binding error: cannot put a record on stream ${this.#options.streamName}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Resolves once every open shard has an iterator (records written from now on will arrive). */
  async read(handler: InputBindingHandler): Promise<void> {
    if (this.#closed) throw new Error(`kinesis binding for stream ${this.#options.streamName} is closed`);
    if (this.#handler) throw new Error(`kinesis binding for stream ${this.#options.streamName} is already reading`);
    this.#handler = handler;
    const reading = new AbortController();
    this.#reading = reading;
    try {
      const summary = await this.#client.send(new DescribeStreamSummaryCommand({ StreamName: this.#options.streamName }), { abortSignal: this.#signal });
      const status = summary.StreamDescriptionSummary?.StreamStatus;
      if (status !== 'ACTIVE' && status !== 'UPDATING') throw new Error(`the stream is ${status ?? 'in an unknown state'}, not ACTIVE`);
      const shards = await this.#listShards();
      for (const shard of shards) {
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        // A shard closed before we began holds only records older than our starting point.
        this.#shards.set(shard.ShardId!, closed ? undefined : await this.#openReader(shard.ShardId!, 'LATEST'));
      }
    } catch (error) {
      // Nothing half-started stays behind: a later read() begins afresh.
      reading.abort();
      await Promise.allSettled([...this.#shards.values()].map((reader) => reader?.finished));
      this.#shards.clear();
      this.#handler = undefined;
      this.#reading = undefined;
      throw new Error(`kinesis binding error: cannot read stream ${this.#options.streamName}: ${errorMessage(error)}`, { cause: error });
    }
    this.#syncing = this.#syncShards();
  }

  /** Aborted at close, and when the current read ends. */
  get #signal(): AbortSignal {
    return this.#reading ? AbortSignal.any([this.#stop.signal, this.#reading.signal]) : this.#stop.signal;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stop.abort();
      this.#wakeSync?.();
      const readers = [...this.#shards.values()].filter((reader) => reader !== undefined);
      await Promise.race([
        Promise.allSettled([this.#syncing, ...readers.map((reader) => reader.finished)]),
        new Promise((resolve) => setTimeout(resolve, this.#options.closeTimeoutMs ?? 10_000).unref()),
      ]);
      this.#client.destroy();
    })();
    return this.#closed;
  }

  async #listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const output = await this.#client.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.#options.streamName }), {
        abortSignal: this.#signal,
      });
      shards.push(...(output.Shards ?? []));
      nextToken = output.NextToken;
    } while (nextToken);
    return shards;
  }

  async #openReader(shardId: string, start: 'LATEST' | 'TRIM_HORIZON'): Promise<ShardReader> {
    const reader = await ShardReader.open({
      client: this.#client,
      streamName: this.#options.streamName,
      shardId,
      start,
      handler: this.#handler!,
      signal: this.#signal,
      pollIntervalMs: this.#options.pollIntervalMs ?? 1000,
      maxRetryDelayMs: this.#options.maxRetryDelayMs ?? 30_000,
      logger: this.#logger,
    });
    // A parent read to its end may free its children at once.
    void reader.finished.then((outcome) => {
      if (outcome === 'closed') this.#wakeSync?.();
    });
    return reader;
  }

  /** Finds shards made after reading began; each is read from its start once its parents are done. */
  async #syncShards(): Promise<void> {
    const signal = this.#signal;
    let failures = 0;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        this.#wakeSync = resolve;
        void abortablePause(this.#options.shardSyncIntervalMs ?? 10_000, signal).then(() => resolve());
      });
      if (signal.aborted) break;
      try {
        for (const shard of await this.#listShards()) {
          const id = shard.ShardId!;
          if (this.#shards.has(id)) continue;
          const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((parent): parent is string => Boolean(parent));
          // Per-key order across a reshard: the parent's records first.
          if (parents.some((parent) => this.#shards.get(parent)?.done === false)) continue;
          if (signal.aborted) break;
          this.#logger.info({ shardId: id, parents }, 'bindings.aws.kinesis: reading a new shard');
          this.#shards.set(id, await this.#openReader(id, 'TRIM_HORIZON'));
        }
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        if (failures === 1 || failures % 10 === 0) {
          this.#logger.warn({ error: errorMessage(error), missing: isMissing(error) }, 'bindings.aws.kinesis: listing the shards failed; trying again');
        }
      }
    }
  }
}
