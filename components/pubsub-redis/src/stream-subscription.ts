import { errorMessage, type Logger } from '@mecha/core';
import type { BrokerMessage, BrokerSubscription, MessageHandler } from '@mecha/pubsub';
import { AckBatch } from './ack-batch.ts';
import type { ConcurrencyLimit } from './concurrency-limit.ts';
import { send, type CommandArgument } from './redis-command.ts';
import type { RedisClient } from './redis-connection.ts';
import { isBusyGroup, isNoGroup } from './redis-reply-errors.ts';
import { decodeEntry, parseEntries, parseReadReply, type StreamEntry } from './stream-entry.ts';
import { CLAIM_OWN, FORGET_IF_IDLE, RELEASE_OWN } from './stream-scripts.ts';

/** How a subscription consumes; see the metadata fields of the same names. */
export interface ConsumerSettings {
  /** Most messages held at once (read and not yet acknowledged), and the COUNT of a read. */
  queueDepth: number;
  /** Idle time after which a pending entry of any consumer is claimed; 0: never. */
  processingTimeoutMs: number;
  /** How often to look for such entries; 0: never. */
  redeliverIntervalMs: number;
  /** First wait before a rejected message is delivered again (doubled per rejection). */
  nackRedeliverDelayMs: number;
  /** How long one XREADGROUP blocks waiting for new entries. */
  blockMs: number;
  /** How long close() waits for handlers in progress before leaving their messages to others. */
  closeTimeoutMs: number;
  /** A consumer of the group with nothing pending and idle this long is deleted. */
  idleConsumerExpiryMs: number;
}

export interface StreamSubscriptionOptions {
  stream: string;
  group: string;
  consumer: string;
  /** Shared connection for everything but the blocking read. */
  commands: RedisClient;
  /** This subscription's own connection, for XREADGROUP BLOCK. */
  reader: RedisClient;
  handler: MessageHandler;
  limit: ConcurrencyLimit;
  settings: ConsumerSettings;
  logger: Logger;
  onClosed: () => void;
}

/** A message this subscription holds: being handled, acknowledged, or waiting to be redelivered. */
interface Held {
  /** Rejections so far, for the redelivery backoff. */
  rejections: number;
  timer?: NodeJS.Timeout;
}

const ABANDONED = Symbol('abandoned');

/**
 * One consumer of a consumer group on one stream. New entries come from a blocking
 * XREADGROUP on a connection of its own; entries that stayed pending too long (a consumer
 * died, a reply was lost) come from XAUTOCLAIM every `redeliverIntervalMs`. Each message is
 * acknowledged only once the handler resolved; a rejected one is taken back (if still ours)
 * and handed to the handler again after a growing delay. A group Redis forgot (NOGROUP) is
 * created again and reading goes on.
 */
export class StreamSubscription implements BrokerSubscription {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly #commands: RedisClient;
  readonly #reader: RedisClient;
  readonly #handler: MessageHandler;
  readonly #limit: ConcurrencyLimit;
  readonly #settings: ConsumerSettings;
  readonly #logger: Logger;
  readonly #onClosed: () => void;
  readonly #held = new Map<string, Held>();
  readonly #acks: AckBatch;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #roomWaiter: (() => void) | undefined;
  #readLoop: Promise<void> | undefined;
  #reclaimTimer: NodeJS.Timeout | undefined;
  #reclaiming: Promise<void> | undefined;
  /** One per handler in progress: ends its wait when close() gives up on it. */
  readonly #abandoners = new Set<() => void>();
  #gaveUp = false;
  #closing: Promise<void> | undefined;

  constructor(options: StreamSubscriptionOptions) {
    this.stream = options.stream;
    this.group = options.group;
    this.consumer = options.consumer;
    this.#commands = options.commands;
    this.#reader = options.reader;
    this.#handler = options.handler;
    this.#limit = options.limit;
    this.#settings = options.settings;
    this.#logger = options.logger.child({ topic: options.stream, consumerGroup: options.group, consumer: options.consumer });
    this.#onClosed = options.onClosed;
    this.#acks = new AckBatch((ids) => this.#commands.xack(this.stream, this.group, ...ids));
  }

