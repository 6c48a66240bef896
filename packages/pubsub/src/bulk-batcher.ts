/**
 * Collects the messages of one bulk subscription into batches: a batch goes out once it
 * holds `maxCount` items, or once its first item has waited `maxWaitMs`, whichever comes
 * first. (daprd flushes on a fixed ticker instead; timing from the first item bounds every
 * item's wait the same way without firing for empty batches.)
 */
export class BulkBatcher<Item> {
  readonly maxCount: number;
  readonly maxWaitMs: number;
  readonly #flush: (items: Item[]) => void;
  #items: Item[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(maxCount: number, maxWaitMs: number, flush: (items: Item[]) => void) {
    this.maxCount = maxCount;
    this.maxWaitMs = maxWaitMs;
    this.#flush = flush;
  }

  /** Adds an item; returns false once the batcher is stopped (the caller keeps the item). */
  add(item: Item): boolean {
    if (this.#stopped) return false;
    this.#items.push(item);
    if (this.#items.length >= this.maxCount) this.#release();
    else if (this.#items.length === 1)
      this.#timer = setTimeout(() => this.#release(), this.maxWaitMs);
    return true;
  }

  /** Sends the waiting items now (no-op when there are none). */
  flush(): void {
    if (!this.#stopped) this.#release();
  }

  /** Stops batching and hands back the items still waiting, for the caller to settle. */
  stop(): Item[] {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const waiting = this.#items;
    this.#items = [];
    return waiting;
  }

  #release(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#items;
    this.#items = [];
    if (batch.length > 0) this.#flush(batch);
  }
}
