// What a server-side assignor of a KIP-848 consumer group sees and returns (Kafka's
// ConsumerGroupPartitionAssignor, GroupSpec and SubscribedTopicDescriber). The coordinator calls
// assign() with every member's subscribed topic ids and current target assignment; the result
// must give each partition of the subscribed topics to exactly one member subscribed to its topic.

import type { TopicPartitions } from './Assignment.ts'

export interface MemberSubscriptionSpec {
  readonly instanceId: string | null
  readonly rackId: string | null
  /** existing topics only */
  readonly subscribedTopicIds: ReadonlySet<string>
  /** the member's current target assignment, the starting point of a sticky assignor */
  readonly assignment: TopicPartitions
}

export interface GroupSpec {
  readonly members: ReadonlyMap<string, MemberSubscriptionSpec>
  /** every member subscribes to the same topics */
  readonly homogeneous: boolean
}

/** The partition count of a subscribed topic, or -1 if it does not exist. */
export type NumPartitions = (topicId: string) => number

/** member id -> its new target assignment */
export type GroupAssignment = Map<string, TopicPartitions>

export interface ConsumerGroupPartitionAssignor {
  /** the name members ask for in ConsumerGroupHeartbeat's serverAssignor */
  readonly name: string
  /** Throws PartitionAssignorError when no valid assignment can be made. */
  assign: (spec: GroupSpec, numPartitions: NumPartitions) => GroupAssignment
}

export class PartitionAssignorError extends Error {
  override readonly name = 'PartitionAssignorError'
}

/** Member ids in a fixed order, so that the same input always gives the same assignment. */
export function sortedMemberIds (spec: GroupSpec): string[] {
  return [...spec.members.keys()].sort()
}

export function numPartitionsOrThrow (numPartitions: NumPartitions, topicId: string): number {
  const n = numPartitions(topicId)
  if (n < 0) throw new PartitionAssignorError(`Members are subscribed to topic ${topicId} which doesn't exist in the topic metadata.`)
  return n
}
