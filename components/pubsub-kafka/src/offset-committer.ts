/** The shape kafkajs's `commitOffsetsIfNecessary(offsets)` takes. */
export interface CommitRequest {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

export type CommitFunction = (request: CommitRequest) => Promise<void>;

/**
 * Least time between the starts of two commits made in the background. Committing each mark
 * as soon as the previous commit returned made, under a steady flow, an OffsetCommit request
 * per round trip, which cost Kafka delivery through mechad about a tenth of its CPU per
 * message. Dapr's own Kafka client commits marked offsets every second too. `flush()` (at
 * the end of each fetched batch, on a rebalance, on close) still commits at once.
 */
export const BACKGROUND_COMMIT_INTERVAL_MS = 1000;

/**
 * Commits the consumer group's position per partition in the background, coalescing: marks
 * go out at most once per `BACKGROUND_COMMIT_INTERVAL_MS` (at once when the last commit is
 * older than that), later marks of a partition replacing earlier ones, or at the next
 * `flush()`. A partition's marks only ever move forward (its messages are handled
 * one at a time), so a commit never passes a message that was not handled. A failed commit is
 * kept and retried with the next one; meanwhile the worst case is a redelivery.
 */
export class OffsetCommitter {
  readonly #topic: string;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Map<number, string>();
  #inFlight: Promise<void> | undefined;
  #commit: CommitFunction | undefined;
  /** The next background commit, while marks wait for the interval to pass. */
  #timer: NodeJS.Timeout | undefined;
  #lastStartedAt = Number.NEGATIVE_INFINITY;
  /** flush() calls waiting: the commit in flight then goes on with what was marked meanwhile. */
  #flushing = 0;

  constructor(topic: string, onError: (error: unknown) => void) {
    this.#topic = topic;
    this.#onError = onError;
  }

  /** The commit function of the consumer currently running (it changes when kafkajs restarts it). */
  use(commit: CommitFunction): void {
    this.#commit = commit;
  }

  /** Records that every message of `partition` before `nextOffset` has been handled. */
  mark(partition: number, nextOffset: string): void {
    this.#pending.set(partition, nextOffset);
    this.#start();
  }

  /** Forgets marks of partitions this member no longer owns (their new owner commits them). */
  retain(partitions: readonly number[]): void {
    for (const partition of [...this.#pending.keys()]) {
      if (!partitions.includes(partition)) this.#pending.delete(partition);
    }
  }

  /** Resolves once everything marked so far has been committed, or has failed once more. */
  async flush(): Promise<void> {
    this.#flushing++;
    try {
      while (this.#inFlight) await this.#inFlight;
      if (this.#pending.size === 0) return;
      this.#cancelTimer();
      this.#start();
      while (this.#inFlight) await this.#inFlight;
    } finally {
      this.#flushing--;
    }
  }

  get pending(): ReadonlyMap<number, string> {
    return this.#pending;
  }

  /** Commits now, unless one is on the wire or the last one started less than the interval ago (then later). */
  #start(): void {
    if (this.#inFlight || this.#timer || !this.#commit || this.#pending.size === 0) return;
    if (this.#flushing === 0 && performance.now() - this.#lastStartedAt < BACKGROUND_COMMIT_INTERVAL_MS) {
      this.#scheduleNext();
      return;
    }
    this.#inFlight = this.#drain(this.#commit).finally(() => {
      this.#inFlight = undefined;
      this.#scheduleNext();
    });
  }

  /** Marks left after a background commit go out once the interval since it started has passed. */
  #scheduleNext(): void {
    if (this.#pending.size === 0 || this.#timer || this.#flushing > 0) return;
    const wait = Math.max(0, this.#lastStartedAt + BACKGROUND_COMMIT_INTERVAL_MS - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, wait);
    // A pending background commit alone does not keep the process alive.
    this.#timer.unref();
  }

  #cancelTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #drain(commit: CommitFunction): Promise<void> {
    while (this.#pending.size > 0) {
      this.#lastStartedAt = performance.now();
      const batch = [...this.#pending];
      this.#pending.clear();
      try {
        await commit({
          topics: [
            {
              topic: this.#topic,
              partitions: batch.map(([partition, offset]) => ({ partition, offset })),
            },
          ],
        });
      } catch (error) {
        // Put back what no newer mark replaced; the next mark or flush tries again.
        for (const [partition, offset] of batch) {
          if (!this.#pending.has(partition)) this.#pending.set(partition, offset);
        }
        this.#onError(error);
        return;
      }
      // In the background, what was marked meanwhile waits for the interval.
      if (this.#flushing === 0) return;
    }
  }
}
