/** How partitions are spread over a group's members; the names are Kafka's protocol names. */
export type AssignmentStrategy = 'range' | 'roundrobin';

export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
}

export interface TopicPartitions {
  topic: string;
  partitions: readonly number[];
}

/** Partitions per topic, per member id. */
export type AssignmentPlan = Map<string, Record<string, number[]>>;

/**
 * Assigns each topic's partitions among the members subscribed to that topic only, as Kafka's
 * own range and round-robin assignors do. (kafkajs's built-in assignor spreads every topic
 * over every member, which strands partitions on members of the same group that subscribed
 * to other topics: here each subscription is its own member.)
 *
 * - `range`: per topic, members sorted by id get consecutive ranges, the first ones one more.
 * - `roundrobin`: all topic-partitions in order, dealt to the sorted members in turn,
 *   skipping members not subscribed to the partition's topic.
 */
export function planAssignment(
  strategy: AssignmentStrategy,
  members: readonly MemberSubscription[],
  topics: readonly TopicPartitions[],
): AssignmentPlan {
  const sorted = [...members].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  );
  const plan: AssignmentPlan = new Map(sorted.map((member) => [member.memberId, {}]));
  const give = (memberId: string, topic: string, partition: number) => {
    const assignment = plan.get(memberId)!;
    (assignment[topic] ??= []).push(partition);
  };
  const ordered = [...topics]
    .map(({ topic, partitions }) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  if (strategy === 'range') {
    for (const { topic, partitions } of ordered) {
      const subscribers = sorted.filter((member) => member.topics.includes(topic));
      if (subscribers.length === 0) continue;
      const base = Math.floor(partitions.length / subscribers.length);
      const extra = partitions.length % subscribers.length;
      subscribers.forEach((member, index) => {
        const start = base * index + Math.min(index, extra);
        const length = base + (index < extra ? 1 : 0);
        for (const partition of partitions.slice(start, start + length))
          give(member.memberId, topic, partition);
      });
    }
    return plan;
  }
  let next = 0;
  for (const { topic, partitions } of ordered) {
    if (!sorted.some((member) => member.topics.includes(topic))) continue;
    for (const partition of partitions) {
      while (!sorted[next % sorted.length]!.topics.includes(topic)) next++;
      give(sorted[next % sorted.length]!.memberId, topic, partition);
      next++;
    }
  }
  return plan;
}
