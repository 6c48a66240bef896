import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../src/concurrency-limit.ts';

describe('ConcurrencyLimit', () => {
  it('lets `size` holders in, then the waiting ones in arrival order, as slots come back', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: string[] = [];
    const first = await limit.acquire();
    const second = await limit.acquire();
    const third = limit.acquire().then((release) => (order.push('third'), release));
    const fourth = limit.acquire().then((release) => (order.push('fourth'), release));
    await Promise.resolve();
    expect(limit.busy).toBe(2);
    expect(order).toEqual([]);
    first();
    first(); // a second call must not free another slot
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    expect(limit.busy).toBe(2);
    second();
    (await fourth)();
    releaseThird();
    expect(limit.busy).toBe(0);
  });

  it('refuses a size below one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(/at least 1/);
    expect(() => new ConcurrencyLimit(1.5)).toThrow(/whole number/);
  });
});
