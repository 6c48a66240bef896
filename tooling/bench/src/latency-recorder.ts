/**
 * Every latency of a cell, in milliseconds with sub-millisecond precision. autocannon's own
 * histogram keeps whole milliseconds, too coarse for a loopback call that takes a fraction of
 * one, so the exact values are kept and sorted once at the end.
 */
export class LatencyRecorder {
  #samples = new Float64Array(1 << 16);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = ms;
  }

  /** Nearest-rank percentiles (`p` from 0 to 100); NaN when nothing was recorded. */
  percentiles(ps: readonly number[]): number[] {
    const sorted = this.#samples.slice(0, this.#count).sort();
    return ps.map((p) => {
      if (sorted.length === 0) return Number.NaN;
      const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
      return sorted[rank - 1]!;
    });
  }
}
