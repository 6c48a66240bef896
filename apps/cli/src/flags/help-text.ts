import type { FlagSpec } from './flag-parser.ts';

export interface CommandHelp {
  usage: string;
  summary: string;
  flags: readonly FlagSpec[];
  examples?: string;
}

function flagLabel(spec: FlagSpec): string {
  const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
  const value = spec.kind === 'boolean' ? '' : spec.kind === 'int' ? ' int' : spec.kind === 'list' ? ' strings' : ' string';
  return `  ${short}--${spec.name}${value}`;
}

/** Renders a command's help the way cobra lays it out: usage, flags with defaults, examples. */
export function renderHelp(help: CommandHelp): string {
  const visible = help.flags.filter((spec) => spec.hidden !== true);
  const labels = visible.map(flagLabel);
  const width = Math.max(0, ...labels.map((label) => label.length)) + 3;
  const lines = [help.summary, '', 'Usage:', `  ${help.usage}`];
  if (visible.length > 0) {
    lines.push('', 'Flags:');
    visible.forEach((spec, index) => {
      const suffix = spec.defaultText === undefined ? '' : ` (default ${spec.defaultText})`;
      lines.push(`${labels[index]!.padEnd(width)}${spec.description}${suffix}`);
    });
  }
  if (help.examples !== undefined) lines.push('', 'Examples:', help.examples.replace(/\n+$/, ''));
  return `${lines.join('\n')}\n`;
}
