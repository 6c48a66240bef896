import autocannon from 'autocannon';
import type { CellResult, OperationName } from './cell-result.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import { measureCellCpu } from './process-cpu.ts';
import { invokePath, saveBody, statePath, type Workload } from './workload.ts';

/**
 * The request list for an operation: one entry per key, so each connection rotates over the
 * keys. INVOKE posts the value to the echo app at `invokeAt` (through mechad, or directly).
 */
export function httpRequests(operation: OperationName, workload: Workload, invokeAt = invokePath()): autocannon.Request[] {
  if (operation === 'INVOKE') return [{ method: 'POST', path: invokeAt, headers: { 'content-type': 'application/json' }, body: workload.valueJson }];
  if (operation === 'GET') return workload.getKeys.map((key) => ({ method: 'GET', path: statePath(key) }));
  return workload.setKeys.map((key) => ({
    method: 'POST',
    path: statePath(),
    headers: { 'content-type': 'application/json' },
    body: saveBody(key, workload.valueJson),
  }));
}

interface LoadRun {
  result: autocannon.Result;
  latencies: LatencyRecorder;
}

function runAutocannon(options: autocannon.Options): Promise<LoadRun> {
  const latencies = new LatencyRecorder();
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve({ result, latencies })));
    // autocannon times each response from hrtime (fractional ms) but its histogram keeps
    // whole ms; the `response` event hands us the exact figure. Only 2xx count, as in its table.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTime);
    });
  });
}

export interface HttpCellOptions {
  port: number;
  /** The server's process, whose CPU use is reported with the cell. */
  serverPid: number | undefined;
  /** For invocation through mechad: the app mechad calls, measured too so its CPU is not counted as "other". */
  appPid?: number;
  /** The database server's processes, measured apart (Redis and PostgreSQL sections). */
  databasePids?: readonly number[];
  operation: OperationName;
  clients: number;
  duration: number;
  warmup: number;
  workload: Workload;
  /** For INVOKE: the path to post to (default: mechad's invocation of the echo app). */
  invokeAt?: string;
}

/** A warm-up run (discarded), then the measured run: keep-alive connections, pipelining 1. */
export async function measureHttp(options: HttpCellOptions): Promise<Omit<CellResult, 'target' | 'section'>> {
  const base: autocannon.Options = {
    url: `http://127.0.0.1:${options.port}`,
    connections: options.clients,
    pipelining: 1,
    timeout: 10,
    requests: httpRequests(options.operation, options.workload, options.invokeAt),
  };
  if (options.warmup > 0) await runAutocannon({ ...base, duration: options.warmup });
  const stopCpu = measureCellCpu({ server: options.serverPid, client: process.pid, app: options.appPid, database: options.databasePids });
  const { result, latencies } = await runAutocannon({ ...base, duration: options.duration });
  const cpu = stopCpu();
  const [p50, p99] = latencies.percentiles([50, 99]);
  const ok = result['2xx'];
  return {
    operation: options.operation,
    clients: options.clients,
    requestsPerSecond: ok / result.duration,
    p50: p50!,
    p99: p99!,
    completed: ok,
    non2xx: result.non2xx,
    errors: result.errors, // includes timeouts
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0])),
    autocannon: { p50: result.latency.p50, p99: result.latency.p99, requestsAverage: result.requests.average },
    ...cpu,
    seconds: result.duration,
  };
}
