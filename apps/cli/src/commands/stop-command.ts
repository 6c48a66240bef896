import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { mechaHome } from '../environment/mecha-home.ts';
import { parseFlags, type FlagSpec } from '../flags/flag-parser.ts';
import { renderHelp, type CommandHelp } from '../flags/help-text.ts';
import { isAlive, waitForExit } from '../instances/process-alive.ts';
import { numericLabel, runningInstances, type RunningInstance } from '../instances/running-instances.ts';
import { locateRunFile } from '../run-file/run-file.ts';
import { status } from '../status.ts';

export const stopFlagSpecs: readonly FlagSpec[] = [
  { name: 'app-id', short: 'a', kind: 'list', description: 'The id of an app to stop; repeatable or comma-separated' },
  { name: 'run-file', short: 'f', kind: 'string', description: 'Stop every app started from this run file (or folder holding dapr.yaml)' },
  { name: 'kubernetes', short: 'k', kind: 'boolean', description: 'Not supported: Mecha stops apps on this machine' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'Help for stop' },
];

export const stopHelp: CommandHelp = {
  summary: 'Stop apps started by `mecha run`: each app with its sidecar.',
  usage: 'mecha stop --app-id <id>...\n  mecha stop -f <run file | folder>',
  flags: stopFlagSpecs,
  examples: '  mecha stop --app-id orders\n  mecha stop -f .',
};

interface Target {
  pid: number;
  what: string;
}

/**
 * Which process to signal for one instance, as `dapr stop` chooses: the `mecha run` that
 * started it (which then stops app and sidecar together), unless that CLI also runs other
 * apps (a run file), in which case only this sidecar is stopped.
 */
function targetFor(instance: RunningInstance, all: readonly RunningInstance[]): Target {
  const cliPid = numericLabel(instance, 'cliPid');
  if (cliPid !== undefined && isAlive(cliPid)) {
    const sharing = all.filter((other) => numericLabel(other, 'cliPid') === cliPid).length;
    if (sharing === 1) return { pid: cliPid, what: `mecha run (pid ${cliPid})` };
  }
  return { pid: instance.pid, what: `mechad (pid ${instance.pid})` };
}

function signal(target: Target): void {
  try {
    process.kill(target.pid, 'SIGTERM');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function stopCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(stopFlagSpecs, argv);
  if (flags.bool('help') === true) {
    io.stdout.write(renderHelp(stopHelp));
    return 0;
  }
  if (flags.bool('kubernetes') === true) throw new CliError('mecha stop does not support Kubernetes (-k/--kubernetes).');
  const appIds = [...flags.list('app-id'), ...flags.positionals];
  const runFile = flags.string('run-file');
  if (appIds.length === 0 && runFile === undefined) throw new CliError('say what to stop: --app-id <id> or -f <run file>');

  const instances = await runningInstances(mechaHome(io.env));
  const targets = new Map<number, Target>();
  let missing = 0;
  for (const appId of appIds) {
    const matches = instances.filter((instance) => instance.appId === appId);
    if (matches.length === 0) {
      status.failure(io.stderr, `No running app with id "${appId}"`);
      missing += 1;
      continue;
    }
    for (const match of matches) {
      const target = targetFor(match, instances);
      targets.set(target.pid, target);
      status.success(io.stdout, `Stopping app "${appId}" through ${target.what}`);
    }
  }
  if (runFile !== undefined) {
    const file = locateRunFile(runFile, io.cwd, io.env);
    const matches = instances.filter((instance) => instance.labels?.runFile === file);
    if (matches.length === 0) {
      status.failure(io.stderr, `No running apps were started from ${file}`);
      missing += 1;
    }
    for (const match of matches) {
      // The run as a whole: signal its CLI, which stops every app and sidecar it started.
      const cliPid = numericLabel(match, 'cliPid');
      const target = cliPid !== undefined && isAlive(cliPid) ? { pid: cliPid, what: `mecha run (pid ${cliPid})` } : { pid: match.pid, what: `mechad (pid ${match.pid})` };
      targets.set(target.pid, target);
      status.success(io.stdout, `Stopping app "${match.appId}" through ${target.what}`);
    }
  }
  for (const target of targets.values()) signal(target);
  if (targets.size > 0 && !(await waitForExit([...targets.keys()], 15_000))) {
    status.warn(io.stdout, 'Some processes are still shutting down.');
  }
  return missing > 0 ? 1 : 0;
}
