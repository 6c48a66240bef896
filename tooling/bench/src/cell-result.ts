/** One measured cell: one target, one operation, one concurrency. */
export interface CellResult {
  /** Which table the cell belongs to: the store behind the state rows, or invocation. */
  section: SectionName;
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
  /** Redis and PostgreSQL sections: CPU of the database server's processes, % of one core. */
  databaseCpu?: number;
  /** CPU of the whole machine, % of all its cores. */
  machineCpu?: number;
  /** CPU used by everything else on the machine (other programs, kernel threads), % of one core. */
  otherCpu?: number;
  /** Seconds actually measured (in the reported round). */
  seconds: number;
  /** req/s of every round, in the order they ran; the cell reports the median one. */
  roundsRequestsPerSecond?: number[];
}

export type TargetName = 'mechad' | 'mechad-grpc' | 'minimal' | 'in-process' | 'direct';
export type OperationName = 'GET' | 'SET' | 'INVOKE';
/** The pub/sub sections, one per broker (their cells are `PubSubCellResult`s). */
export type PubSubSectionName = 'pubsub-redis' | 'pubsub-kafka' | 'pubsub-rabbitmq' | 'pubsub-mqtt' | 'pubsub-jetstream';
export const pubsubSectionNames: readonly PubSubSectionName[] = ['pubsub-redis', 'pubsub-kafka', 'pubsub-rabbitmq', 'pubsub-mqtt', 'pubsub-jetstream'];

/** The parts of a run, each selectable with `--only`; `startup` has no cells. */
export type SectionName = 'sqlite' | 'invoke' | 'startup' | 'redis' | 'postgres' | PubSubSectionName;
export const sectionNames: readonly SectionName[] = ['sqlite', 'invoke', 'startup', 'redis', 'postgres', ...pubsubSectionNames];

const stateLabels: Record<'sqlite' | 'redis' | 'postgres', Partial<Record<TargetName, string>>> = {
  sqlite: {
    mechad: 'mechad (HTTP, SQLite)',
    'mechad-grpc': 'mechad (gRPC, SQLite)',
    minimal: 'minimal node:http',
    'in-process': 'in-process StateService',
  },
  redis: {
    mechad: 'mechad (HTTP, Redis)',
    'mechad-grpc': 'mechad (gRPC, Redis)',
    minimal: 'minimal node:http + ioredis',
    'in-process': 'in-process ioredis',
  },
  postgres: {
    mechad: 'mechad (HTTP, PostgreSQL)',
    'mechad-grpc': 'mechad (gRPC, PostgreSQL)',
    minimal: 'minimal node:http + pg',
    'in-process': 'in-process pg',
  },
};

const invokeLabels: Partial<Record<TargetName, string>> = {
  mechad: 'mechad (HTTP) → echo app',
  'mechad-grpc': 'mechad (gRPC) → echo app',
  direct: 'echo app, direct',
};

/** A row's label: the state rows name the store, the invocation rows name the echo app. */
export function targetLabel(section: SectionName, target: TargetName): string {
  const labels = section === 'sqlite' || section === 'redis' || section === 'postgres' ? stateLabels[section] : invokeLabels;
  return labels[target] ?? target;
}
