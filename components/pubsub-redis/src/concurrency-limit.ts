/**
 * At most `size` holders at once; the others wait in arrival order. Shared by every
 * subscription of one component, as Dapr's `concurrency` workers are.
 */
export class ConcurrencyLimit {
  readonly size: number;
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`concurrency must be a whole number of at least 1 (got ${size})`);
    this.size = size;
    this.#free = size;
  }

  /** Slots in use. */
  get busy(): number {
    return this.size - this.#free;
  }

  /** Resolves with the function that gives the slot back (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so a late arrival cannot jump the queue.
      if (next) next();
      else this.#free += 1;
    };
  }
}
