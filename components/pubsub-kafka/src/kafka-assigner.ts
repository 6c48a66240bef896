import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { planAssignment, type AssignmentStrategy } from './partition-assignment.ts';

/**
 * A kafkajs partition assigner speaking Kafka's `range` or `roundrobin` protocol, aware of
 * which topics each member subscribed to. The group leader learns the partitions of topics
 * other members subscribed to by adding them to its cluster metadata.
 */
export function subscriptionAwareAssigner(strategy: AssignmentStrategy): PartitionAssigner {
  return ({ cluster }) => ({
    name: strategy,
    version: 0,
    async assign({ members }) {
      const subscriptions = members.map(({ memberId, memberMetadata }) => ({
        memberId,
        topics: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? [],
      }));
      const topics = [...new Set(subscriptions.flatMap((subscription) => subscription.topics))];
      await cluster.addMultipleTargetTopics(topics);
      const plan = planAssignment(
        strategy,
        subscriptions,
        topics.map((topic) => ({
          topic,
          partitions: cluster
            .findTopicPartitionMetadata(topic)
            .map((partition) => partition.partitionId),
        })),
      );
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: plan.get(memberId) ?? {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: strategy,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.alloc(0),
        }),
      };
    },
  });
}
