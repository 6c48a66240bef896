import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/index.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['10', 10_000],
    ['-1s', -1000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes numbers as seconds', () => {
    expect(parseDuration(3)).toBe(3000);
  });

  it.each(['', 'soon', '5 s', '5x', 's', '1m30'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});
