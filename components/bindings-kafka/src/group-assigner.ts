import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import type { KafkaAssignmentStrategy } from './kafka-binding-options.ts';

export interface GroupMember {
  memberId: string;
  topics: readonly string[];
}

/** Partitions per topic, per member id. */
export type Assignment = Map<string, Record<string, number[]>>;

/**
 * Spreads each topic's partitions over the members subscribed to it, as Kafka's own
 * assignors of these names do, so members of other Kafka clients (daprd's sarama among them)
 * can share the group:
 *
 * - `range`: per topic, the members sorted by id take consecutive ranges, the first ones one more;
 * - `roundrobin`: every topic-partition in order, dealt to the sorted members in turn,
 *   skipping members not subscribed to its topic.
 */
export function assignPartitions(strategy: KafkaAssignmentStrategy, members: readonly GroupMember[], partitions: ReadonlyMap<string, readonly number[]>): Assignment {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const plan: Assignment = new Map(sorted.map((member) => [member.memberId, {}]));
  const give = (memberId: string, topic: string, partition: number) => (plan.get(memberId)![topic] ??= []).push(partition);
  const topics = [...partitions.keys()].sort();
  if (strategy === 'range') {
    for (const topic of topics) {
      const subscribers = sorted.filter((member) => member.topics.includes(topic));
      if (subscribers.length === 0) continue;
      const ids = [...partitions.get(topic)!].sort((a, b) => a - b);
      const base = Math.floor(ids.length / subscribers.length);
      const extra = ids.length % subscribers.length;
      subscribers.forEach((member, index) => {
        const start = base * index + Math.min(index, extra);
        for (const partition of ids.slice(start, start + base + (index < extra ? 1 : 0))) give(member.memberId, topic, partition);
      });
    }
    return plan;
  }
  let turn = 0;
  for (const topic of topics) {
    if (!sorted.some((member) => member.topics.includes(topic))) continue;
    for (const partition of [...partitions.get(topic)!].sort((a, b) => a - b)) {
      while (!sorted[turn % sorted.length]!.topics.includes(topic)) turn++;
      give(sorted[turn % sorted.length]!.memberId, topic, partition);
      turn++;
    }
  }
  return plan;
}

/** A kafkajs assigner speaking Kafka's `range` or `roundrobin` group protocol. */
export function groupAssigner(strategy: KafkaAssignmentStrategy): PartitionAssigner {
  return ({ cluster }) => ({
    name: strategy,
    version: 0,
    async assign({ members }) {
      const subscribed = members.map(({ memberId, memberMetadata }) => ({
        memberId,
        topics: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? [],
      }));
      const topics = [...new Set(subscribed.flatMap((member) => member.topics))];
      // The leader may not know the partitions of topics only other members subscribed to.
      await cluster.addMultipleTargetTopics(topics);
      const partitions = new Map(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((entry) => entry.partitionId)]));
      const plan = assignPartitions(strategy, subscribed, partitions);
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: plan.get(memberId) ?? {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: strategy, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
  });
}
