/**
 * `pnpm bench`: mechad's state API against two baselines, in one run —
 *   A. the same store call in-process (no HTTP): StateService on SQLite, or the bare client
 *      library (ioredis, pg) on Redis and PostgreSQL,
 *   B. a minimal node:http server making that call (the floor of any Node sidecar),
 * for GET and SET at 1 and 64 keep-alive clients on SQLite, Redis and PostgreSQL; service
 * invocation through mechad against calling the app directly; pub/sub publish → deliver through
 * mechad against each broker's bare client library (Redis Streams, Kafka, RabbitMQ, MQTT, NATS
 * JetStream); then mechad's start-up with five components. `--only` picks sections. Prints the tables with PASS/MISS per target and writes
 * results/latest.json. A missed target is reported, never an exit code; only a broken run
 * exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateService } from '@mecha/state';
import { SqliteStateStore, definition } from '@mecha/state-sqlite';
import { openBareStore, type BareStore } from './bare-store.ts';
import type { CellResult, OperationName, SectionName, TargetName } from './cell-result.ts';
import { pubsubSectionNames, targetLabel } from './cell-result.ts';
import { ChildProcesses } from './child-processes.ts';
import { sqliteState, writeResources } from './component-files.ts';
import { databaseComponent, databaseLabels, databaseServer, reachable, type DatabaseKind } from './database-servers.ts';
import { startEchoApp } from './echo-server-process.ts';
import { measureGrpc } from './grpc-load.ts';
import { measureHttp } from './http-load.ts';
import { measureInProcess, type InProcessCalls } from './in-process-load.ts';
import { medianRound } from './median-round.ts';
import { logTail, repoRoot, startMechad, type RunningServer } from './mechad-process.ts';
import { startMinimalServer } from './minimal-server-process.ts';
import { OptionsError, parseOptions, usage, type BenchOptions } from './options.ts';
import { brokerFacts, brokerServer } from './pubsub-brokers.ts';
import { sectionBroker, type PubSubCellResult } from './pubsub-cell.ts';
import { formatPubSub, pubsubTargets } from './pubsub-report.ts';
import { measurePubSub } from './pubsub-section.ts';
import { comparisonLines, formatOperation, formatStartup } from './report.ts';
import { seedBare, seedInProcess, seedOverHttp } from './seed.ts';
import { measureStartup, type StartupResult } from './startup.ts';
import { findCell, operationTargets, startupTarget, type TargetCheck } from './targets.ts';
import { appId, createWorkload, echoMethod, storeName, type Workload } from './workload.ts';

const benchDir = path.resolve(import.meta.dirname, '..');
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

function machine() {
  const cpus = os.cpus();
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    commit: commit.status === 0 ? commit.stdout.trim() : undefined,
  };
}

function assertAlive(server: { child: RunningServer['child']; logFile: string }, who: string): void {
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    throw new Error(`${who} exited during the run (${server.child.exitCode ?? server.child.signalCode}); its log:\n${logTail(server.logFile)}`);
  }
}

/** Which targets each operation is measured on; the state rows add gRPC next to HTTP, the invocation rows compare with calling the app directly. */
const stateTargets: TargetName[] = ['mechad', 'mechad-grpc', 'minimal', 'in-process'];
const invokeTargets: TargetName[] = ['mechad', 'mechad-grpc', 'direct'];

/** A child process serving calls: its port, its process, its log. */
type Server = Pick<RunningServer, 'port' | 'child' | 'logFile'>;

interface SectionServers {
  mechad: RunningServer;
  minimal?: Server;
  echo?: Server;
  /** The in-process rows' calls. */
  inProcess?: InProcessCalls;
  /** The database server's processes, read before each cell (PostgreSQL's backends come and go). */
  databasePids?: () => Promise<number[]>;
}

/**
 * Runs every cell of one section's operations. Within each operation × concurrency the targets
 * take turns, round after round, so drift over the run (heat, background work, another
 * program's burst) touches all of them alike; each cell reports its median round by req/s.
 */
