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
  /** Answers outside 2xx (HTTP targets). */
  non2xx: number;
  /** Connection errors and timeouts (HTTP), or rejected calls (in-process). */
  errors: number;
  /** Status code → count, for the HTTP targets. */
  statusCodes?: Record<string, number>;
  /** autocannon's own percentiles, whole milliseconds (its histogram's resolution). */
  autocannon?: { p50: number; p99: number; requestsAverage: number };
  /** CPU of the process serving the calls (mechad, the minimal server, or this one in-process), % of one core. */
  serverCpu?: number;
  /** CPU of this process while it generated HTTP load (autocannon), % of one core. */
  clientCpu?: number;
  /** CPU of the whole machine, % of all its cores. */
  machineCpu?: number;
  /** CPU used by everything else on the machine (other programs, kernel threads), % of one core. */
  otherCpu?: number;
  /** Seconds actually measured. */
  seconds: number;
}

export type TargetName = 'mechad' | 'minimal' | 'in-process';
export type OperationName = 'GET' | 'SET';

export const targetLabels: Record<TargetName, string> = {
  mechad: 'mechad (HTTP, SQLite)',
  minimal: 'minimal node:http',
  'in-process': 'in-process StateService',
};
