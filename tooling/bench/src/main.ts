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
import { targetLabels } from './cell-result.ts';
import { ChildProcesses } from './child-processes.ts';
import { sqliteState, writeResources } from './component-files.ts';
import { measureHttp } from './http-load.ts';
import { measureInProcess } from './in-process-load.ts';
import { logTail, repoRoot, startMechad, type RunningServer } from './mechad-process.ts';
import { startMinimalServer } from './minimal-server-process.ts';
import { OptionsError, parseOptions, usage, type BenchOptions } from './options.ts';
import { formatOperation, formatStartup } from './report.ts';
import { seedInProcess, seedOverHttp } from './seed.ts';
import { measureStartup } from './startup.ts';
import { findCell, operationTargets, startupTarget } from './targets.ts';
import { appId, createWorkload, storeName, type Workload } from './workload.ts';

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

function assertAlive(server: RunningServer, who: string): void {
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    throw new Error(`${who} exited during the run (${server.child.exitCode ?? server.child.signalCode}); its log:\n${logTail(server.logFile)}`);
  }
}

async function measureLoad(children: ChildProcesses, workDir: string, options: BenchOptions, workload: Workload): Promise<CellResult[]> {
  const resourcesDir = writeResources(path.join(workDir, 'mechad', 'components'), [sqliteState(storeName, path.join(workDir, 'mechad', 'state.db'))]);
  progress('starting mechad and the minimal server');
  const mechad = await startMechad(children, { home: path.join(workDir, 'mechad'), resourcesDir });
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

    const servers: Record<Exclude<TargetName, 'in-process'>, RunningServer> = { mechad, minimal };
    const operations: OperationName[] = ['GET', 'SET'];
    const targets: TargetName[] = ['mechad', 'minimal', 'in-process'];
    const total = operations.length * options.concurrency.length * targets.length;
    for (const operation of operations) {
      for (const clients of options.concurrency) {
        // The targets take turns within each operation × concurrency, so drift over the run
        // (heat, background work) touches all three alike.
        for (const target of targets) {
          progress(`[${cells.length + 1}/${total}] ${operation} × ${clients} client${clients === 1 ? '' : 's'} → ${targetLabels[target]}`);
          const common = { operation, clients, duration: options.duration, warmup: options.warmup, workload };
          const cell =
            target === 'in-process'
              ? await measureInProcess({ ...common, state })
              : await measureHttp({ ...common, port: servers[target].port, serverPid: servers[target].child.pid });
          if (target !== 'in-process') assertAlive(servers[target], target);
          cells.push({ target, ...cell });
        }
      }
    }
  } finally {
    await Promise.all([children.stop(mechad.child), children.stop(minimal.child), state.close()]);
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
      '',
      formatOperation('GET', cells, options, checks.GET, info('GET')),
      '',
      formatOperation('SET', cells, options, checks.SET, info('SET')),
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
