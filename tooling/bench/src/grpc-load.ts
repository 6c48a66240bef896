import * as grpc from '@grpc/grpc-js';
import { daprProtos } from '@mecha/runtime';
import type { CellResult, OperationName } from './cell-result.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import { measureCellCpu } from './process-cpu.ts';
import { appId, echoMethod, storeName, type Workload } from './workload.ts';

/**
 * The gRPC load generator: the official grpc-js client over Dapr's published protos, loaded
 * by the same code mechad uses, so the client speaks exactly the sidecar's wire format.
 */
interface ServiceError {
  code: number;
  details: string;
}
type UnaryMethod = (request: object, callback: (error: ServiceError | null, response: Record<string, unknown>) => void) => void;
interface DaprClient {
  [method: string]: unknown;
  close(): void;
}
type DaprClientConstructor = new (address: string, credentials: unknown, options: Record<string, unknown>) => DaprClient;

interface GrpcModules {
  Dapr: DaprClientConstructor;
  insecure: () => unknown;
}

function grpcModules(): GrpcModules {
  return { Dapr: daprProtos().dapr as unknown as DaprClientConstructor, insecure: () => grpc.credentials.createInsecure() };
}

/** One call's outcome: the gRPC status code (0 = OK) and the response. */
interface Outcome {
  code: number;
  response?: Record<string, unknown>;
  details?: string;
}

/**
 * One HTTP/2 channel to mechad's gRPC API, kept alive between calls (keep-alive pings, no
 * idle timeout), on which any number of calls are in flight at once.
 */
export class DaprGrpcChannel {
  readonly #client: DaprClient;

  constructor(port: number) {
    const { Dapr, insecure } = grpcModules();
    this.#client = new Dapr(`127.0.0.1:${port}`, insecure(), {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.client_idle_timeout_ms': 3_600_000,
      'grpc.max_receive_message_length': -1,
    });
  }

  call(method: string, request: object): Promise<Outcome> {
    const fn = this.#client[method] as UnaryMethod;
    return new Promise((resolve) => {
      fn.call(this.#client, request, (error, response) => resolve(error ? { code: error.code, details: error.details } : { code: 0, response }));
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** The request of each call, built once per key (as autocannon's request list is), and the check of its answer. */
function callPlan(operation: OperationName, workload: Workload): { method: string; requests: object[]; expected: (response: Record<string, unknown>) => boolean } {
  const value = Buffer.from(workload.valueJson);
  if (operation === 'GET') {
    return {
      method: 'GetState',
      requests: workload.getKeys.map((key) => ({ store_name: storeName, key })),
      // A seeded key that reads back empty is a failure, as a 204 would be over HTTP.
      expected: (response) => (response['data'] as Buffer).byteLength === value.byteLength,
    };
  }
  if (operation === 'SET') {
    // The same bytes the HTTP rows store (the value's JSON text), sent raw as gRPC values are.
    return { method: 'SaveState', requests: workload.setKeys.map((key) => ({ store_name: storeName, states: [{ key, value }] })), expected: () => true };
  }
  return {
    method: 'InvokeService',
    requests: [
      {
        id: appId,
        message: { method: echoMethod, data: { type_url: '', value }, content_type: 'application/json', http_extension: { verb: 'POST', querystring: '' } },
      },
    ],
    expected: (response) => ((response['data'] as { value: Buffer } | null)?.value.byteLength ?? -1) === value.byteLength,
  };
}

interface LoopRun {
  completed: number;
  failedStatus: number;
  wrongAnswers: number;
  statusCodes: Record<string, number>;
  firstFailure?: string;
  seconds: number;
  latencies: LatencyRecorder;
}

/** `clients` loops on one channel, each with one call in flight, each timing its own calls. */
async function runLoops(channel: DaprGrpcChannel, operation: OperationName, workload: Workload, clients: number, seconds: number): Promise<LoopRun> {
  const plan = callPlan(operation, workload);
  const latencies = new LatencyRecorder();
  const run: LoopRun = { completed: 0, failedStatus: 0, wrongAnswers: 0, statusCodes: {}, seconds: 0, latencies };
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const request = plan.requests[next++ % plan.requests.length]!;
      const t0 = performance.now();
      const outcome = await channel.call(plan.method, request);
      const elapsed = performance.now() - t0;
      run.statusCodes[outcome.code] = (run.statusCodes[outcome.code] ?? 0) + 1;
      if (outcome.code !== 0) {
        run.failedStatus++;
        run.firstFailure ??= `status ${outcome.code}: ${outcome.details}`;
      } else if (!plan.expected(outcome.response!)) {
        run.wrongAnswers++;
        run.firstFailure ??= `${plan.method} answered OK with an unexpected body`;
      } else {
        latencies.record(elapsed);
        run.completed++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

export interface GrpcCellOptions {
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
}

/** A warm-up run (discarded), then the measured run, on one keep-alive channel opened for the cell. */
export async function measureGrpc(options: GrpcCellOptions): Promise<Omit<CellResult, 'target' | 'section'>> {
  const channel = new DaprGrpcChannel(options.port);
  try {
    if (options.warmup > 0) await runLoops(channel, options.operation, options.workload, options.clients, options.warmup);
    const stopCpu = measureCellCpu({ server: options.serverPid, client: process.pid, app: options.appPid, database: options.databasePids });
    const run = await runLoops(channel, options.operation, options.workload, options.clients, options.duration);
    const cpu = stopCpu();
    if (run.firstFailure !== undefined) {
      console.error(`gRPC ${options.operation} ×${options.clients}: ${run.failedStatus + run.wrongAnswers} failed calls, first: ${run.firstFailure}`);
    }
    const [p50, p99] = run.latencies.percentiles([50, 99]);
    return {
      operation: options.operation,
      clients: options.clients,
      requestsPerSecond: run.completed / run.seconds,
      p50: p50!,
      p99: p99!,
      completed: run.completed,
      non2xx: run.failedStatus,
      errors: run.wrongAnswers,
      statusCodes: run.statusCodes,
      ...cpu,
      seconds: run.seconds,
    };
  } finally {
    channel.close();
  }
}
