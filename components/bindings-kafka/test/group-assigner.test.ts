import { describe, expect, it } from 'vitest';
import { assignPartitions } from '../src/group-assigner.ts';

const plan = (assignment: Map<string, Record<string, number[]>>) => Object.fromEntries(assignment);

describe('assignPartitions', () => {
  const members = [
    { memberId: 'b', topics: ['orders', 'payments'] },
    { memberId: 'a', topics: ['orders', 'payments'] },
  ];
  const partitions = new Map([
    ['orders', [2, 0, 1]],
    ['payments', [0, 1]],
  ]);

  it('range: per topic, consecutive ranges to the members sorted by id, the first ones one more', () => {
    expect(plan(assignPartitions('range', members, partitions))).toEqual({
      a: { orders: [0, 1], payments: [0] },
      b: { orders: [2], payments: [1] },
    });
  });

  it('roundrobin: every topic-partition dealt in turn', () => {
    expect(plan(assignPartitions('roundrobin', members, partitions))).toEqual({
      a: { orders: [0, 2], payments: [1] },
      b: { orders: [1], payments: [0] },
    });
  });

  it('gives a topic only to the members subscribed to it, and nothing to a member with no partitions', () => {
    const mixed = [
      { memberId: 'a', topics: ['orders'] },
      { memberId: 'b', topics: ['payments'] },
      { memberId: 'c', topics: ['orders'] },
    ];
    for (const strategy of ['range', 'roundrobin'] as const) {
      const result = plan(assignPartitions(strategy, mixed, new Map([['orders', [0]], ['payments', [0, 1]]])));
      expect(result['b']).toEqual({ payments: [0, 1] });
      expect([...(result['a']?.['orders'] ?? []), ...(result['c']?.['orders'] ?? [])]).toEqual([0]);
    }
  });
});
