import { readFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { CliIo } from '../cli-io.ts';
import { status } from '../status.ts';
import { appEnv, sidecarEnv } from './app-env.ts';
import type { AppRunConfig, ResolvedAppRun } from './app-run-config.ts';
import { daprdArgs } from './daprd-args.ts';
import { resolvePorts } from './free-port.ts';
import { closeLogFiles, logFilePath, openLogSinks } from './log-files.ts';
import type { MechadLauncher } from './locate-mechad.ts';
import { describeExit, exitCodeOf, ManagedProcess, stopProcesses, type ExitInfo } from './managed-process.ts';
import { socketPath, waitForSidecar } from './sidecar-ready.ts';

/**
 * `single` is `mecha run <command>`: the first of app and sidecar to exit ends the run.
 * `multi` is `mecha run -f`: as with the dapr CLI, a process exiting stops nothing else;
 * the run ends on SIGINT/SIGTERM, or (Mecha's addition) once every process has exited.
 */
export type RunMode = 'single' | 'multi';

export interface RunAppsOptions {
  apps: readonly AppRunConfig[];
  mode: RunMode;
  io: CliIo;
  mechad: MechadLauncher;
  /** How long stopped processes get before SIGKILL. */
  stopTimeoutMs: number;
  /** How long to wait for a sidecar's HTTP API before starting an app that has no port. */
  readyTimeoutMs: number;
  cliPid: number;
}

interface StartedApp {
  config: ResolvedAppRun;
  sidecar: ManagedProcess;
  app?: ManagedProcess;
}

type Outcome = { kind: 'signal' } | { kind: 'app' | 'sidecar'; info: ExitInfo } | { kind: 'all-exited' };

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runApps(options: RunAppsOptions): Promise<number> {
  const { io } = options;
  const processes: ManagedProcess[] = [];
  const started: StartedApp[] = [];
  const files: WriteStream[] = [];
  let stopping = false;
  let resolveStop!: () => void;
  const stopRequested = new Promise<Outcome>((resolve) => {
    resolveStop = () => resolve({ kind: 'signal' });
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      status.info(io.stdout, `${signal} received: stopping every app and sidecar`);
      stopping = true;
      resolveStop();
      return;
    }
    status.warn(io.stdout, `${signal} received again: killing every app and sidecar now`);
    for (const managed of processes) managed.signal('SIGKILL');
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  const report = (managed: ManagedProcess, logFile?: string): void => {
    void managed.exited.then((info) => {
      if (info.error !== undefined) return; // reported where the start failed
      if (info.code === 0) status.success(io.stdout, `Exited ${managed.name} successfully`);
      else if (stopping) status.info(io.stdout, `Stopped ${managed.name} (${describeExit(info)})`);
      else {
        status.failure(io.stderr, `${managed.name} exited with ${describeExit(info)}`);
        // When its output went to a file only, show why it stopped instead of leaving the user to hunt for it.
        if (logFile !== undefined) io.stderr.write(`${logTail(logFile, 15)}(full log: ${logFile})\n`);
      }
    });
  };

  /** Starts one app and its sidecar; returns an exit code if the run must end now. */
  const startOne = async (config: ResolvedAppRun): Promise<number | undefined> => {
    const now = new Date();
    const hasApp = config.command.length > 0;
    const daprdLog =
      config.logDir !== undefined && config.daprdLogDestination !== 'console' ? logFilePath(config.logDir, config.appId, 'daprd', now) : undefined;
    const appLog =
      hasApp && config.logDir !== undefined && config.appLogDestination !== 'console' ? logFilePath(config.logDir, config.appId, 'app', now) : undefined;
    const daprdSinks = openLogSinks(config.daprdLogDestination, io, daprdLog, files);
    status.info(
      io.stdout,
      config.unixDomainSocket !== undefined
        ? `Starting mechad with id ${config.appId}. HTTP Socket: ${socketPath(config.unixDomainSocket, config.appId, 'http')}. gRPC Socket: ${socketPath(config.unixDomainSocket, config.appId, 'grpc')}`
        : `Starting mechad with id ${config.appId}. HTTP Port: ${config.httpPort}. gRPC Port: ${config.grpcPort}`,
    );
    const sidecar = new ManagedProcess({
      name: `mechad of "${config.appId}"`,
      command: options.mechad.command,
      args: [...options.mechad.args, ...daprdArgs(config)],
      cwd: config.appDir,
      env: sidecarEnv(config, io.env, {
        cliPid: options.cliPid,
        ...(config.runFile !== undefined ? { runFile: config.runFile } : {}),
        ...(appLog !== undefined ? { appLogPath: appLog } : {}),
        ...(daprdLog !== undefined ? { daprdLogPath: daprdLog } : {}),
      }),
      prefix: '',
      stdout: daprdSinks.stdout,
      stderr: daprdSinks.stderr,
    });
    processes.push(sidecar);
    if (!(await sidecar.started)) {
      const info = await sidecar.exited;
      status.failure(io.stderr, `Could not start mechad for "${config.appId}": ${info.error?.message ?? describeExit(info)}`);
      return 1;
    }
    report(sidecar, daprdLog !== undefined && config.daprdLogDestination === 'file' ? daprdLog : undefined);
    const entry: StartedApp = { config, sidecar };
    started.push(entry);

    // An app without a port cannot deadlock the sidecar's start, so wait for the sidecar first (as dapr does).
    if (config.appPort <= 0) {
      status.info(io.stdout, `Checking if the sidecar of "${config.appId}" is listening on its HTTP API`);
      const ready = await waitForSidecar(config, options.readyTimeoutMs, Promise.race([stopRequested, sidecar.exited]));
      if (stopping) return 0;
      if (!sidecar.running) {
        // Its exit was already reported; a sidecar that cannot start fails the whole run.
        const info = await sidecar.exited;
        return options.mode === 'single' ? exitCodeOf(info) || 1 : 1;
      }
      if (ready) status.info(io.stdout, `The sidecar of "${config.appId}" is up and running.`);
      else status.warn(io.stdout, `The sidecar of "${config.appId}" might not be responding.`);
    }

    if (hasApp) {
      const appSinks = openLogSinks(config.appLogDestination, io, appLog, files);
      const [program, ...args] = config.command;
      const app = new ManagedProcess({
        name: `app "${config.appId}"`,
        command: program!,
        args,
        cwd: config.appDir,
        env: appEnv(config, io.env),
        prefix: options.mode === 'single' ? '== APP == ' : `== APP - ${config.appId} == `,
        stdout: appSinks.stdout,
        stderr: appSinks.stderr,
      });
      processes.push(app);
      if (!(await app.started)) {
        const info = await app.exited;
        status.failure(io.stderr, `Could not start app "${config.appId}" (${config.command.join(' ')}): ${info.error?.message ?? describeExit(info)}`);
        return 1;
      }
      report(app);
      entry.app = app;
      status.success(io.stdout, `You're up and running! Both mechad's and your app's logs will appear here.`);
    } else {
      status.warn(io.stdout, `No application command for "${config.appId}": running the sidecar alone.`);
      status.success(io.stdout, `You're up and running! mechad's logs will appear here.`);
    }
    if (daprdLog !== undefined || appLog !== undefined) status.info(io.stdout, `Writing log files to directory: ${config.logDir}`);
    return undefined;
  };

  const waitSingle = async (entry: StartedApp): Promise<number> => {
    const racers: Promise<Outcome>[] = [stopRequested, entry.sidecar.exited.then((info) => ({ kind: 'sidecar' as const, info }))];
    if (entry.app !== undefined) racers.push(entry.app.exited.then((info) => ({ kind: 'app' as const, info })));
    const outcome = await Promise.race(racers);
    stopping = true;
    return outcome.kind === 'app' || outcome.kind === 'sidecar' ? exitCodeOf(outcome.info) : 0;
  };

  const waitMulti = async (): Promise<number> => {
    const all = Promise.all(processes.map((managed) => managed.exited)).then((): Outcome => ({ kind: 'all-exited' }));
    const outcome = await Promise.race([stopRequested, all]);
    stopping = true;
    if (outcome.kind === 'signal') return 0;
    // Everything ended on its own: report the first failure, apps before sidecars.
    const ordered = [...started.flatMap((entry) => (entry.app ? [entry.app] : [])), ...started.map((entry) => entry.sidecar)];
    return ordered.map((managed) => exitCodeOf(managed.exitInfo ?? { code: 0, signal: null })).find((code) => code !== 0) ?? 0;
  };

  try {
    const taken = new Set<number>();
    for (const config of options.apps) {
      if (stopping) return 0;
      const code = await startOne(await resolvePorts(config, taken));
      if (code !== undefined) {
        stopping = true;
        return code;
      }
    }
    if (options.mode === 'single' && started.length === 1) return await waitSingle(started[0]!);
    return await waitMulti();
  } finally {
    stopping = true;
    await stopProcesses(processes, options.stopTimeoutMs);
    await Promise.all(processes.map((managed) => managed.flushed()));
    await closeLogFiles(files);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/** The last lines of a log file, each indented, for a failure report. */
function logTail(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text
      .split('\n')
      .slice(-lines)
      .map((line) => `    ${line}\n`)
      .join('');
  } catch {
    return '';
  }
}
