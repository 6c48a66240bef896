import { CliError } from './cli-error.ts';
import { processIo, type CliIo } from './cli-io.ts';
import { initCommand } from './commands/init-command.ts';
import { listCommand } from './commands/list-command.ts';
import { runCommand } from './commands/run-command.ts';
import { stopCommand } from './commands/stop-command.ts';
import { cliVersion } from './version.ts';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: ReadonlyMap<string, { run: Command; summary: string }> = new Map([
  ['run', { run: runCommand, summary: 'Run mechad and your app side by side, or every app of a run file (-f)' }],
  ['init', { run: initCommand, summary: 'Write default components and configuration into $MECHA_HOME' }],
  ['list', { run: listCommand, summary: 'List the apps and sidecars running on this machine' }],
  ['stop', { run: stopCommand, summary: 'Stop running apps by app id or run file' }],
]);

function rootHelp(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((name) => name.length)) + 3;
  const commands = [...COMMANDS].map(([name, { summary }]) => `  ${name.padEnd(width)}${summary}`);
  return [
    'mecha: run apps with Mecha, a distributed application runtime wire-compatible with Dapr v1.',
    'Speaks the dapr CLI\'s flags and multi-app run files.',
    '',
    'Usage:',
    '  mecha <command> [flags]',
    '',
    'Commands:',
    ...commands,
    '',
    'Flags:',
    '  -h, --help      Help for mecha (or for a command: mecha <command> --help)',
    '  -v, --version   Print the version',
    '',
    'Environment:',
    '  MECHA_HOME      Folder for components, config, data and the instance registry (default ~/.mecha)',
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; usage errors print a message and return 1. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      if (first === 'help' && rest[0] !== undefined) return await main([rest[0], '--help'], io);
      io.stdout.write(rootHelp());
      return 0;
    }
    if (first === '--version' || first === '-v' || first === 'version') {
      io.stdout.write(`CLI version: ${cliVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-')) throw new CliError(`unknown flag: ${first}\nRun 'mecha --help' for usage.`);
    const command = COMMANDS.get(first);
    if (command === undefined) throw new CliError(`unknown command "${first}" for "mecha"\nRun 'mecha --help' for usage.`);
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`Error: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
