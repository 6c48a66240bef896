import { describe, expect, it } from 'vitest';
import { goUtcTimeString } from '../src/go-time-string.ts';

describe('goUtcTimeString', () => {
  it("prints Go's time.Time.String() for UTC, without trailing zeros in the fraction", () => {
    expect(goUtcTimeString(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02 03:04:05.678 +0000 UTC');
    expect(goUtcTimeString(new Date('2024-01-02T03:04:05.600Z'))).toBe('2024-01-02 03:04:05.6 +0000 UTC');
    expect(goUtcTimeString(new Date('2024-12-31T23:59:59.000Z'))).toBe('2024-12-31 23:59:59 +0000 UTC');
  });
});