async function measureCells(
  section: SectionName,
  plan: [OperationName, TargetName[]][],
  servers: SectionServers,
  options: BenchOptions,
  workload: Workload,
  duration: number,
): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  const total = plan.reduce((sum, [, targets]) => sum + targets.length, 0) * options.concurrency.length * options.rounds;
  let done = 0;
  const { mechad, minimal, echo } = servers;
  for (const [operation, targets] of plan) {
    for (const clients of options.concurrency) {
      const rounds = new Map<TargetName, Omit<CellResult, 'target' | 'section'>[]>(targets.map((target) => [target, []]));
      for (let round = 1; round <= options.rounds; round++) {
        for (const target of targets) {
          done++;
          progress(`${section} [${done}/${total}] ${operation} × ${clients} client${clients === 1 ? '' : 's'} → ${targetLabel(section, target)}${options.rounds > 1 ? ` (round ${round}/${options.rounds})` : ''}`);
          const databasePids = await servers.databasePids?.();
          const common = { operation, clients, duration, warmup: options.warmup, workload, ...(databasePids ? { databasePids } : {}) };
          let cell: Omit<CellResult, 'target' | 'section'>;
          // Invocation through mechad also measures the echo app it calls, so that CPU is not counted as "other".
          const appPid = operation === 'INVOKE' ? echo?.child.pid : undefined;
          if (target === 'in-process') cell = await measureInProcess({ ...common, calls: servers.inProcess! });
          else if (target === 'mechad-grpc') cell = await measureGrpc({ ...common, port: mechad.grpcPort!, serverPid: mechad.child.pid, appPid });
          else if (target === 'direct') cell = await measureHttp({ ...common, port: echo!.port, serverPid: echo!.child.pid, invokeAt: `/${echoMethod}` });
          else {
            const server = target === 'mechad' ? mechad : minimal!;
            cell = await measureHttp({ ...common, port: server.port, serverPid: server.child.pid, appPid });
          }
          assertAlive(mechad, 'mechad');
          if (minimal) assertAlive(minimal, 'the minimal server');
          if (echo) assertAlive(echo, 'the echo app');
          rounds.get(target)!.push(cell);
        }
      }
      for (const target of targets) cells.push({ section, target, ...medianRound(rounds.get(target)!) });
    }
  }
  return cells;
}

/** The SQLite state rows and the invocation rows, on one mechad whose app is the echo app. */
async function measureSqliteAndInvoke(children: ChildProcesses, workDir: string, options: BenchOptions, workload: Workload): Promise<CellResult[]> {
  const withState = options.sections.includes('sqlite');
  const resourcesDir = writeResources(path.join(workDir, 'mechad', 'components'), [sqliteState(storeName, path.join(workDir, 'mechad', 'state.db'))]);
  progress('starting the echo app, mechad (with the echo app as its app) and the minimal server');
  const echo = await startEchoApp(children, { logFile: path.join(workDir, 'echo.log') });
  const mechad = await startMechad(children, { home: path.join(workDir, 'mechad'), resourcesDir, appPort: echo.port });
  mkdirSync(path.join(workDir, 'minimal'), { recursive: true });
  const minimal = withState
    ? await startMinimalServer(children, {
        store: { kind: 'sqlite', dbFile: path.join(workDir, 'minimal', 'state.db') },
        logFile: path.join(workDir, 'minimal', 'server.log'),
      })
    : undefined;
  mkdirSync(path.join(workDir, 'in-process'), { recursive: true });
  const state = new StateService({
    store: new SqliteStateStore({ connectionString: path.join(workDir, 'in-process', 'state.db') }),
    features: definition.features,
    appId,
    name: storeName,
  });
  const inProcess: InProcessCalls = { get: (key) => state.get(key), set: (key) => state.save([{ key, value: workload.value }]) };
  try {
    const cells: CellResult[] = [];
    if (withState) {
      progress(`seeding ${workload.getKeys.length} keys into each SQLite store`);
      await seedOverHttp(mechad.port, workload, 'mechad');
      await seedOverHttp(minimal!.port, workload, 'minimal server');
      await seedInProcess(state, workload);
      const plan: [OperationName, TargetName[]][] = [
        ['GET', stateTargets],
        ['SET', stateTargets],
      ];
      cells.push(...(await measureCells('sqlite', plan, { mechad, minimal, echo, inProcess }, options, workload, options.duration)));
    }
    if (options.sections.includes('invoke')) {
      cells.push(...(await measureCells('invoke', [['INVOKE', invokeTargets]], { mechad, echo }, options, workload, options.duration)));
    }
    return cells;
  } finally {
    await Promise.all([children.stop(mechad.child), minimal && children.stop(minimal.child), children.stop(echo.child), state.close()]);
  }
}

