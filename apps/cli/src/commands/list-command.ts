import { stringify } from 'yaml';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { mechaHome } from '../environment/mecha-home.ts';
import { parseFlags, type FlagSpec } from '../flags/flag-parser.ts';
import { renderHelp, type CommandHelp } from '../flags/help-text.ts';
import { instanceRow, renderTable } from '../instances/instance-rows.ts';
import { runningInstances } from '../instances/running-instances.ts';

export const listFlagSpecs: readonly FlagSpec[] = [
  { name: 'output', short: 'o', kind: 'string', description: 'The output format: table, json or yaml', defaultText: '"table"' },
  { name: 'kubernetes', short: 'k', kind: 'boolean', description: 'Not supported: Mecha lists the apps on this machine' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'Help for list' },
];

export const listHelp: CommandHelp = {
  summary: 'List the apps and sidecars running on this machine (from $MECHA_HOME/instances).',
  usage: 'mecha list [-o table|json|yaml]',
  flags: listFlagSpecs,
};

export async function listCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(listFlagSpecs, argv);
  if (flags.bool('help') === true) {
    io.stdout.write(renderHelp(listHelp));
    return 0;
  }
  if (flags.bool('kubernetes') === true) throw new CliError('mecha list does not support Kubernetes (-k/--kubernetes).');
  if (flags.positionals.length > 0) throw new CliError(`mecha list takes no arguments (got "${flags.positionals.join(' ')}")`);
  const format = (flags.string('output') ?? 'table').toLowerCase();
  if (format !== 'table' && format !== 'json' && format !== 'yaml') {
    throw new CliError(`invalid output format "${flags.string('output')}": expected table, json or yaml`);
  }
  const now = new Date();
  const rows = (await runningInstances(mechaHome(io.env))).map((instance) => instanceRow(instance, now));
  if (format === 'json') io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (format === 'yaml') io.stdout.write(rows.length === 0 ? '[]\n' : stringify(rows));
  else if (rows.length === 0) io.stdout.write('No Mecha instances found.\n');
  else io.stdout.write(renderTable(rows));
  return 0;
}
