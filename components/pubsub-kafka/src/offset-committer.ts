/** The shape kafkajs's `commitOffsetsIfNecessary(offsets)` takes. */
export interface CommitRequest {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

export type CommitFunction = (request: CommitRequest) => Promise<void>;

/**
 * Commits the consumer group's position per partition in the background, coalescing: while
 * one commit is on the wire, later marks of a partition replace each other and go out
 * together next. A partition's marks only ever move forward (its messages are handled one
 * at a time), so a commit never passes a message that was not handled. A failed commit is
 * kept and retried with the next one; meanwhile the worst case is a redelivery.
 */
export class OffsetCommitter {
  readonly #topic: string;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Map<number, string>();
  #inFlight: Promise<void> | undefined;
  #commit: CommitFunction | undefined;

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
    while (this.#inFlight) await this.#inFlight;
    if (this.#pending.size === 0) return;
    this.#start();
    while (this.#inFlight) await this.#inFlight;
  }

  get pending(): ReadonlyMap<number, string> {
    return this.#pending;
  }

  #start(): void {
    if (this.#inFlight || !this.#commit || this.#pending.size === 0) return;
    this.#inFlight = this.#drain(this.#commit).finally(() => {
      this.#inFlight = undefined;
    });
  }

  async #drain(commit: CommitFunction): Promise<void> {
    while (this.#pending.size > 0) {
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
    }
  }
}
