/**
 * A UTC instant as Go's `time.Time.String()` prints it (`2006-01-02 15:04:05.999999999 -0700 MST`),
 * which is the format of the cron binding's `readTimeUTC` metadata: fractional seconds without
 * trailing zeros (none at all on a whole second), then `+0000 UTC`.
 */
export function goUtcTimeString(date: Date): string {
  const iso = date.toISOString(); // 2024-01-02T03:04:05.678Z
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}
