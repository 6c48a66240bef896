import { text } from 'node:stream/consumers';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { mechaHome } from '../environment/mecha-home.ts';
import { parseFlags } from '../flags/flag-parser.ts';
import { renderHelp, type CommandHelp } from '../flags/help-text.ts';
import { loadRunFile } from '../run-file/run-file.ts';
import type { AppRunConfig } from '../run/app-run-config.ts';
import { configFromFlags } from '../run/config-from-flags.ts';
import { locateMechad } from '../run/locate-mechad.ts';
import { runApps, type RunMode } from '../run/run-apps.ts';
import { RUN_FILE_COMPATIBLE_FLAGS, runFlagSpecs } from '../run/run-flags.ts';
import { status } from '../status.ts';

export const runHelp: CommandHelp = {
  summary: 'Run mechad (the Mecha sidecar) and, optionally, your application side by side.',
  usage: 'mecha run [flags] [--] [command...]\n  mecha run -f <run file | folder with dapr.yaml | ->',
  flags: runFlagSpecs,
  examples: `  # A Node.js app listening on port 3000
  mecha run --app-id myapp --app-port 3000 -- node app.js

  # The sidecar alone
  mecha run --app-id myapp --dapr-http-port 3500

  # Every app of a dapr multi-app run file
  mecha run -f .`,
};

/** Milliseconds from an environment variable, or the fallback when unset or not a number. */
function millisFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** daprd's own grace (5 s, or --dapr-graceful-shutdown-seconds) plus slack, before SIGKILL. */
function stopTimeout(apps: readonly AppRunConfig[], env: NodeJS.ProcessEnv): number {
  const graceSeconds = Math.max(5, ...apps.map((app) => app.gracefulShutdownSeconds ?? 5));
  return millisFromEnv(env, 'MECHA_STOP_TIMEOUT_MS', (graceSeconds + 5) * 1000);
}

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(runFlagSpecs, argv, { stopAtFirstPositional: true });
  if (flags.bool('help') === true) {
    io.stdout.write(renderHelp(runHelp));
    return 0;
  }
  if (flags.bool('kubernetes') === true) {
    throw new CliError('mecha run does not support Kubernetes (-k/--kubernetes): it runs apps on this machine. Deploy mechad as a sidecar container instead.');
  }
  const home = mechaHome(io.env);
  const runFile = flags.string('run-file');
  let apps: AppRunConfig[];
  let mode: RunMode;
  if (runFile !== undefined) {
    const ignored = flags.names().filter((name) => !RUN_FILE_COMPATIBLE_FLAGS.includes(name));
    if (ignored.length > 0) {
      status.warn(io.stdout, `These flags are ignored with --run-file; set them in the run file instead: ${ignored.join(', ')}`);
    }
    if (flags.positionals.length > 0) status.warn(io.stdout, `The command "${flags.positionals.join(' ')}" is ignored with --run-file.`);
    const loaded = await loadRunFile(runFile, {
      cwd: io.cwd,
      env: io.env,
      home,
      warn: (message) => status.warn(io.stderr, message),
      readStdin: () => text(process.stdin),
    });
    const logAsJson = flags.bool('log-as-json') === true;
    apps = loaded.apps.map((app) => ({ ...app, logAsJson }));
    mode = 'multi';
  } else {
    if (flags.positionals.length === 0) status.warn(io.stdout, 'No application command found.');
    apps = [configFromFlags(flags, flags.positionals, { cwd: io.cwd, env: io.env, home })];
    mode = 'single';
  }
  return runApps({
    apps,
    mode,
    io,
    mechad: locateMechad(io.env, io.cwd),
    stopTimeoutMs: stopTimeout(apps, io.env),
    readyTimeoutMs: millisFromEnv(io.env, 'MECHA_READY_TIMEOUT_MS', 60_000),
    cliPid: process.pid,
  });
}
