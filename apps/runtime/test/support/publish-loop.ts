/**
 * Publishes a list of messages through a sidecar's HTTP API, `concurrency` at a time, each
 * retried until the sidecar acknowledges it (204) — while the broker is down, publishes fail
 * and are tried again. Only acknowledged publishes count: those are the ones the runtime
 * promised to deliver. The sidecar's URL may change mid-run (`target`).
 */
export class PublishLoop {
  /** Ids the sidecar acknowledged, in acknowledgement order. */
  readonly acknowledged: string[] = [];
  /** Publish attempts that were not acknowledged (errors, timeouts). */
  failures = 0;
  lastFailure = '';
  /** Failed attempts by reason (the error, without the topic name that starts it). */
  readonly failureReasons = new Map<string, number>();
  target: string;
  readonly #pubsub: string;
  readonly #topic: string;
  readonly #ids: readonly string[];
  #next = 0;
  #stopped = false;
  #done: Promise<void> | undefined;
  #hold: { from: number; released: Promise<void>; release: () => void } | undefined;

  constructor(options: { url: string; pubsub: string; topic: string; ids: readonly string[] }) {
    this.target = options.url;
    this.#pubsub = options.pubsub;
    this.#topic = options.topic;
    this.#ids = options.ids;
  }

  /** Starts the publishers; the returned promise resolves once every id is acknowledged (or stop()). */
  run(concurrency: number): Promise<void> {
    this.#done ??= Promise.all(Array.from({ length: concurrency }, () => this.#work())).then(() => undefined);
    return this.#done;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.release();
    await this.#done;
  }

  /**
   * Publishes nothing from the `from`-th message on until release(), so a disruption that
   * must overlap the publishing still finds messages left to publish on a fast run.
   */
  holdFrom(from: number): void {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#hold = { from, released, release };
  }

  release(): void {
    this.#hold?.release();
    this.#hold = undefined;
  }

  async #work(): Promise<void> {
    while (!this.#stopped && this.#next < this.#ids.length) {
      if (this.#hold && this.#next >= this.#hold.from) {
        await this.#hold.released;
        continue;
      }
      const id = this.#ids[this.#next++]!;
      while (!this.#stopped && !(await this.#publish(id))) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async #publish(id: string): Promise<boolean> {
    try {
      const response = await fetch(`${this.target}/v1.0/publish/${this.#pubsub}/${this.#topic}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await response.text();
      if (response.status === 204) {
        this.acknowledged.push(id);
        return true;
      }
      this.lastFailure = `${response.status} ${body}`;
    } catch (error) {
      this.lastFailure = String(error);
    }
    this.failures += 1;
    const reason = this.lastFailure.replace(/^.*? in pubsub [^:]+: /, '').slice(0, 200);
    this.failureReasons.set(reason, (this.failureReasons.get(reason) ?? 0) + 1);
    return false;
  }
}
