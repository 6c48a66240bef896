import { numericLabel, type RunningInstance } from './running-instances.ts';

/** One `mecha list` row; the JSON/YAML keys are those of `dapr list -o json`. */
export interface InstanceRow {
  appId: string;
  httpPort: number;
  grpcPort: number;
  appPort: number;
  command: string;
  age: string;
  created: string;
  daprdPid: number;
  cliPid: number;
  runTemplatePath: string;
}

/** `5s`, `12m`, `3h`, `2d`: the largest whole unit, like the dapr CLI's AGE column. */
export function formatAge(since: Date, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** `2006-01-02 15:04.05` in local time, the dapr CLI's CREATED layout. */
export function formatCreated(at: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}.${two(at.getSeconds())}`;
}

export function instanceRow(instance: RunningInstance, now: Date): InstanceRow {
  const startedAt = instance.labels?.startedAt;
  const since = startedAt === undefined ? undefined : new Date(startedAt);
  const valid = since !== undefined && !Number.isNaN(since.getTime());
  return {
    appId: instance.appId,
    httpPort: instance.httpPort,
    grpcPort: instance.grpcPort ?? 0,
    appPort: numericLabel(instance, 'appPort') ?? 0,
    command: instance.labels?.appCommand ?? '',
    age: valid ? formatAge(since, now) : '',
    created: valid ? formatCreated(since) : '',
    daprdPid: instance.pid,
    cliPid: numericLabel(instance, 'cliPid') ?? 0,
    runTemplatePath: instance.labels?.runFile ?? '',
  };
}

const COLUMNS: readonly [string, (row: InstanceRow) => string][] = [
  ['APP ID', (row) => row.appId],
  ['HTTP PORT', (row) => String(row.httpPort)],
  ['GRPC PORT', (row) => String(row.grpcPort)],
  ['APP PORT', (row) => String(row.appPort)],
  ['COMMAND', (row) => row.command],
  ['AGE', (row) => row.age],
  ['CREATED', (row) => row.created],
  ['DAEMON PID', (row) => String(row.daprdPid)],
  ['CLI PID', (row) => String(row.cliPid)],
];

/** Left-aligned columns separated by two spaces, with a header line. */
export function renderTable(rows: readonly InstanceRow[]): string {
  const cells = [COLUMNS.map(([title]) => title), ...rows.map((row) => COLUMNS.map(([, cell]) => cell(row)))];
  const widths = COLUMNS.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)));
  return cells.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}
