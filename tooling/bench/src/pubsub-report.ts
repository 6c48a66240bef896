import type { PubSubSectionName } from './cell-result.ts';
import type { BenchOptions } from './options.ts';
import { brokerFacts, describeTuning, pubsubName } from './pubsub-brokers.ts';
import { bulkSubscribeSettings, findPubSubCell, pubsubTargetNames, sectionBroker, type PubSubCellResult, type PubSubTarget } from './pubsub-cell.ts';
import { formatCheck, otherCpuWarning } from './report.ts';
import type { TargetCheck } from './targets.ts';

/** The pub/sub target: mechad keeps at least this share of the bare client's delivered messages/s. */
export const pubsubThroughputGoal = 0.7;

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)}%`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function pubsubTargetLabel(section: PubSubSectionName, target: PubSubTarget): string {
  const broker = sectionBroker(section);
  const component = `pubsub.${broker === 'mqtt' ? 'mqtt3' : broker}`;
  if (target === 'mechad') return `mechad (HTTP) → app, ${component}`;
  if (target === 'mechad-bulk') return `mechad (HTTP, bulk APIs) → app, ${component}`;
  return `bare ${brokerFacts[broker].client}`;
}

/** Cells whose messages did not all arrive, or whose publishes failed: a ratio over them does not count. */
function failures(cells: readonly (PubSubCellResult | undefined)[]): string | undefined {
  const bad = cells.filter((c): c is PubSubCellResult => c !== undefined && c.lost + c.publishErrors > 0);
  if (bad.length === 0) return undefined;
  return bad.map((c) => `${c.target} ×${c.inflight}: ${c.lost} lost, ${c.publishErrors} failed publishes`).join('; ');
}

/**
 * mechad / bare delivered messages/s, at each in-flight limit: the ≥ 0.70 target, checked for a
 * message per request (the issue's figure) and, apart, for the bulk APIs.
 */
export function pubsubTargets(cells: readonly PubSubCellResult[], section: PubSubSectionName, inflights: readonly number[]): TargetCheck[] {
  return (['mechad', 'mechad-bulk'] as const).flatMap((target) =>
    inflights.map((inflight) => {
      const mechad = findPubSubCell(cells, section, target, inflight);
      const bare = findPubSubCell(cells, section, 'bare', inflight);
      const value = (mechad?.messagesPerSecond ?? Number.NaN) / (bare?.messagesPerSecond ?? Number.NaN);
      const note = mechad === undefined || bare === undefined ? 'not measured' : failures([mechad, bare]);
      const api = target === 'mechad' ? 'a message per request' : 'bulk publish + bulk subscribe; the bare client still publishes one by one';
      return {
        name: `mechad (${api}) / bare ${brokerFacts[sectionBroker(section)].client} delivered msg/s at ${inflight} in flight`,
        value,
        unit: '',
        goal: `≥ ${pubsubThroughputGoal.toFixed(2)}`,
        pass: Number.isFinite(value) && value >= pubsubThroughputGoal && note === undefined,
        ...(note ? { note } : {}),
      };
    }),
  );
}

/** One broker's table, its PASS/MISS lines and the latency ratios. */
export function formatPubSub(section: PubSubSectionName, cells: readonly PubSubCellResult[], options: BenchOptions, checks: readonly TargetCheck[]): string {
  const broker = sectionBroker(section);
  const facts = brokerFacts[broker];
  const rows: string[][] = [];
  let flagged = false;
  for (const inflight of options.pubsubInflight) {
    for (const target of pubsubTargetNames) {
      const cell = findPubSubCell(cells, section, target, inflight);
      if (!cell) continue;
      const disturbed = (cell.otherCpu ?? 0) > otherCpuWarning;
      flagged ||= disturbed;
      rows.push([
        String(inflight),
        pubsubTargetLabel(section, target),
        thousands(cell.messagesPerSecond),
        cell.roundsMessagesPerSecond.map(thousands).join(' / '),
        fixed(cell.p50, 2),
        fixed(cell.p99, 2),
        fixed(cell.publishP50, 2),
        String(cell.duplicates),
        String(cell.lost + cell.publishErrors),
        percent(cell.driverCpu),
        target === 'bare' ? '–' : percent(cell.mechadCpu),
        percent(cell.brokerCpu),
        percent(cell.machineCpu),
        `${percent(cell.otherCpu)}${disturbed ? ' *' : ''}`,
      ]);
    }
  }
  const header = ['in flight', 'target', 'msg/s', 'each round', 'p50 ms', 'p99 ms', 'publish p50', 'dup', 'lost', 'client CPU', 'mechad CPU', 'broker CPU', 'machine CPU', 'other CPU'];
  const ratios = options.pubsubInflight.flatMap((inflight) =>
    (['mechad', 'mechad-bulk'] as const).map((target) => {
      const mechad = findPubSubCell(cells, section, target, inflight);
      const bare = findPubSubCell(cells, section, 'bare', inflight);
      return `${target} ×${inflight}: p50 ${fixed((mechad?.p50 ?? Number.NaN) / (bare?.p50 ?? Number.NaN), 2)}, p99 ${fixed((mechad?.p99 ?? Number.NaN) / (bare?.p99 ?? Number.NaN), 2)}`;
    }),
  );
  return [
    `pub/sub on ${facts.server} — publish → deliver, ${options.pubsubMessages.toLocaleString('en-US')} messages per cell (after ${options.pubsubWarmupMessages.toLocaleString('en-US')} unmeasured), ` +
      `each a ${options.valueChars}-char value in a small JSON object; mechad: POST /v1.0/publish/${pubsubName}/<topic> → pubsub.${broker === 'mqtt' ? 'mqtt3' : broker} (${describeTuning(broker, Math.max(...options.pubsubInflight))}) → ` +
      `POST /deliver on the app (CloudEvent), answered {"status":"SUCCESS"}, acknowledged after; ` +
      `mechad bulk: the publishes of one tick as one POST /v1.0-alpha1/publish/bulk/${pubsubName}/<topic>, delivered with bulkSubscribe ` +
      `(${Object.entries(bulkSubscribeSettings(Math.max(...options.pubsubInflight))).map(([name, value]) => `${name}: ${value}`).join(', ')}), each entry answered SUCCESS; ` +
      `bare ${facts.client}, one process: ${facts.baseline}`,
    '',
    table(header, rows),
    `msg/s: messages delivered per second, first publish → last delivery; latencies: publish call → delivery to the subscriber (ms), and publish call → publish confirmed.`,
    `Figures are the median round's (by msg/s) of ${options.rounds}; "each round" lists every round's msg/s in the order they ran. lost counts undelivered messages and failed publishes.`,
    ...(flagged ? [`* other programs or kernel threads used over ${otherCpuWarning}% of a core during this row: its figures may be disturbed.`] : []),
    '',
    ...checks.map(formatCheck),
    `  latency ratio mechad / bare — ${ratios.join('; ')}`,
  ].join('\n');
}