  get #closed(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Joins the group (creating stream and group when missing) and starts consuming. */
  async start(): Promise<void> {
    await this.#ensureGroup();
    if (this.#reader.status === 'wait') await this.#reader.connect();
    if (this.#closed) return; // the broker closed while this subscription was starting
    this.#readLoop = this.#read();
    const { processingTimeoutMs, redeliverIntervalMs } = this.#settings;
    if (processingTimeoutMs > 0 && redeliverIntervalMs > 0) {
      // At once as well: a subscriber that starts takes over what a dead one left pending.
      this.#startReclaim();
      this.#reclaimTimer = setInterval(() => this.#startReclaim(), redeliverIntervalMs);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#reclaimTimer);
    for (const held of this.#held.values()) clearTimeout(held.timer);
    this.#roomWaiter?.();
    // Ends a blocking read at once; whatever it had been given stays pending and is released below.
    this.#reader.disconnect();
    await this.#readLoop;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#gaveUp = true;
        for (const abandon of this.#abandoners) abandon();
        resolve();
      }, this.#settings.closeTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlight, this.#reclaiming]), gaveUp]);
    clearTimeout(timer);
    if (this.#gaveUp) {
      this.#logger.warn(
        { unsettled: this.#inFlight.size },
        `closing the subscription to ${this.stream} without waiting any longer for ${this.#inFlight.size} handler(s); their messages go to the group's other subscribers`,
      );
    }
    await this.#release();
    this.#onClosed();
  }

  /** Hands what this consumer still owns to the rest of the group, and leaves it if it owns nothing. */
  async #release(): Promise<void> {
    const idle = Math.max(this.#settings.processingTimeoutMs, 1) + 1;
    try {
      const released = Number(await send(this.#commands, 'EVAL', [RELEASE_OWN, 1, this.stream, this.group, this.consumer, idle, 100_000]));
      if (released > 0) this.#logger.debug({ released }, `released ${released} unacknowledged message(s) to the group`);
    } catch (error) {
      if (isNoGroup(error)) return;
      this.#logger.warn(
        { error: errorMessage(error) },
        `could not release this subscription's unacknowledged messages; the group claims them after processingTimeout`,
      );
    }
  }

  async #ensureGroup(): Promise<boolean> {
    try {
      // From the start of the stream, as daprd does: a new group gets what is already there.
      await send(this.#commands, 'XGROUP', ['CREATE', this.stream, this.group, '0', 'MKSTREAM']);
      return true;
    } catch (error) {
      if (isBusyGroup(error)) return false;
      throw error;
    }
  }

  /** After NOGROUP: the stream and its groups were deleted, or Redis restarted without its data. */
  async #recreateGroup(): Promise<void> {
    try {
      if (await this.#ensureGroup()) {
        this.#logger.warn(
          `consumer group ${this.group} of stream ${this.stream} was gone (Redis lost its data, or the stream was deleted); created it again`,
        );
      }
    } catch (error) {
      this.#logger.warn({ error: errorMessage(error) }, `cannot create consumer group ${this.group} again yet`);
    }
  }

  /**
   * The read loop. It starts, and starts again after any failure, by reading this consumer's
   * own pending entries (ID 0): a reply lost with a dropped connection leaves entries
   * assigned to us that we never saw. Then it blocks for new ones (ID `>`).
   */
  async #read(): Promise<void> {
    let history = true;
    let cursor = '0';
    let failures = 0;
    while (!this.#closed) {
      await this.#waitForRoom();
      if (this.#closed) break;
      const count = this.#settings.queueDepth - this.#held.size;
      let entries: StreamEntry[];
      try {
        const args: CommandArgument[] = ['GROUP', this.group, this.consumer, 'COUNT', count];
        if (!history) args.push('BLOCK', this.#settings.blockMs);
        args.push('STREAMS', this.stream, history ? cursor : '>');
        entries = parseReadReply(await send(this.#reader, 'XREADGROUP', args, true));
        if (failures > 0) this.#logger.info(`reading stream ${this.stream} again`);
        failures = 0;
      } catch (error) {
        if (this.#closed) break;
        history = true;
        cursor = '0';
        if (isNoGroup(error)) {
          await this.#recreateGroup();
        } else if (failures === 0) {
          this.#logger.warn({ error: errorMessage(error) }, `reading stream ${this.stream} failed; trying again until Redis answers`);
        }
        failures += 1;
        await this.#sleep(Math.min(1000, 20 * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (history) {
        if (entries.length === 0) {
          history = false;
          continue;
        }
        cursor = entries[entries.length - 1]!.id;
      }
      for (const entry of entries) this.#accept(entry);
    }
  }

  #startReclaim(): void {
    if (this.#reclaiming || this.#closed) return;
    this.#reclaiming = this.#reclaim().finally(() => {
      this.#reclaiming = undefined;
    });
  }

  /** Claims entries pending longer than processingTimeout, whichever consumer had them. */
  async #reclaim(): Promise<void> {
    try {
      let cursor = '0-0';
      do {
        const room = this.#settings.queueDepth - this.#held.size;
        if (room <= 0 || this.#closed) return;
        const reply = await send(
          this.#commands,
          'XAUTOCLAIM',
          [this.stream, this.group, this.consumer, this.#settings.processingTimeoutMs, cursor, 'COUNT', room],
          true,
        );
        if (!Array.isArray(reply)) return;
        cursor = Buffer.isBuffer(reply[0]) ? reply[0].toString('utf8') : String(reply[0]);
        const entries = parseEntries(reply[1]);
        if (entries.length > 0) this.#logger.debug({ claimed: entries.length }, `claimed ${entries.length} pending message(s)`);
        // Entries we hold were claimed back to us, which only restarts their idle time.
        for (const entry of entries) this.#accept(entry);
      } while (cursor !== '0-0');
      await this.#expireIdleConsumers();
    } catch (error) {
      if (this.#closed) return;
      if (isNoGroup(error)) await this.#recreateGroup();
      else this.#logger.debug({ error: errorMessage(error) }, 'claiming pending messages failed; trying again next interval');
    }
  }

  /** Deletes consumers that own nothing and have not read for a long time (dead processes). */
  async #expireIdleConsumers(): Promise<void> {
    const reply = await send(this.#commands, 'XINFO', ['CONSUMERS', this.stream, this.group]);
    if (!Array.isArray(reply)) return;
    for (const item of reply) {
      if (!Array.isArray(item)) continue;
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < item.length; i += 2) info.set(String(item[i]), item[i + 1]);
      const name = String(info.get('name'));
      if (name === this.consumer || Number(info.get('pending')) > 0) continue;
      if (Number(info.get('idle')) < this.#settings.idleConsumerExpiryMs) continue;
      if (Number(await send(this.#commands, 'EVAL', [FORGET_IF_IDLE, 1, this.stream, this.group, name])) === 1) {
        this.#logger.debug({ deleted: name }, `deleted idle consumer ${name}`);
      }
    }
  }

  /** A message read or claimed: delivered unless we hold it already. */
  #accept(entry: StreamEntry): void {
    if (this.#held.has(entry.id)) return;
    if (this.#closed) return; // stays pending; released on close
    if (entry.fields === null) {
      // Trimmed (maxLenApprox, streamTTL) or deleted before anyone acknowledged it: nothing to deliver.
      this.#logger.warn({ id: entry.id }, `message ${entry.id} of ${this.stream} was deleted before it was acknowledged`);
      void this.#commands.xack(this.stream, this.group, entry.id).catch(() => undefined);
      return;
    }
    const held: Held = { rejections: 0 };
    this.#held.set(entry.id, held);
    this.#deliver(entry.id, entry.fields, held);
  }

  #deliver(id: string, fields: Map<string, Buffer>, held: Held): void {
    const { message, metadataProblem } = decodeEntry(this.stream, fields);
    if (metadataProblem) {
      this.#logger.warn({ id, error: metadataProblem }, `cannot read the metadata of message ${id}; delivering it without`);
    }
    const running = this.#handle(id, message, held);
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  async #handle(id: string, message: BrokerMessage, held: Held): Promise<void> {
    const release = await this.#limit.acquire();
    let outcome: boolean | typeof ABANDONED;
    let handled: Promise<boolean>;
    try {
      if (this.#closed) return; // not started: left pending, released on close
      handled = Promise.resolve()
        .then(() => this.#handler(message))
        .then(
          () => true,
          (error: unknown) => {
            this.#logger.debug({ id, error: errorMessage(error) }, `message ${id} was rejected`);
            return false;
          },
        );
      // A promise per message (not one shared by all), so nothing piles up on a long-lived subscription.
      let abandon!: () => void;
      const abandoned = new Promise<typeof ABANDONED>((resolve) => {
        abandon = () => resolve(ABANDONED);
      });
      this.#abandoners.add(abandon);
      try {
        outcome = await Promise.race([handled, abandoned]);
      } finally {
        this.#abandoners.delete(abandon);
      }
    } finally {
      release();
    }
    if (outcome === ABANDONED) {
      // close() stopped waiting and released the message; a late success still saves a duplicate.
      void handled.then((ok) => (ok ? this.#commands.xack(this.stream, this.group, id) : undefined)).catch(() => undefined);
      return;
    }
    if (outcome) await this.#acknowledge(id);
    else this.#rejected(id, held);
  }

  /**
   * XACK (with the others due at the same time), tried again until it succeeds: a lost
   * acknowledgement would only cause a duplicate, but while the entry is held nothing else
   * delivers it.
   */
  async #acknowledge(id: string): Promise<void> {
    for (let failures = 0; ; failures++) {
      try {
        await this.#acks.ack(id);
        break;
      } catch (error) {
        if (isNoGroup(error)) break; // the group went with its pending list: nothing left to acknowledge
        if (this.#gaveUp) return; // left pending: the group redelivers it
        if (failures === 0) this.#logger.warn({ id, error: errorMessage(error) }, `acknowledging message ${id} failed; trying again`);
        await pause(Math.min(1000, 20 * 2 ** Math.min(failures, 6)));
      }
    }
    this.#forget(id);
  }

  #rejected(id: string, held: Held): void {
    if (this.#closed) return; // stays pending; released on close
    held.rejections += 1;
    const base = this.#settings.nackRedeliverDelayMs;
    const cap = Math.max(base, this.#settings.processingTimeoutMs);
    const delay = Math.min(cap, base * 2 ** Math.min(held.rejections - 1, 20));
    held.timer = setTimeout(() => void this.#redeliver(id, held, delay), delay);
  }

  /** Takes a rejected message back, if this consumer still owns it, and delivers it again. */
  async #redeliver(id: string, held: Held, delay: number): Promise<void> {
    held.timer = undefined;
    if (this.#closed || this.#held.get(id) !== held) return;
    let entries: StreamEntry[];
    try {
      entries = parseEntries(await send(this.#commands, 'EVAL', [CLAIM_OWN, 1, this.stream, this.group, this.consumer, id], true));
    } catch (error) {
      if (isNoGroup(error)) {
        this.#forget(id);
        return;
      }
      // Redis unreachable: try again later, keeping the message.
      if (!this.#closed) held.timer = setTimeout(() => void this.#redeliver(id, held, delay), delay);
      return;
    }
    const entry = entries.find((candidate) => candidate.id === id);
    if (!entry?.fields) {
      // Another subscriber claimed it after processingTimeout, or it was trimmed: not ours any more.
      this.#forget(id);
      return;
    }
    this.#deliver(id, entry.fields, held);
  }

  #forget(id: string): void {
    this.#held.delete(id);
    const wake = this.#roomWaiter;
    this.#roomWaiter = undefined;
    wake?.();
  }

  async #waitForRoom(): Promise<void> {
    while (!this.#closed && this.#held.size >= this.#settings.queueDepth) {
      await new Promise<void>((resolve) => {
        this.#roomWaiter = resolve;
      });
    }
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#stop.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
