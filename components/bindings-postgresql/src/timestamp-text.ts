/**
 * PostgreSQL's ISO text for dates and timestamps turned into the RFC 3339 text Go writes for a
 * `time.Time` (what Dapr's binding returns): `2024-05-06T07:08:09.123456Z`, fraction without
 * trailing zeros, always UTC. `undefined` when Go could not write it either (infinity, BC
 * dates, years past 9999): the caller then keeps PostgreSQL's text.
 */
const pattern = /^(\d{4,})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?$/;

export function timestampToRfc3339(text: string): string | undefined {
  const match = pattern.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hours = '00', minutes = '00', seconds = '00', fraction = '', sign, offsetHours, offsetMinutes = '0', offsetSeconds = '0'] = match;
  const moment = new Date(0);
  moment.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  moment.setUTCHours(Number(hours), Number(minutes), Number(seconds), 0);
  if (sign !== undefined) {
    const offset = (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds)) * 1000;
    moment.setTime(moment.getTime() - (sign === '+' ? offset : -offset));
  }
  const utcYear = moment.getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) return undefined;
  const digits = fraction.replace(/0+$/, '');
  return `${moment.toISOString().slice(0, 19)}${digits ? `.${digits}` : ''}Z`;
}
