import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { mechaHome } from '../environment/mecha-home.ts';
import { parseFlags, type FlagSpec } from '../flags/flag-parser.ts';
import { renderHelp, type CommandHelp } from '../flags/help-text.ts';
import { status } from '../status.ts';
import { configurationYaml, pubsubYaml, stateStoreYaml } from './init-resources.ts';

// dapr init's flags are accepted so scripts written for it run; only --force acts here.
const DAPR_ONLY = 'Accepted for dapr compatibility; no effect';
export const initFlagSpecs: readonly FlagSpec[] = [
  { name: 'force', kind: 'boolean', description: 'Overwrite files that already exist' },
  { name: 'slim', short: 's', kind: 'boolean', description: 'Accepted for dapr compatibility: Mecha init is always slim (no containers)' },
  { name: 'kubernetes', short: 'k', kind: 'boolean', description: 'Not supported: Mecha initialises this machine only' },
  { name: 'runtime-version', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'dashboard-version', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'network', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'image-registry', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'image-variant', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'from-dir', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'container-runtime', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'scheduler-volume', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'dev', kind: 'boolean', description: DAPR_ONLY, hidden: true },
  { name: 'wait', kind: 'boolean', description: DAPR_ONLY, hidden: true },
  { name: 'timeout', kind: 'int', description: DAPR_ONLY, hidden: true },
  { name: 'enable-ha', kind: 'boolean', description: DAPR_ONLY, hidden: true },
  { name: 'enable-mtls', kind: 'boolean', description: DAPR_ONLY, hidden: true },
  { name: 'namespace', short: 'n', kind: 'string', description: DAPR_ONLY, hidden: true },
  { name: 'set', kind: 'list', description: DAPR_ONLY, hidden: true },
  { name: 'help', short: 'h', kind: 'boolean', description: 'Help for init' },
];

export const initHelp: CommandHelp = {
  summary:
    'Write default resources into $MECHA_HOME (default ~/.mecha): a SQLite state store "statestore",\nan in-memory pub/sub "pubsub" and a Configuration "daprConfig". Nothing needs to be running.',
  usage: 'mecha init [--force]',
  flags: initFlagSpecs,
};

export async function initCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(initFlagSpecs, argv);
  if (flags.bool('help') === true) {
    io.stdout.write(renderHelp(initHelp));
    return 0;
  }
  if (flags.bool('kubernetes') === true) throw new CliError('mecha init does not support Kubernetes (-k/--kubernetes).');
  if (flags.positionals.length > 0) throw new CliError(`mecha init takes no arguments (got "${flags.positionals.join(' ')}")`);
  const force = flags.bool('force') === true;
  const home = mechaHome(io.env);
  status.info(io.stdout, `Initialising Mecha in ${home.root}`);
  await mkdir(home.componentsDir, { recursive: true });
  await mkdir(home.dataDir, { recursive: true });
  const files: [string, string][] = [
    [path.join(home.componentsDir, 'statestore.yaml'), stateStoreYaml(path.join(home.dataDir, 'state.db'))],
    [path.join(home.componentsDir, 'pubsub.yaml'), pubsubYaml()],
    [home.configFile, configurationYaml()],
  ];
  for (const [file, content] of files) {
    if (existsSync(file) && !force) {
      status.info(io.stdout, `Kept existing ${file} (use --force to overwrite)`);
      continue;
    }
    await writeFile(file, content);
    status.success(io.stdout, `Wrote ${file}`);
  }
  status.success(io.stdout, `Mecha is initialised. Data folder: ${home.dataDir}`);
  return 0;
}
