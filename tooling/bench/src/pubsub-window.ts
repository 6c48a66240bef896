import { LatencyRecorder } from './latency-recorder.ts';
import { encodeMessage, type BenchMessage } from './pubsub-payload.ts';

/** What one measured run of messages gave, as the driver reports it. */
export interface WindowResult {
  messages: number;
  /** Messages delivered at least once. */
  delivered: number;
  /** Deliveries of a message already delivered (at-least-once allows them; a quiet run should have none). */
  duplicates: number;
  /** Messages of an earlier run (or probe) that arrived during this one; not counted. */
  stray: number;
  /** Publish calls that failed (non-2xx from mechad, or the client library rejected). */
  publishErrors: number;
  firstPublishError?: string;
  /** Not delivered when the run ended (nothing moved for `stallMs`), failed publishes aside. */
  lost: number;
  /** From the first publish call to the last first delivery. */
  seconds: number;
  messagesPerSecond: number;
  /** End-to-end latency, publish call → delivery to the subscriber, ms. NaN when nothing arrived. */
  p50: number;
  p99: number;
  max: number;
  /** Time for the publish call to resolve (mechad's 2xx, or the broker's confirmation), ms. */
  publishP50: number;
  publishP99: number;
}

export interface WindowRun {
  /** Tags the run's messages; must differ from every earlier run of this window. */
  cell: number;
  messages: number;
  /** Most messages in flight at once: from the publish call until both it resolved and the message was delivered. */
  inflight: number;
  /** The run ends when nothing was delivered or confirmed for this long. */
  stallMs: number;
  /** The message's JSON text, published once; resolves when the publish was accepted. */
  publish(body: string): Promise<void>;
}

const PUBLISHED = 1;
const DELIVERED = 2;
const PUBLISH_FAILED = 4;

interface Running {
  run: WindowRun;
  state: Uint8Array;
  latencies: LatencyRecorder;
  lastDeliveryAt: number;
  lastProgressAt: number;
  delivered: number;
  duplicates: number;
  settle: (seq: number, flag: number) => void;
}

/**
 * A closed loop over publish and delivery, the same for mechad and for a bare client: at most
 * `inflight` messages are between their publish call and their delivery (with the publish
 * confirmed), and each one that completes lets the next be published. Throughput is then what
 * the whole path sustains, and latency is not swollen by a backlog the publisher built up.
 * The transport calls `received` for every message its subscriber is handed, before answering
 * or acknowledging it.
 */
export class PubSubWindow {
  readonly #valueJson: string;
  #running: Running | undefined;
  #stray = 0;

  constructor(valueJson: string) {
    this.#valueJson = valueJson;
  }

  received(message: BenchMessage): void {
    const running = this.#running;
    if (!running || message.cell !== running.run.cell || message.seq < 0 || message.seq >= running.run.messages) {
      this.#stray++;
      return;
    }
    const now = performance.now();
    if ((running.state[message.seq]! & DELIVERED) !== 0) {
      running.duplicates++;
      return;
    }
    running.latencies.record(now - message.sentMs);
    running.delivered++;
    running.lastDeliveryAt = now;
    running.settle(message.seq, DELIVERED);
  }

  run(run: WindowRun): Promise<WindowResult> {
    if (this.#running) return Promise.reject(new Error('a run is already in progress'));
    const strayBefore = this.#stray;
    const state = new Uint8Array(run.messages);
    const publishTimes = new LatencyRecorder();
    let next = 0;
    let inFlight = 0;
    let finished = 0;
    let publishErrors = 0;
    let firstPublishError: string | undefined;
    const startedAt = performance.now();
    return new Promise<WindowResult>((resolve) => {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(watchdog);
        const running = this.#running!;
        this.#running = undefined;
        const seconds = ((running.delivered > 0 ? running.lastDeliveryAt : performance.now()) - startedAt) / 1000;
        const [p50, p99, max] = running.latencies.percentiles([50, 99, 100]);
        const [publishP50, publishP99] = publishTimes.percentiles([50, 99]);
        let lost = 0;
        for (let seq = 0; seq < run.messages; seq++) if ((state[seq]! & (DELIVERED | PUBLISH_FAILED)) === 0) lost++;
        resolve({
          messages: run.messages,
          delivered: running.delivered,
          duplicates: running.duplicates,
          stray: this.#stray - strayBefore,
          publishErrors,
          ...(firstPublishError !== undefined ? { firstPublishError } : {}),
          lost,
          seconds,
          messagesPerSecond: running.delivered / seconds,
          p50: p50!,
          p99: p99!,
          max: max!,
          publishP50: publishP50!,
          publishP99: publishP99!,
        });
      };
      const complete = () => {
        if (ended) return;
        inFlight--;
        finished++;
        if (finished === run.messages) end();
        else pump();
      };
      const running: Running = {
        run,
        state,
        latencies: new LatencyRecorder(),
        lastDeliveryAt: startedAt,
        lastProgressAt: startedAt,
        delivered: 0,
        duplicates: 0,
        settle: (seq, flag) => {
          const before = state[seq]!;
          const after = before | flag;
          state[seq] = after;
          running.lastProgressAt = performance.now();
          if (after === (PUBLISHED | DELIVERED) && before !== after) complete();
        },
      };
      const failed = (seq: number, error: unknown) => {
        publishErrors++;
        firstPublishError ??= error instanceof Error ? error.message : String(error);
        // Not confirmed: the slot is free again; a delivery that still comes counts as delivered.
        state[seq] = state[seq]! | PUBLISH_FAILED;
        complete();
      };
      const start = (seq: number) => {
        inFlight++;
        const sentMs = performance.now();
        Promise.resolve()
          .then(() => run.publish(encodeMessage({ cell: run.cell, seq, sentMs }, this.#valueJson)))
          .then(
            () => {
              publishTimes.record(performance.now() - sentMs);
              running.settle(seq, PUBLISHED);
            },
            (error: unknown) => failed(seq, error),
          );
      };
      function pump() {
        while (inFlight < run.inflight && next < run.messages) start(next++);
      }
      this.#running = running;
      const watchdog = setInterval(() => {
        if (performance.now() - running.lastProgressAt > run.stallMs) end();
      }, Math.min(250, run.stallMs));
      if (run.messages === 0) end();
      else pump();
    });
  }
}
