/**
 * `pnpm bench`: mechad's state API against two baselines, in one run —
 *   A. the same StateService call in-process (no HTTP),
 *   B. a minimal node:http server making that call (the floor of any Node sidecar),
 * for GET and SET at 1 and 64 keep-alive clients, then mechad's start-up with five
 * components. Prints the tables with PASS/MISS per target and writes results/latest.json.
 * A missed target is reported, never an exit code; only a broken run exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateService } from '@mecha/state';
import { SqliteStateStore, definition } from '@mecha/state-sqlite';
import type { CellResult, OperationName, TargetName } from './cell-result.ts';
import { invokeLabels, targetLabels } from './cell-result.ts';
import { ChildProcesses } from './child-processes.ts';
import { sqliteState, writeResources } from './component-files.ts';
import { startEchoApp } from './echo-server-process.ts';
import { measureGrpc } from './grpc-load.ts';
import { measureHttp } from './http-load.ts';
import { measureInProcess } from './in-process-load.ts';
import { logTail, repoRoot, startMechad, type RunningServer } from './mechad-process.ts';
import { startMinimalServer } from './minimal-server-process.ts';
import { OptionsError, parseOptions, usage, type BenchOptions } from './options.ts';
import { comparisonLines, formatOperation, formatStartup } from './report.ts';
import { seedInProcess, seedOverHttp } from './seed.ts';
import { measureStartup } from './startup.ts';
import { findCell, operationTargets, startupTarget } from './targets.ts';
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
const operationTargetsToRun: [OperationName, TargetName[]][] = [
  ['GET', ['mechad', 'mechad-grpc', 'minimal', 'in-process']],
  ['SET', ['mechad', 'mechad-grpc', 'minimal', 'in-process']],
  ['INVOKE', ['mechad', 'mechad-grpc', 'direct']],
];

async function measureLoad(children: ChildProcesses, workDir: string, options: BenchOptions, workload: Workload): Promise<CellResult[]> {
  const resourcesDir = writeResources(path.join(workDir, 'mechad', 'components'), [sqliteState(storeName, path.join(workDir, 'mechad', 'state.db'))]);
  progress('starting the echo app, mechad (with the echo app as its app) and the minimal server');
  const echo = await startEchoApp(children, { logFile: path.join(workDir, 'echo.log') });
  const mechad = await startMechad(children, { home: path.join(workDir, 'mechad'), resourcesDir, appPort: echo.port });
  mkdirSync(path.join(workDir, 'minimal'), { recursive: true });
  const minimal = await startMinimalServer(children, {
    dbFile: path.join(workDir, 'minimal', 'state.db'),
    logFile: path.join(workDir, 'minimal', 'server.log'),
  });
  mkdirSync(path.join(workDir, 'in-process'), { recursive: true });
  const state = new StateService({
    store: new SqliteStateStore({ connectionString: path.join(workDir, 'in-process', 'state.db') }),
    features: definition.features,
    appId,
    name: storeName,
  });

  const cells: CellResult[] = [];
  try {
    progress(`seeding ${workload.getKeys.length} keys into each store`);
    await seedOverHttp(mechad.port, workload, 'mechad');
    await seedOverHttp(minimal.port, workload, 'minimal server');
    await seedInProcess(state, workload);

    const total = operationTargetsToRun.reduce((sum, [, targets]) => sum + targets.length, 0) * options.concurrency.length;
    for (const [operation, targets] of operationTargetsToRun) {
      for (const clients of options.concurrency) {
        // The targets take turns within each operation × concurrency, so drift over the run
        // (heat, background work) touches all of them alike.
        for (const target of targets) {
          const label = (operation === 'INVOKE' ? invokeLabels[target] : undefined) ?? targetLabels[target];
          progress(`[${cells.length + 1}/${total}] ${operation} × ${clients} client${clients === 1 ? '' : 's'} → ${label}`);
          const common = { operation, clients, duration: options.duration, warmup: options.warmup, workload };
          let cell: Omit<CellResult, 'target'>;
          // Invocation through mechad also measures the echo app it calls, so that CPU is not counted as "other".
          const appPid = operation === 'INVOKE' ? echo.child.pid : undefined;
          if (target === 'in-process') cell = await measureInProcess({ ...common, state });
          else if (target === 'mechad-grpc') cell = await measureGrpc({ ...common, port: mechad.grpcPort!, serverPid: mechad.child.pid, appPid });
          else if (target === 'direct') cell = await measureHttp({ ...common, port: echo.port, serverPid: echo.child.pid, invokeAt: `/${echoMethod}` });
          else {
            const server = target === 'mechad' ? mechad : minimal;
            cell = await measureHttp({ ...common, port: server.port, serverPid: server.child.pid, appPid });
          }
          assertAlive(mechad, 'mechad');
          assertAlive(minimal, 'the minimal server');
          assertAlive(echo, 'the echo app');
          cells.push({ target, ...cell });
        }
      }
    }
  } finally {
    await Promise.all([children.stop(mechad.child), children.stop(minimal.child), children.stop(echo.child), state.close()]);
  }
  return cells;
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
    progress(`measuring mechad start-up (${options.starts} starts)`);
    const startup = await measureStartup(children, workDir, options.starts);
    const cells = await measureLoad(children, workDir, options, workload);

    const high = Math.max(...options.concurrency);
    const low = Math.min(...options.concurrency);
    const checks = {
      GET: operationTargets(cells, 'GET', high, low),
      SET: operationTargets(cells, 'SET', high, low),
      startup: startupTarget(startup),
    };
    const info = (operation: OperationName): string[] => {
      const minimalLow = findCell(cells, 'minimal', operation, low);
      const inProcessLow = findCell(cells, 'in-process', operation, low);
      const mechadLow = findCell(cells, 'mechad', operation, low);
      return [
        `for context: minimal p99 − in-process p99 at ${low} client (the HTTP hop alone): ${((minimalLow?.p99 ?? NaN) - (inProcessLow?.p99 ?? NaN)).toFixed(3)} ms; ` +
          `mechad / minimal throughput at ${low} client: ${((mechadLow?.requestsPerSecond ?? NaN) / (minimalLow?.requestsPerSecond ?? NaN)).toFixed(2)}`,
        ...comparisonLines(cells, operation, options.concurrency),
      ];
    };

    const lines = [
      '',
      `Mecha benchmark — ${env.cpuModel} × ${env.cpus}, ${env.memoryGiB} GiB, Node ${env.node}, ${env.platform}${env.commit ? `, commit ${env.commit}` : ''}`,
      `Each cell: ${options.warmup} s warm-up, then ${options.duration} s measured. HTTP targets: autocannon, keep-alive connections (one per client), pipelining 1, run from this process.`,
      'Latency: HTTP rows use the time autocannon measures for each 2xx response (process.hrtime, fractional ms, taken from its `response` event —',
      'its own histogram rounds to whole ms); in-process rows time each StateService call with performance.now(). req/s counts successes only.',
      'CPU columns, over the measured seconds: server = the process answering, load-gen = this process running autocannon (% of one core);',
      `machine = all ${env.cpus} cores together; other = machine minus the measured processes (other programs, kernel threads), % of one core.`,
      'Near 100% machine CPU a row is short of CPU (generator and server share the cores); a high "other" means a neighbour disturbed it.',
      'gRPC rows: @grpc/grpc-js on one keep-alive HTTP/2 channel with N calls in flight (N loops, one call each), timed with performance.now();',
      'their non-2xx column counts calls that ended with a status other than OK. Invocation rows: mechad calls its own app, the echo app (its CPU',
      'is measured apart, in the JSON as appCpu, and left out of "other"); the direct row is autocannon on the echo app itself (server = the echo app).',
      '',
      formatOperation('GET', cells, options, checks.GET, info('GET')),
      '',
      formatOperation('SET', cells, options, checks.SET, info('SET')),
      '',
      formatOperation('INVOKE', cells, options, [], comparisonLines(cells, 'INVOKE', options.concurrency)),
      '',
      formatStartup(startup, checks.startup),
      '',
    ];
    console.log(lines.join('\n'));

    mkdirSync(path.dirname(options.output), { recursive: true });
    const report = {
      generatedAt: new Date().toISOString(),
      machine: env,
      options,
      workload: { getKeys: workload.getKeys.length, setKeys: workload.setKeys.length, valueChars: workload.value.length, valueJsonBytes: workload.valueJson.length },
      cells,
      targets: [...checks.GET.map((c) => ({ operation: 'GET', ...c })), ...checks.SET.map((c) => ({ operation: 'SET', ...c })), checks.startup],
      startup,
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
