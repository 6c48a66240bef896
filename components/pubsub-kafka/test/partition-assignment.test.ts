import { describe, expect, it } from 'vitest';
import { planAssignment } from '../src/partition-assignment.ts';

const members = [
  { memberId: 'b', topics: ['orders', 'payments'] },
  { memberId: 'a', topics: ['orders'] },
  { memberId: 'c', topics: ['payments'] },
];
const topics = [
  { topic: 'payments', partitions: [3, 2, 1, 0] },
  { topic: 'orders', partitions: [0, 1, 2, 3, 4] },
];

describe('planAssignment', () => {
  it('range: consecutive ranges per topic among its subscribers only, the first ones one more', () => {
    const plan = planAssignment('range', members, topics);
    expect(Object.fromEntries(plan)).toEqual({
      a: { orders: [0, 1, 2] },
      b: { orders: [3, 4], payments: [0, 1] },
      c: { payments: [2, 3] },
    });
  });

  it('roundrobin: partitions dealt in turn, skipping members not subscribed to the topic', () => {
    const plan = planAssignment('roundrobin', members, topics);
    expect(Object.fromEntries(plan)).toEqual({
      a: { orders: [0, 2, 4] },
      b: { orders: [1, 3], payments: [0, 2] },
      c: { payments: [1, 3] },
    });
  });

  it('assigns every partition exactly once, and nothing of a topic nobody subscribed to', () => {
    for (const strategy of ['range', 'roundrobin'] as const) {
      const plan = planAssignment(strategy, members, [
        ...topics,
        { topic: 'nobody', partitions: [0] },
      ]);
      const given = [...plan.values()].flatMap((assignment) =>
        Object.entries(assignment).flatMap(([topic, partitions]) =>
          partitions.map((p) => `${topic}/${p}`),
        ),
      );
      expect(given.sort()).toEqual([
        'orders/0',
        'orders/1',
        'orders/2',
        'orders/3',
        'orders/4',
        'payments/0',
        'payments/1',
        'payments/2',
        'payments/3',
      ]);
    }
  });

  it('gives members beyond the partition count nothing, and handles no members', () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ memberId: `m${i}`, topics: ['orders'] }));
    const plan = planAssignment('range', many, [{ topic: 'orders', partitions: [0, 1] }]);
    expect(plan.get('m0')).toEqual({ orders: [0] });
    expect(plan.get('m1')).toEqual({ orders: [1] });
    expect(plan.get('m5')).toEqual({});
    expect(planAssignment('roundrobin', [], topics).size).toBe(0);
  });
});
