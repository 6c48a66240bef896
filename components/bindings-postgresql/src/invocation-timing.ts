/**
 * The timing metadata Dapr's SQL bindings return: `start-time` and `end-time` as RFC 3339
 * with nanoseconds in UTC (Go's `time.RFC3339Nano`, trailing zeros dropped) and `duration` in
 * Go's `time.Duration` notation (`1.5ms`, `2m3.4s`).
 */
export interface InvocationTiming {
  startTime: string;
  /** Ends the measurement: `end-time` and `duration`. */
  finish(): { endTime: string; duration: string };
}

// Wall-clock nanoseconds: the epoch at load plus the monotonic clock since, so a duration never goes negative.
const epochAtLoadNs = BigInt(Date.now()) * 1_000_000n;
const monotonicAtLoad = process.hrtime.bigint();
const nowNs = () => epochAtLoadNs + (process.hrtime.bigint() - monotonicAtLoad);

export function startTiming(): InvocationTiming {
  const start = nowNs();
  return {
    startTime: formatRfc3339Nano(start),
    finish() {
      const end = nowNs();
      return { endTime: formatRfc3339Nano(end), duration: formatGoDuration(end - start) };
    },
  };
}

export function formatRfc3339Nano(epochNs: bigint): string {
  const ms = epochNs / 1_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  const fraction = (epochNs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${fraction ? `.${fraction}` : ''}Z`;
}

/** Go's `time.Duration.String()` for a non-negative duration in nanoseconds. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${ns}ns`;
  if (ns < 1_000_000n) return `${decimal(ns, 3)}µs`;
  if (ns < 1_000_000_000n) return `${decimal(ns, 6)}ms`;
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = decimal(ns % 60_000_000_000n, 9);
  if (hours > 0n) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** `value / 10^digits` written without trailing zeros. */
function decimal(value: bigint, digits: number): string {
  const unit = 10n ** BigInt(digits);
  const fraction = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${value / unit}${fraction ? `.${fraction}` : ''}`;
}
