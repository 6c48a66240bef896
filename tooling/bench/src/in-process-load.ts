import type { CellResult, OperationName } from './cell-result.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import { measureCellCpu } from './process-cpu.ts';
import type { Workload } from './workload.ts';

/** The two calls of the in-process rows: on a StateService (SQLite), or on a database's bare client. */
export interface InProcessCalls {
  /** Resolves with undefined when the key is absent. */
  get(key: string): Promise<unknown>;
  set(key: string): Promise<unknown>;
}

export interface InProcessCellOptions {
  calls: InProcessCalls;
  /** The database server's processes, measured apart (Redis and PostgreSQL sections). */
  databasePids?: readonly number[];
  operation: OperationName;
  clients: number;
  duration: number;
  warmup: number;
  workload: Workload;
}

interface LoopRun {
  completed: number;
  errors: number;
  firstError?: unknown;
  seconds: number;
  latencies: LatencyRecorder;
}

/**
 * Baseline A: `clients` async loops calling the store directly (StateService, or the database's client library), each timing its own calls
 * with performance.now(); the same keys and values as the HTTP targets, rotated the same way.
 * The loops interleave at each await, so a call's latency includes waiting for the others.
 */
async function runLoops(options: InProcessCellOptions, seconds: number): Promise<LoopRun> {
  const { calls, workload, operation } = options;
  const keys = operation === 'GET' ? workload.getKeys : workload.setKeys;
  const latencies = new LatencyRecorder();
  const run: LoopRun = { completed: 0, errors: 0, seconds: 0, latencies };
  let next = 0;
  const call = operation === 'GET' ? (key: string) => calls.get(key) : (key: string) => calls.set(key);
  const started = performance.now();
  const end = started + seconds * 1000;
  // A SQLite call resolves without leaving the microtask queue (the store is synchronous), so
  // now and then all loops wait for one event-loop turn: signals (Ctrl-C) are handled then.
  let nextBreak = started + 100;
  let pause: Promise<void> | undefined;
  const loop = async () => {
    while (performance.now() < end) {
      if (performance.now() >= nextBreak) {
        pause ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          pause = undefined;
          nextBreak = performance.now() + 100;
        });
        await pause;
      }
      const key = keys[next++ % keys.length]!;
      const t0 = performance.now();
      try {
        const found = await call(key);
        // A GET of a seeded key that finds nothing is a failure, as a non-2xx would be over HTTP.
        if (operation === 'GET' && found === undefined) throw new Error(`seeded key ${key} not found`);
        latencies.record(performance.now() - t0);
        run.completed++;
      } catch (error) {
        run.errors++;
        run.firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, loop));
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

export async function measureInProcess(options: InProcessCellOptions): Promise<Omit<CellResult, 'target' | 'section'>> {
  if (options.warmup > 0) await runLoops(options, options.warmup);
  const stopCpu = measureCellCpu({ server: process.pid, database: options.databasePids });
  const run = await runLoops(options, options.duration);
  const cpu = stopCpu();
  if (run.firstError !== undefined) console.error(`in-process ${options.operation} ×${options.clients}: ${run.errors} failed calls, first: ${String(run.firstError)}`);
  const [p50, p99] = run.latencies.percentiles([50, 99]);
  return {
    operation: options.operation,
    clients: options.clients,
    requestsPerSecond: run.completed / run.seconds,
    p50: p50!,
    p99: p99!,
    completed: run.completed,
    non2xx: 0,
    errors: run.errors,
    ...cpu,
    seconds: run.seconds,
  };
}
