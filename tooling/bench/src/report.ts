import { invokeLabels, targetLabels, type CellResult, type OperationName, type TargetName } from './cell-result.ts';
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

export function formatOperation(operation: OperationName, cells: readonly CellResult[], options: BenchOptions, checks: readonly TargetCheck[], info: readonly string[]): string {
  const titles: Record<OperationName, string> = {
    GET: `state GET — ${options.keys} pre-seeded keys, rotated; each value a JSON string of ${options.valueChars} chars`,
    SET: `state SET — ${options.keys} keys, rotated; each value a JSON string of ${options.valueChars} chars`,
    INVOKE: `invocation — POST of that value to a node:http echo app's /echo, answered with the same bytes (mechad: /v1.0/invoke/bench/method/echo or gRPC InvokeService to its own app)`,
  };
  const title = titles[operation];
  const rows: string[][] = [];
  let rowsDisturbed = false;
  for (const clients of options.concurrency) {
    for (const target of targetOrder) {
      const cell = findCell(cells, target, operation, clients);
      if (!cell) continue;
      rowsDisturbed ||= disturbed(cell);
      rows.push([
        String(clients),
        (operation === 'INVOKE' ? invokeLabels[target] : undefined) ?? targetLabels[target],
        thousands(cell.requestsPerSecond),
        fixed(cell.p50, 3),
        fixed(cell.p99, 3),
        target === 'in-process' ? '–' : String(cell.non2xx),
        String(cell.errors),
        percent(cell.serverCpu),
        target === 'in-process' ? '–' : percent(cell.clientCpu),
        percent(cell.machineCpu),
        `${percent(cell.otherCpu)}${disturbed(cell) ? ' *' : ''}`,
      ]);
    }
  }
  return [
    title,
    '',
    table(
      ['clients', 'target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'server CPU', 'load-gen CPU', 'machine CPU', 'other CPU'],
      rows,
      [true, false, true, true, true, true, true, true, true, true, true],
    ),
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

/**
 * Context lines comparing rows at each concurrency: gRPC against HTTP through mechad (req/s,
 * p50 and p99 ratios), and for invocation each way through mechad against calling the app directly.
 */
export function comparisonLines(cells: readonly CellResult[], operation: OperationName, concurrency: readonly number[]): string[] {
  const lines: string[] = [];
  const pairs: [TargetName, TargetName, string][] =
    operation === 'INVOKE'
      ? [
          ['mechad-grpc', 'mechad', 'gRPC / HTTP through mechad'],
          ['mechad', 'direct', 'mechad HTTP / direct'],
          ['mechad-grpc', 'direct', 'mechad gRPC / direct'],
        ]
      : [['mechad-grpc', 'mechad', 'gRPC / HTTP through mechad']];
  for (const [a, b, label] of pairs) {
    const parts = concurrency.map((clients) => {
      const x = findCell(cells, a, operation, clients);
      const y = findCell(cells, b, operation, clients);
      return `×${clients}: req/s ${ratio(x?.requestsPerSecond, y?.requestsPerSecond)}, p50 ${ratio(x?.p50, y?.p50)}, p99 ${ratio(x?.p99, y?.p99)}`;
    });
    lines.push(`ratio ${label} — ${parts.join('; ')}`);
  }
  return lines;
}
