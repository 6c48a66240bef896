import { GetRecordsCommand, GetShardIteratorCommand, type GetRecordsCommandOutput, type KinesisClient, type _Record, type ShardIteratorType } from '@aws-sdk/client-kinesis';
import type { InputBindingEvent, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, type Logger } from '@mecha/core';
import { abortablePause } from './abortable-pause.ts';

export interface ShardReaderOptions {
  client: KinesisClient;
  streamName: string;
  shardId: string;
  /** Where to begin when nothing was handled yet: new records only, or the shard's oldest. */
  start: 'LATEST' | 'TRIM_HORIZON';
  handler: InputBindingHandler;
  signal: AbortSignal;
  /** Pause between reads that found nothing new. */
  pollIntervalMs: number;
  /** Longest pause between attempts after errors or a rejected record (doubling from 1 s). */
  maxRetryDelayMs: number;
  logger: Logger;
}

/** GetRecords is limited to five calls per second per shard, shared by every reader of it. */
const minReadSpacingMs = 200;

function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

function eventOf(record: _Record, shardId: string): InputBindingEvent {
  const metadata: Record<string, string> = { shardId };
  if (record.PartitionKey !== undefined) metadata['partitionKey'] = record.PartitionKey;
  if (record.SequenceNumber !== undefined) metadata['sequenceNumber'] = record.SequenceNumber;
  if (record.ApproximateArrivalTimestamp) metadata['approximateArrivalTimestamp'] = record.ApproximateArrivalTimestamp.toISOString();
  return { data: record.Data ?? new Uint8Array(0), metadata };
}

/**
 * Reads one shard in order with GetRecords, handing each record to the handler and moving its
 * checkpoint (the last handled sequence number, kept in memory) only once the handler
 * resolved. A rejected record is offered again after a pause, before any later record of the
 * shard, until it is taken or the reader stops. An expired iterator is taken again after the
 * checkpoint. `finished` resolves `closed` when a closed shard (after a split or
 * merge) has been read to its end, `stopped` when the signal aborted.
 */
export class ShardReader {
  readonly shardId: string;
  readonly finished: Promise<'closed' | 'stopped'>;
  readonly #options: ShardReaderOptions;
  #checkpoint: string | undefined;
  #done = false;

  readonly #openedAt: Date;

  private constructor(options: ShardReaderOptions, firstIterator: string, openedAt: Date) {
    this.shardId = options.shardId;
    this.#options = options;
    this.#openedAt = openedAt;
    this.finished = this.#run(firstIterator).finally(() => {
      this.#done = true;
    });
  }

  /** Takes the shard's first iterator (so records written from now on are seen), then reads. */
  static async open(options: ShardReaderOptions): Promise<ShardReader> {
    const openedAt = new Date();
    return new ShardReader(options, await ShardReader.#iterator(options, undefined), openedAt);
  }

  get done(): boolean {
    return this.#done;
  }

  static async #iterator(options: ShardReaderOptions, checkpoint: string | undefined, openedAt?: Date): Promise<string> {
    let position: { ShardIteratorType: ShardIteratorType; StartingSequenceNumber?: string; Timestamp?: Date };
    if (checkpoint) position = { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint };
    // Nothing handled yet and the first iterator was lost: from when reading began, not from
    // "now", so records written in between are not skipped (a second early, for clock skew).
    else if (options.start === 'LATEST' && openedAt) position = { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(openedAt.getTime() - 1000) };
    else position = { ShardIteratorType: options.start };
    const output = await options.client.send(new GetShardIteratorCommand({ StreamName: options.streamName, ShardId: options.shardId, ...position }), {
      abortSignal: options.signal,
    });
    if (!output.ShardIterator) throw new Error(`no iterator for shard ${options.shardId}`);
    return output.ShardIterator;
  }

  async #run(firstIterator: string): Promise<'closed' | 'stopped'> {
    const { client, signal, logger, shardId } = this.#options;
    let iterator: string | undefined = firstIterator;
    let failures = 0;
    while (!signal.aborted) {
      let records: _Record[];
      let next: string | undefined;
      let behind: number | undefined;
      try {
        iterator ??= await ShardReader.#iterator(this.#options, this.#checkpoint, this.#openedAt);
        const output: GetRecordsCommandOutput = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), { abortSignal: signal });
        records = output.Records ?? [];
        next = output.NextShardIterator;
        behind = output.MillisBehindLatest;
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        const name = errorName(error);
        // An iterator lives five minutes; a new one after the checkpoint loses nothing. Other
        // failures (the network, throttling) keep the iterator, which stays valid meanwhile.
        if (name === 'ExpiredIteratorException' || name === 'InvalidArgumentException' || name === 'ResourceNotFoundException') {
          iterator = undefined;
          if (name === 'ExpiredIteratorException') continue;
        }
        failures++;
        const delay = Math.min(1000 * 2 ** (failures - 1), this.#options.maxRetryDelayMs);
        logger.warn({ shardId, error: errorMessage(error), retryInMs: delay }, 'bindings.aws.kinesis: reading the shard failed; trying again');
        await abortablePause(delay, signal);
        continue;
      }
      for (const record of records) {
        if (!(await this.#deliver(record))) return 'stopped';
        this.#checkpoint = record.SequenceNumber;
      }
      iterator = next;
      if (!iterator) {
        logger.info({ shardId }, 'bindings.aws.kinesis: the shard is closed and read to its end');
        return 'closed';
      }
      const caughtUp = records.length === 0 || !(behind && behind > 0);
      await abortablePause(caughtUp ? this.#options.pollIntervalMs : minReadSpacingMs, signal);
    }
    return 'stopped';
  }

  /** True once the handler took the record; false when the reader stopped first. */
  async #deliver(record: _Record): Promise<boolean> {
    const { handler, signal, logger, shardId } = this.#options;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return false;
      try {
        await handler(eventOf(record, shardId));
        return true;
      } catch (error) {
        const delay = Math.min(1000 * 2 ** (attempt - 1), this.#options.maxRetryDelayMs);
        logger.warn(
          { shardId, sequenceNumber: record.SequenceNumber, attempt, error: errorMessage(error), retryInMs: delay },
          'bindings.aws.kinesis: the record was not handled; offering it again (later records of the shard wait)',
        );
        if (!(await abortablePause(delay, signal))) return false;
      }
    }
  }
}
