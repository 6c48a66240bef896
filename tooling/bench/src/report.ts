import { targetLabels, type CellResult, type OperationName, type TargetName } from './cell-result.ts';
import type { BenchOptions } from './options.ts';
import type { StartupResult } from './startup.ts';
import { findCell, type TargetCheck } from './targets.ts';

const targetOrder: TargetName[] = ['mechad', 'minimal', 'in-process'];

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
  const title =
    operation === 'GET'
      ? `state GET — ${options.keys} pre-seeded keys, rotated; each value a JSON string of ${options.valueChars} chars`
      : `state SET — ${options.keys} keys, rotated; each value a JSON string of ${options.valueChars} chars`;
  const rows: string[][] = [];
  let rowsDisturbed = false;
  for (const clients of options.concurrency) {
    for (const target of targetOrder) {
      const cell = findCell(cells, target, operation, clients);
      if (!cell) continue;
      rowsDisturbed ||= disturbed(cell);
      rows.push([
        String(clients),
        targetLabels[target],
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
