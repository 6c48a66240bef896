/**
 * Parses a duration the way Dapr resource files write them: Go's `time.ParseDuration`
 * syntax (`500ms`, `5s`, `1m30s`, `2h`), or a bare number of seconds as many Dapr
 * components also accept. Returns milliseconds.
 */
const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(input: string | number): number {
  if (typeof input === 'number') return input * 1000;
  const text = input.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  const negative = text.startsWith('-');
  pattern.lastIndex = negative ? 1 : 0;
  consumed = pattern.lastIndex;
  while ((match = pattern.exec(text)) !== null) {
    total += Number(match[1]) * (unitMs[match[2]!] ?? 0);
    consumed = pattern.lastIndex;
  }
  if (consumed !== text.length || consumed === (negative ? 1 : 0)) {
    throw new TypeError(`invalid duration "${input}" (expected for example 500ms, 5s, 1m30s)`);
  }
  return negative ? -total : total;
}
