import { describe, expect, it } from 'vitest';
import { ComponentHealth } from '../../src/component-health.ts';

describe('ComponentHealth', () => {
  it('reports each probe as UP or DOWN with its reason, and a probe that hangs as DOWN after the timeout', async () => {
    const health = new ComponentHealth(50);
    health.add({ name: 'fine', ping: async () => {} });
    health.add({ name: 'broken', ping: async () => Promise.reject(new Error('connection refused 127.0.0.1:1')) });
    health.add({ name: 'hanging', ping: () => new Promise<void>(() => {}) });
    expect(await health.check()).toEqual([
      { name: 'fine', status: 'UP' },
      { name: 'broken', status: 'DOWN', message: 'connection refused 127.0.0.1:1' },
      { name: 'hanging', status: 'DOWN', message: 'no answer within 50 ms' },
    ]);
  });

  it('has nothing to report without probes', async () => {
    expect(await new ComponentHealth().check()).toEqual([]);
  });
});