/**
 * One database's state rows: mechad with the Dapr component for it, the minimal server and the
 * in-process loops with the bare client. Each target keeps its data apart on the shared server
 * (its own keys in Redis, its own table in PostgreSQL), removed at the end.
 */
async function measureDatabase(children: ChildProcesses, workDir: string, options: BenchOptions, workload: Workload, kind: DatabaseKind): Promise<CellResult[]> {
  const server = databaseServer(kind);
  const { server: serverName, client: clientName } = databaseLabels[kind];
  const run = randomBytes(4).toString('hex');
  // Redis: key prefixes (mechad's is its app id, as Dapr's); PostgreSQL: table names.
  const names =
    kind === 'redis'
      ? { mechad: appId, minimal: `bench-minimal-${run}`, client: `bench-client-${run}` }
      : { mechad: `bench_mechad_${run}`, minimal: `bench_minimal_${run}`, client: `bench_client_${run}` };
  const home = path.join(workDir, kind);
  const resourcesDir = writeResources(path.join(home, 'mechad', 'components'), [databaseComponent(server, storeName, names.mechad)]);
  progress(`starting mechad with state.${kind === 'redis' ? 'redis' : 'postgresql'} and the minimal server with ${clientName}, on ${serverName} at ${server.host}:${server.port}`);
  const started: RunningServer[] = [];
  let client: BareStore | undefined;
  try {
    const mechad = await startMechad(children, { home: path.join(home, 'mechad'), resourcesDir });
    started.push(mechad);
    const minimal = await startMinimalServer(children, { store: { kind, server, prefix: names.minimal }, logFile: path.join(home, 'minimal.log') });
    started.push(minimal);
    const bare = await openBareStore(server, names.client);
    client = bare;
    progress(`seeding ${workload.getKeys.length} keys for each ${serverName} target`);
    await seedOverHttp(mechad.port, workload, `mechad on ${serverName}`);
    await seedOverHttp(minimal.port, workload, `minimal server on ${serverName}`);
    await seedBare(bare, workload, `${clientName} in-process`);
    const plan: [OperationName, TargetName[]][] = [
      ['GET', stateTargets],
      ['SET', stateTargets],
    ];
    const inProcess: InProcessCalls = { get: (key) => bare.get(key), set: (key) => bare.set(key, workload.valueJson) };
    return await measureCells(kind, plan, { mechad, minimal, inProcess, databasePids: () => bare.serverPids() }, options, workload, options.databaseDuration);
  } finally {
    await Promise.all(started.map((s) => children.stop(s.child)));
    // Leave the shared server as it was: every target's keys, or tables, go.
    const keys = [...workload.getKeys, ...workload.setKeys];
    const cleanUp = async (store: BareStore | undefined) => {
      if (!store) return;
      try {
        await store.cleanUp(keys);
      } finally {
        await store.close();
      }
    };
    await cleanUp(client).catch((error: unknown) => progress(`could not remove the in-process ${clientName} data: ${String(error)}`));
    for (const name of [names.mechad, names.minimal]) {
      await cleanUp(await openBareStore(server, name)).catch((error: unknown) => progress(`could not remove ${name} from ${serverName}: ${String(error)}`));
    }
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(process.argv.slice(2), path.join(benchDir, 'results', 'latest.json'));
  } catch (error) {
    if (error instanceof OptionsError) {
      console.error(`bench: ${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
  if (parsed === 'help') {
    console.log(usage);
    return 0;
  }
  const options = parsed;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mecha-bench-'));
  const children = new ChildProcesses();
  children.installCleanup(() => rmSync(workDir, { recursive: true, force: true }));

  try {
    const workload = createWorkload(options.keys, options.valueChars);
    const env = machine();
    const selected = (section: SectionName) => options.sections.includes(section);
    // A database section needs its server: say so before anything is measured.
    for (const kind of ['redis', 'postgres'] as const) {
      const server = databaseServer(kind);
      if (selected(kind) && !(await reachable(server))) {
        const service = kind === 'redis' ? 'redis' : 'postgresql';
        const others = options.sections.filter((s) => s !== kind).join(',');
        throw new Error(
          `${databaseLabels[kind].server} is not reachable at ${server.host}:${server.port}: start it with \`bash tooling/services/up.sh ${service}\`` +
            (others ? `, or leave it out with --only ${others}` : ''),
        );
      }
    }
    for (const section of pubsubSectionNames.filter(selected)) {
      const broker = sectionBroker(section);
      const server = brokerServer(broker);
      if (!(await reachable(server))) {
        const others = options.sections.filter((s) => s !== section).join(',');
        throw new Error(
          `${brokerFacts[broker].server} is not reachable at ${server.host}:${server.port}: start it with \`bash tooling/services/up.sh ${brokerFacts[broker].service}\`` +
            (others ? `, or leave it out with --only ${others}` : ''),
        );
      }
    }
    let startup: StartupResult | undefined;
    if (selected('startup')) {
      progress(`measuring mechad start-up (${options.starts} starts)`);
      startup = await measureStartup(children, workDir, options.starts);
    }
    const cells: CellResult[] = [];
    if (selected('sqlite') || selected('invoke')) cells.push(...(await measureSqliteAndInvoke(children, workDir, options, workload)));
    for (const kind of ['redis', 'postgres'] as const) {
      if (selected(kind)) cells.push(...(await measureDatabase(children, workDir, options, workload, kind)));
    }
    const pubsubCells: PubSubCellResult[] = [];
    for (const section of pubsubSectionNames.filter(selected)) pubsubCells.push(...(await measurePubSub(children, workDir, options, section, progress)));

    const high = Math.max(...options.concurrency);
    const low = Math.min(...options.concurrency);
    const stateSections = (['sqlite', 'redis', 'postgres'] as const).filter(selected);
    const checks: { section: SectionName; operation: OperationName; check: TargetCheck }[] = [];
    const blocks: string[] = [];
    for (const section of stateSections) {
      const duration = section === 'sqlite' ? options.duration : options.databaseDuration;
      for (const operation of ['GET', 'SET'] as const) {
        const sectionChecks = operationTargets(cells, section, operation, high, low);
        checks.push(...sectionChecks.map((check) => ({ section, operation, check })));
        const minimalLow = findCell(cells, section, 'minimal', operation, low);
        const inProcessLow = findCell(cells, section, 'in-process', operation, low);
        const mechadLow = findCell(cells, section, 'mechad', operation, low);
        const info = [
          ...(section === 'sqlite'
            ? []
            : [
                `each cell: ${options.warmup} s warm-up, then ${duration} s measured; for context: mechad p99 − in-process ${databaseLabels[section].client} p99 at ${low} client: ` +
                  `${((mechadLow?.p99 ?? NaN) - (inProcessLow?.p99 ?? NaN)).toFixed(3)} ms`,
              ]),
          `for context: minimal p99 − in-process p99 at ${low} client (the HTTP hop alone): ${((minimalLow?.p99 ?? NaN) - (inProcessLow?.p99 ?? NaN)).toFixed(3)} ms; ` +
            `mechad / minimal throughput at ${low} client: ${((mechadLow?.requestsPerSecond ?? NaN) / (minimalLow?.requestsPerSecond ?? NaN)).toFixed(2)}`,
          ...comparisonLines(cells, section, operation, options.concurrency),
        ];
        blocks.push(formatOperation(section, operation, cells, options, sectionChecks, info), '');
        if (section === 'sqlite' && operation === 'SET' && selected('invoke')) {
          blocks.push(formatOperation('invoke', 'INVOKE', cells, options, [], comparisonLines(cells, 'invoke', 'INVOKE', options.concurrency)), '');
        }
      }
    }
    if (!selected('sqlite') && selected('invoke')) {
      blocks.push(formatOperation('invoke', 'INVOKE', cells, options, [], comparisonLines(cells, 'invoke', 'INVOKE', options.concurrency)), '');
    }
    const pubsubChecks: { section: SectionName; check: TargetCheck }[] = [];
    for (const section of pubsubSectionNames.filter(selected)) {
      const sectionChecks = pubsubTargets(pubsubCells, section, options.pubsubInflight);
      pubsubChecks.push(...sectionChecks.map((check) => ({ section, check })));
      blocks.push(formatPubSub(section, pubsubCells, options, sectionChecks), '');
    }
    const startupCheck = startup ? startupTarget(startup) : undefined;
    if (startup && startupCheck) blocks.push(formatStartup(startup, startupCheck), '');

    const lines = [
      '',
      `Mecha benchmark — ${env.cpuModel} × ${env.cpus}, ${env.memoryGiB} GiB, Node ${env.node}, ${env.platform}${env.commit ? `, commit ${env.commit}` : ''}`,
      `Sections: ${options.sections.join(', ')}. Each cell: ${options.rounds} rounds (targets taking turns), each ${options.warmup} s warm-up then ${options.duration} s measured (${options.databaseDuration} s on Redis and PostgreSQL); the median round is reported. HTTP targets: autocannon, keep-alive connections (one per client), pipelining 1, run from this process.`,
      'Latency: HTTP rows use the time autocannon measures for each 2xx response (process.hrtime, fractional ms, taken from its `response` event —',
      'its own histogram rounds to whole ms); in-process rows time each store call with performance.now(). req/s counts successes only.',
      'CPU columns, over the measured seconds: server = the process answering, load-gen = this process running autocannon (% of one core);',
      'db = the Redis or PostgreSQL server processes (% of one core);',
      `machine = all ${env.cpus} cores together; other = machine minus the measured processes (other programs, kernel threads), % of one core.`,
      'Near 100% machine CPU a row is short of CPU (generator and server share the cores); a high "other" means a neighbour disturbed it.',
      'gRPC rows: @grpc/grpc-js on one keep-alive HTTP/2 channel with N calls in flight (N loops, one call each), timed with performance.now();',
      'their non-2xx column counts calls that ended with a status other than OK. Invocation rows: mechad calls its own app, the echo app (its CPU',
      'is measured apart, in the JSON as appCpu, and left out of "other"); the direct row is autocannon on the echo app itself (server = the echo app).',
      'Redis and PostgreSQL: the minimal server and the in-process rows call ioredis or pg directly (the client mechad\'s component loads), with the',
      "same data layout and one round trip per call, as the component's plain get and save; each target has its own keys or table on the same server.",
      ...(pubsubSectionNames.some(selected)
        ? [
            `Pub/sub: ${options.pubsubMessages} messages per cell and round, ${options.pubsubInflight.join(' and ')} in flight (a message is in flight from its publish call until it is both delivered`,
            'and confirmed; each one that completes lets the next be published). Each target is one process that publishes and receives, so one clock',
            "times each message. client CPU = that process (for mechad: the app, publishing over HTTP); broker CPU = the broker's processes on this machine.",
          ]
        : []),
      '',
      ...blocks,
    ];
    console.log(lines.join('\n'));

    mkdirSync(path.dirname(options.output), { recursive: true });
    const report = {
      generatedAt: new Date().toISOString(),
      machine: env,
      options,
      workload: { getKeys: workload.getKeys.length, setKeys: workload.setKeys.length, valueChars: workload.value.length, valueJsonBytes: workload.valueJson.length },
      cells,
      ...(pubsubCells.length > 0 ? { pubsubCells } : {}),
      targets: [
        ...checks.map(({ section, operation, check }) => ({ section, operation, ...check })),
        ...pubsubChecks.map(({ section, check }) => ({ section, ...check })),
        ...(startupCheck ? [{ section: 'startup', ...startupCheck }] : []),
      ],
      ...(startup ? { startup } : {}),
    };
    // NaN (no successful call) is not JSON; write it as null.
    writeFileSync(options.output, `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
    console.log(`results written to ${path.relative(process.cwd(), options.output) || options.output}`);
    return 0;
  } finally {
    await children.stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
