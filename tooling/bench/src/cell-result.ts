/** One measured cell: one target, one operation, one concurrency. */
export interface CellResult {
  target: TargetName;
  operation: OperationName;
  clients: number;
  /** Successful (2xx, or resolved in-process) calls per second. */
  requestsPerSecond: number;
  /** Latency percentiles in ms, sub-millisecond precision; NaN when nothing succeeded. */
  p50: number;
  p99: number;
  /** Successful calls measured. */
  completed: number;
  /** Answers outside 2xx (HTTP targets), or calls that ended with a gRPC status other than OK (gRPC targets). */
  non2xx: number;
  /** Connection errors and timeouts (HTTP), rejected calls (in-process), or wrong answers (gRPC: a seeded key read back empty). */
  errors: number;
  /** Status code → count, for the HTTP targets (gRPC targets: gRPC status code → count). */
  statusCodes?: Record<string, number>;
  /** autocannon's own percentiles, whole milliseconds (its histogram's resolution). */
  autocannon?: { p50: number; p99: number; requestsAverage: number };
  /** CPU of the process serving the calls (mechad, the minimal server, or this one in-process), % of one core. */
  serverCpu?: number;
  /** CPU of this process while it generated HTTP (autocannon) or gRPC load, % of one core. */
  clientCpu?: number;
  /** Invocation through mechad: CPU of the app mechad called (the echo app), % of one core. */
  appCpu?: number;
  /** CPU of the whole machine, % of all its cores. */
  machineCpu?: number;
  /** CPU used by everything else on the machine (other programs, kernel threads), % of one core. */
  otherCpu?: number;
  /** Seconds actually measured. */
  seconds: number;
}

export type TargetName = 'mechad' | 'mechad-grpc' | 'minimal' | 'in-process' | 'direct';
export type OperationName = 'GET' | 'SET' | 'INVOKE';

export const targetLabels: Record<TargetName, string> = {
  mechad: 'mechad (HTTP, SQLite)',
  'mechad-grpc': 'mechad (gRPC, SQLite)',
  minimal: 'minimal node:http',
  'in-process': 'in-process StateService',
  direct: 'echo app, direct',
};

/** The state rows' labels name the store; the invocation rows have none. */
export const invokeLabels: Partial<Record<TargetName, string>> = {
  mechad: 'mechad (HTTP) → echo app',
  'mechad-grpc': 'mechad (gRPC) → echo app',
};
