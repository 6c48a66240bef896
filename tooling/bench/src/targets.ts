import type { CellResult, OperationName, SectionName, TargetName } from './cell-result.ts';
import type { StartupResult } from './startup.ts';

/** One figure checked against its goal. A miss is reported, never turned into a failed run. */
export interface TargetCheck {
  name: string;
  value: number;
  unit: string;
  goal: string;
  pass: boolean;
  /** Why a figure that meets its goal still does not count (failed requests in its cells). */
  note?: string;
}

export function findCell(cells: readonly CellResult[], section: SectionName, target: TargetName, operation: OperationName, clients: number): CellResult | undefined {
  return cells.find((c) => c.section === section && c.target === target && c.operation === operation && c.clients === clients);
}

function failures(cells: readonly (CellResult | undefined)[]): string | undefined {
  const bad = cells.filter((c): c is CellResult => c !== undefined && c.non2xx + c.errors > 0);
  if (bad.length === 0) return undefined;
  return bad.map((c) => `${c.target} ×${c.clients}: ${c.non2xx} non-2xx, ${c.errors} errors`).join('; ');
}

function check(name: string, value: number, unit: string, goal: string, meets: (v: number) => boolean, involved: (CellResult | undefined)[]): TargetCheck {
  const note = involved.some((c) => c === undefined) ? 'not measured' : failures(involved);
  return { name, value, unit, goal, pass: Number.isFinite(value) && meets(value) && note === undefined, ...(note ? { note } : {}) };
}

/**
 * mechad/minimal throughput at the highest concurrency; for SQLite also the p99 mechad adds over
 * in-process at one client (for a database the in-process row is its bare client, reported for
 * context only).
 */
export function operationTargets(cells: readonly CellResult[], section: SectionName, operation: OperationName, high: number, low: number): TargetCheck[] {
  const mechadHigh = findCell(cells, section, 'mechad', operation, high);
  const minimalHigh = findCell(cells, section, 'minimal', operation, high);
  const mechadLow = findCell(cells, section, 'mechad', operation, low);
  const inProcessLow = findCell(cells, section, 'in-process', operation, low);
  const checks = [
    check(
      `mechad / minimal throughput at ${high} clients`,
      (mechadHigh?.requestsPerSecond ?? Number.NaN) / (minimalHigh?.requestsPerSecond ?? Number.NaN),
      '',
      '≥ 0.80',
      (v) => v >= 0.8,
      [mechadHigh, minimalHigh],
    ),
  ];
  if (section !== 'sqlite') return checks;
  return [
    ...checks,
    check(
      `mechad p99 − in-process p99 at ${low} client${low === 1 ? '' : 's'}`,
      (mechadLow?.p99 ?? Number.NaN) - (inProcessLow?.p99 ?? Number.NaN),
      'ms',
      '< 0.5 ms',
      (v) => v < 0.5,
      [mechadLow, inProcessLow],
    ),
  ];
}

export function startupTarget(startup: StartupResult): TargetCheck {
  return {
    name: `mechad start-up with ${startup.components.length} components (median of ${startup.startsMs.length})`,
    value: startup.medianMs,
    unit: 'ms',
    goal: '< 500 ms',
    pass: startup.medianMs < 500,
  };
}
