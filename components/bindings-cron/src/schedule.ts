/**
 * The schedules Dapr's cron binding accepts, checked by the same grammar, so a file daprd
 * refuses is refused here too (and one it takes is taken):
 *
 * - 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first;
 *   each field a comma list of `*`, `?`, `n`, `n-m`, with an optional `/step` (`n/step` means
 *   `n-max/step`); months `jan`–`dec` and weekdays `sun`–`sat` by name; weekdays 0–6;
 * - descriptors `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`),
 *   `@hourly`, and `@every <Go duration>` (for example `@every 15m`, `@every 1h30m`);
 * - an optional `TZ=<zone>` or `CRON_TZ=<zone>` prefix (IANA names) for the fields' time zone.
 *
 * Timing is croner's; this module turns the expression into the explicit 6-field pattern
 * croner runs, keeping Dapr's day rule: when neither day field is `*` (or `?`), a day matches
 * either of them; otherwise both.
 */
export type Schedule =
  | { kind: 'every'; intervalMs: number }
  | { kind: 'cron'; pattern: string; timezone?: string };

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const monthNames = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dayNames = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const fields: Bounds[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames },
  { name: 'day of week', min: 0, max: 6, names: dayNames },
];

const descriptors: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const goDurationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's `time.ParseDuration`: signed sequence of decimal numbers with units; a bare number only as `0`. */
function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const match = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (!match) throw new Error(`invalid duration "${text}" (Go syntax, for example 10s, 15m, 1h30m)`);
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * goDurationUnits[part[2]!]!;
  }
  return match[1] === '-' ? -total : total;
}

function number(text: string, bounds: Bounds, expression: string): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) throw new Error(`${bounds.name}: "${text}" is not a number${bounds.names ? ' or a name' : ''} (in "${expression}")`);
  return Number(text);
}

/** One field as the values it matches, and whether it was a plain `*`/`?` (Dapr's day rule needs to know). */
function parseField(field: string, bounds: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const expression of field.split(',').filter((part) => part !== '')) {
    const [range = '', stepText, ...extraSlashes] = expression.split('/');
    if (extraSlashes.length > 0) throw new Error(`${bounds.name}: too many slashes in "${expression}"`);
    const [lowText = '', highText, ...extraHyphens] = range.split('-');
    if (extraHyphens.length > 0) throw new Error(`${bounds.name}: too many hyphens in "${expression}"`);
    let low: number;
    let high: number;
    let wildcard = false;
    if (lowText === '*' || lowText === '?') {
      if (highText !== undefined) throw new Error(`${bounds.name}: "${expression}" is not a range`);
      [low, high, wildcard] = [bounds.min, bounds.max, true];
    } else {
      low = number(lowText, bounds, expression);
      high = highText === undefined ? low : number(highText, bounds, expression);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw new Error(`${bounds.name}: step "${stepText}" is not a number (in "${expression}")`);
      step = Number(stepText);
      if (highText === undefined) high = bounds.max; // "n/step" runs from n to the end
    }
    if (low < bounds.min) throw new Error(`${bounds.name}: ${low} is below the minimum ${bounds.min} (in "${expression}")`);
    if (high > bounds.max) throw new Error(`${bounds.name}: ${high} is above the maximum ${bounds.max} (in "${expression}")`);
    if (low > high) throw new Error(`${bounds.name}: range ${low}-${high} runs backwards (in "${expression}")`);
    if (step === 0) throw new Error(`${bounds.name}: a step must be positive (in "${expression}")`);
    if (wildcard && step === 1) star = true;
    for (let value = low; value <= high; value += step) values.add(value);
  }
  if (values.size === 0) throw new Error(`${bounds.name}: empty field`);
  return { values, star };
}

function checkTimezone(zone: string): string | undefined {
  if (zone === 'Local') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`unknown time zone "${zone}" (use an IANA name such as Europe/Paris or UTC)`);
  }
  return zone;
}

/** Parses a `schedule` value; throws an Error saying what is wrong with it. */
export function parseSchedule(spec: string): Schedule {
  let text = spec.trim();
  if (text === '') throw new Error('the schedule is empty');
  let timezone: string | undefined;
  const zoned = /^(?:CRON_)?TZ=(\S*)\s+(.*)$/s.exec(text);
  if (zoned) {
    timezone = checkTimezone(zoned[1]!);
    text = zoned[2]!.trim();
  } else if (/^(?:CRON_)?TZ=/.test(text)) {
    throw new Error('a TZ= prefix must be followed by a schedule');
  }
  if (text.startsWith('@')) {
    if (text.startsWith('@every ')) {
      const intervalMs = parseGoDuration(text.slice('@every '.length).trim());
      // A zero or negative interval would fire without pause; Dapr would spin, Mecha refuses.
      if (!(intervalMs >= 1)) throw new Error(`@every needs an interval of at least 1ms (got "${text.slice(7).trim()}")`);
      return { kind: 'every', intervalMs };
    }
    const pattern = descriptors[text];
    if (!pattern) throw new Error(`unknown descriptor "${text}" (known: ${Object.keys(descriptors).join(', ')}, @every <duration>)`);
    return { kind: 'cron', pattern, ...(timezone ? { timezone } : {}) };
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found ${parts.length}`);
  }
  if (parts.length === 5) parts.unshift('0');
  const parsed = parts.map((part, index) => parseField(part, fields[index]!));
  const explicit = parsed.map(({ values, star }, index) => (star ? '*' : [...values].sort((a, b) => a - b).join(',')) || String(fields[index]!.min));
  return { kind: 'cron', pattern: explicit.join(' '), ...(timezone ? { timezone } : {}) };
}
