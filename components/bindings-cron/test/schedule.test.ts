import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../src/schedule.ts';

/** The next `count` firings of a parsed cron schedule after `from`, as ISO dates (UTC). */
function firings(spec: string, from: string, count = 4): string[] {
  const schedule = parseSchedule(spec);
  if (schedule.kind !== 'cron') throw new Error('not a cron schedule');
  const job = new Cron(schedule.pattern, { paused: true, timezone: schedule.timezone ?? 'UTC', mode: '6-part' });
  return job.nextRuns(count, new Date(from)).map((date) => date.toISOString());
}

describe('parseSchedule: what Dapr accepts', () => {
  it('takes 5 fields (seconds 0) and 6 fields (seconds first)', () => {
    expect(parseSchedule('*/15 * * * *')).toEqual({ kind: 'cron', pattern: '0 0,15,30,45 * * * *' });
    expect(parseSchedule('15 * * * * *')).toEqual({ kind: 'cron', pattern: '15 * * * * *' });
    expect(firings('30 9 * * *', '2026-03-01T00:00:00Z', 2)).toEqual(['2026-03-01T09:30:00.000Z', '2026-03-02T09:30:00.000Z']);
  });

  it('takes names, ranges, lists, steps and "n/step" as n to the end', () => {
    expect(parseSchedule('0 0 * JAN-mar mon,Wed')).toEqual({ kind: 'cron', pattern: '0 0 0 * 1,2,3 1,3' });
    expect(parseSchedule('0 10/20 * * * ?')).toEqual({ kind: 'cron', pattern: '0 10,30,50 * * * *' });
    expect(parseSchedule('0 0 1-10/3 * *')).toEqual({ kind: 'cron', pattern: '0 0 0 1,4,7,10 * *' });
  });

  it("keeps Dapr's day rule: both day fields restricted means either; one a star means both", () => {
    // 2026-02-13 is a Friday.
    expect(firings('0 0 13 * 5', '2026-02-01T00:00:00Z')).toEqual([
      '2026-02-06T00:00:00.000Z',
      '2026-02-13T00:00:00.000Z',
      '2026-02-20T00:00:00.000Z',
      '2026-02-27T00:00:00.000Z',
    ]);
    expect(firings('0 0 * * 5', '2026-02-01T00:00:00Z', 2)).toEqual(['2026-02-06T00:00:00.000Z', '2026-02-13T00:00:00.000Z']);
    // A stepped star is a restriction, as in Dapr: */2 days OR Mondays.
    expect(parseSchedule('0 0 */2 * 1').kind).toBe('cron');
    expect(firings('0 0 */10 * 1', '2026-01-31T12:00:00Z', 4)).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-02-02T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
      '2026-02-11T00:00:00.000Z',
    ]);
  });

  it('takes the descriptors and @every with Go durations', () => {
    expect(parseSchedule('@hourly')).toEqual({ kind: 'cron', pattern: '0 0 * * * *' });
    expect(parseSchedule('@midnight')).toEqual(parseSchedule('@daily'));
    expect(parseSchedule('@annually')).toEqual(parseSchedule('@yearly'));
    expect(firings('@weekly', '2026-02-04T12:00:00Z', 1)).toEqual(['2026-02-08T00:00:00.000Z']); // a Sunday
    expect(parseSchedule('@every 15m')).toEqual({ kind: 'every', intervalMs: 900_000 });
    expect(parseSchedule('@every 1h30m')).toEqual({ kind: 'every', intervalMs: 5_400_000 });
    expect(parseSchedule('@every 250ms')).toEqual({ kind: 'every', intervalMs: 250 });
    expect(parseSchedule('@every 1.5s')).toEqual({ kind: 'every', intervalMs: 1500 });
  });

  it('takes a TZ= or CRON_TZ= prefix and runs the fields in that zone', () => {
    expect(parseSchedule('TZ=Asia/Tokyo 0 9 * * *')).toEqual({ kind: 'cron', pattern: '0 0 9 * * *', timezone: 'Asia/Tokyo' });
    expect(parseSchedule('CRON_TZ=UTC @daily')).toEqual({ kind: 'cron', pattern: '0 0 0 * * *', timezone: 'UTC' });
    expect(parseSchedule('TZ=Local 0 9 * * *')).toEqual({ kind: 'cron', pattern: '0 0 9 * * *' });
    // 09:00 in Tokyo is midnight UTC.
    expect(firings('TZ=Asia/Tokyo 0 9 * * *', '2026-03-01T12:00:00Z', 1)).toEqual(['2026-03-02T00:00:00.000Z']);
  });
});

describe('parseSchedule: what Dapr refuses', () => {
  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['bogus', /expected 5 fields .* found 1/],
    ['* * * *', /found 4/],
    ['* * * * * * *', /found 7/],
    ['61 * * * *', /minute: 61 is above the maximum 59/],
    ['0 24 * * *', /hour: 24 is above the maximum 23/],
    ['0 0 0 * *', /day of month: 0 is below the minimum 1/],
    ['0 0 * 13 *', /month: 13 is above the maximum 12/],
    ['0 0 * * 7', /day of week: 7 is above the maximum 6/],
    ['0 0 * * L', /day of week: "L" is not a number or a name/],
    ['0 0 5-1 * *', /runs backwards/],
    ['*/0 * * * *', /step must be positive/],
    ['1-2-3 * * * *', /too many hyphens/],
    ['1/2/3 * * * *', /too many slashes/],
    ['*-5 * * * *', /not a range/],
    ['@every', /unknown descriptor/],
    ['@every 10', /invalid duration "10"/],
    ['@every -5s', /at least 1ms/],
    ['@every 0', /at least 1ms/],
    ['@fortnightly', /unknown descriptor "@fortnightly"/],
    ['@Hourly', /unknown descriptor/],
    ['TZ=Mars/Olympus 0 9 * * *', /unknown time zone "Mars\/Olympus"/],
    ['TZ=UTC', /must be followed by a schedule/],
  ];
  for (const [spec, message] of refused) {
    it(`refuses ${JSON.stringify(spec)}`, () => {
      expect(() => parseSchedule(spec)).toThrow(message);
    });
  }
});
