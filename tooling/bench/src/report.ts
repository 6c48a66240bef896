import { targetLabel, type CellResult, type OperationName, type SectionName, type TargetName } from './cell-result.ts';
import { databaseLabels } from './database-servers.ts';
import type { BenchOptions } from './options.ts';
import type { StartupResult } from './startup.ts';
import { findCell, type TargetCheck } from './targets.ts';

const targetOrder: TargetName[] = ['mechad', 'mechad-grpc', 'minimal', 'in-process', 'direct'];

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)}%`;
}

/** Above this share of one core used by the rest of the machine, a row is flagged. */
export const otherCpuWarning = 30;

export function disturbed(cell: CellResult): boolean {
  return (cell.otherCpu ?? 0) > otherCpuWarning;
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatCheck(check: TargetCheck): string {
  const digits = check.unit === 'ms' ? (Math.abs(check.value) >= 10 ? 0 : 3) : 2;
  const value = `${fixed(check.value, digits)}${check.unit ? ` ${check.unit}` : ''}`;
  const verdict = check.pass ? 'PASS' : 'MISS';
  return `  ${check.name}: ${value}  (target ${check.goal})  ${verdict}${check.note ? `  [${check.note}]` : ''}`;
}

function title(section: SectionName, operation: OperationName, options: BenchOptions): string {
  if (operation === 'INVOKE') {
    return `invocation — POST of that value to a node:http echo app's /echo, answered with the same bytes (mechad: /v1.0/invoke/bench/method/echo or gRPC InvokeService to its own app)`;
  }
  const what =
    operation === 'GET'
      ? `${options.keys} pre-seeded keys, rotated; each value a JSON string of ${options.valueChars} chars`
      : `${options.keys} keys, rotated; each value a JSON string of ${options.valueChars} chars`;
  if (section === 'redis' || section === 'postgres') {
    const { server, client } = databaseLabels[section];
    return `state ${operation} on ${server} — ${what}; baselines: ${client} in-process and a minimal node:http server making the same ${client} call`;
  }
  return `state ${operation} — ${what}`;
}

export function formatOperation(
  section: SectionName,
  operation: OperationName,
  cells: readonly CellResult[],
  options: BenchOptions,
  checks: readonly TargetCheck[],
  info: readonly string[],
): string {
  const withDatabase = section === 'redis' || section === 'postgres';
  const rows: string[][] = [];
  let rowsDisturbed = false;
  for (const clients of options.concurrency) {
    for (const target of targetOrder) {
      const cell = findCell(cells, section, target, operation, clients);
      if (!cell) continue;
      rowsDisturbed ||= disturbed(cell);
      rows.push([
        String(clients),
        targetLabel(section, target),
        thousands(cell.requestsPerSecond),
        (cell.roundsRequestsPerSecond ?? [cell.requestsPerSecond]).map(thousands).join(' / '),
        fixed(cell.p50, 3),
        fixed(cell.p99, 3),
        target === 'in-process' ? '–' : String(cell.non2xx),
        String(cell.errors),
        percent(cell.serverCpu),
        ...(withDatabase ? [percent(cell.databaseCpu)] : []),
        target === 'in-process' ? '–' : percent(cell.clientCpu),
        percent(cell.machineCpu),
        `${percent(cell.otherCpu)}${disturbed(cell) ? ' *' : ''}`,
      ]);
    }
  }
  const header = ['clients', 'target', 'req/s', 'each round', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'server CPU', ...(withDatabase ? ['db CPU'] : []), 'load-gen CPU', 'machine CPU', 'other CPU'];
  return [
    title(section, operation, options),
    '',
    table(header, rows, header.map((_, i) => i !== 1)),
    `req/s, latencies and CPU are the median round's (by req/s) of ${options.rounds}; "each round" lists every round's req/s in the order they ran.`,
    ...(rowsDisturbed ? [`* other programs or kernel threads used over ${otherCpuWarning}% of a core during this row: its figures may be disturbed.`] : []),
    '',
    ...checks.map(formatCheck),
    ...info.map((line) => `  ${line}`),
  ].join('\n');
}

export function formatStartup(startup: StartupResult, check: TargetCheck): string {
  return [
    `mechad start-up — spawn → first 204 of /v1.0/healthz, polled every ${startup.pollMs} ms; components: ${startup.components.join(', ')}`,
    `  starts (ms): ${startup.startsMs.map((ms) => fixed(ms, 0)).join(', ')}; of which Node itself (spawn → exit of \`node -e 0\`, median): ${fixed(startup.nodeAloneMs, 0)} ms`,
    formatCheck(check),
  ].join('\n');
}

function ratio(a: number | undefined, b: number | undefined): string {
  return fixed((a ?? Number.NaN) / (b ?? Number.NaN), 2);
}

/** Which rows each section compares, as [numerator, denominator, label]. */
function comparedPairs(section: SectionName): [TargetName, TargetName, string][] {
  if (section === 'invoke') {
    return [
      ['mechad-grpc', 'mechad', 'gRPC / HTTP through mechad'],
      ['mechad', 'direct', 'mechad HTTP / direct'],
      ['mechad-grpc', 'direct', 'mechad gRPC / direct'],
    ];
  }
  if (section === 'redis' || section === 'postgres') {
    const { client } = databaseLabels[section];
    return [
      ['mechad-grpc', 'mechad', 'gRPC / HTTP through mechad'],
      ['mechad', 'minimal', 'mechad HTTP / minimal'],
      ['mechad-grpc', 'minimal', 'mechad gRPC / minimal'],
      ['mechad', 'in-process', `mechad HTTP / in-process ${client}`],
      ['minimal', 'in-process', `minimal / in-process ${client}`],
    ];
  }
  return [['mechad-grpc', 'mechad', 'gRPC / HTTP through mechad']];
}

/**
 * Context lines comparing rows at each concurrency (req/s, p50 and p99 ratios): gRPC against
 * HTTP through mechad; for invocation each way through mechad against calling the app
 * directly; for a database, mechad and the minimal server against each other and the bare client.
 */
export function comparisonLines(cells: readonly CellResult[], section: SectionName, operation: OperationName, concurrency: readonly number[]): string[] {
  return comparedPairs(section).map(([a, b, label]) => {
    const parts = concurrency.map((clients) => {
      const x = findCell(cells, section, a, operation, clients);
      const y = findCell(cells, section, b, operation, clients);
      return `×${clients}: req/s ${ratio(x?.requestsPerSecond, y?.requestsPerSecond)}, p50 ${ratio(x?.p50, y?.p50)}, p99 ${ratio(x?.p99, y?.p99)}`;
    });
    return `ratio ${label} — ${parts.join('; ')}`;
  });
}
