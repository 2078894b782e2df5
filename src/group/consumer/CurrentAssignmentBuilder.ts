// Incremental reconciliation of one member towards the group's target assignment (Kafka's
// CurrentAssignmentBuilder). A partition moves between members only in two steps:
//
//   1. its owner is asked to revoke it: the owner stays at its epoch, in UNREVOKED_PARTITIONS,
//      until a heartbeat no longer lists the partition as owned;
//   2. only then is the partition free (no member holds it at any epoch), and the new owner, which
//      waited in UNRELEASED_PARTITIONS, gets it.
//
// So no two members ever hold the same partition, whatever order heartbeats arrive in. A member's
// epoch advances to the target epoch once it has nothing left to revoke. Partitions of topics the
// member no longer subscribes to (or that were deleted) are revoked even before the next target
// assignment is computed.
//
//   STABLE ──target epoch moved──> computeNextAssignment
//   UNREVOKED_PARTITIONS ──owned list no longer has the revoked partitions──> computeNextAssignment
//   UNRELEASED_PARTITIONS ──every heartbeat──> computeNextAssignment (picks up freed partitions)
//   UNKNOWN (written by a newer Kafka) ──the member owns nothing──> computeNextAssignment, else fenced

import { GroupError } from '../ClassicGroup.ts'
import { ErrorCode } from '../../protocol/ErrorCode.ts'
import type { PartitionEpochs, TopicPartitionList, TopicPartitions } from './Assignment.ts'
import { type ConsumerGroupMember, MemberState } from './ConsumerGroupMember.ts'

export interface ReconcileInput {
  readonly targetAssignmentEpoch: number
  readonly targetAssignment: TopicPartitions
  /** The epoch at which some member holds the partition, or -1 when it is free. */
  readonly currentPartitionEpoch: (topicId: string, partition: number) => number
  /** What the member reported owning in this heartbeat; null when it did not say. */
  readonly ownedTopicPartitions: readonly TopicPartitionList[] | null
  /** Topic ids the member subscribes to now (by name or regex, existing topics only). */
  readonly subscribedTopicIds: ReadonlySet<string>
  /** The member's subscription changed in this heartbeat: drop unsubscribed topics at once. */
  readonly subscriptionChanged: boolean
}

/** The member's next state, or the same object when nothing changes. Throws GroupError(FENCED_MEMBER_EPOCH) for a member in an unknown state that still owns partitions. */
export function reconcile (member: ConsumerGroupMember, input: ReconcileInput): ConsumerGroupMember {
  switch (member.state) {
    case MemberState.STABLE:
      if (member.memberEpoch !== input.targetAssignmentEpoch) return computeNextAssignment(member, input, member.memberEpoch)
      if (input.subscriptionChanged) return dropUnsubscribedTopics(member, input)
      return member
    case MemberState.UNREVOKED_PARTITIONS:
      if (ownsAnyOf(input.ownedTopicPartitions, member.partitionsPendingRevocation)) {
        return input.subscriptionChanged ? dropUnsubscribedTopics(member, input) : member
      }
      return computeNextAssignment(member, input, member.memberEpoch)
    case MemberState.UNRELEASED_PARTITIONS:
      return computeNextAssignment(member, input, member.memberEpoch)
    case MemberState.UNKNOWN:
      if (input.ownedTopicPartitions === null || input.ownedTopicPartitions.length > 0) {
        throw new GroupError(ErrorCode.FENCED_MEMBER_EPOCH, 'The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.')
      }
      return computeNextAssignment(member, input, input.targetAssignmentEpoch)
  }
}

/** Whether the member still reports owning any of these partitions (an unknown owned list counts as yes). */
function ownsAnyOf (owned: readonly TopicPartitionList[] | null, partitions: PartitionEpochs): boolean {
  if (owned === null) return true
  for (const t of owned) {
    const pending = partitions.get(t.topicId)
    if (pending === undefined) continue
    for (const p of t.partitions) if (pending.has(p)) return true
  }
  return false
}

function withEpoch (member: ConsumerGroupMember, memberEpoch: number): { memberEpoch: number, previousMemberEpoch: number } {
  // Kafka's updateMemberEpoch: the previous epoch is the epoch the member had before this step.
  return { memberEpoch, previousMemberEpoch: member.memberEpoch }
}

function merge (into: Map<string, Map<number, number>>, topicId: string, partitions: ReadonlyMap<number, number>): void {
  let ps = into.get(topicId)
  if (ps === undefined) into.set(topicId, ps = new Map())
  for (const [p, e] of partitions) ps.set(p, e)
}

/** Moves partitions of topics the member no longer subscribes to into pending revocation. */
function dropUnsubscribedTopics (member: ConsumerGroupMember, input: ReconcileInput): ConsumerGroupMember {
  const assigned = new Map<string, ReadonlyMap<number, number>>()
  const pending = new Map<string, Map<number, number>>()
  for (const [topicId, ps] of member.partitionsPendingRevocation) merge(pending, topicId, ps)
  let removed = false
  for (const [topicId, ps] of member.assignedPartitions) {
    if (input.subscribedTopicIds.has(topicId)) {
      assigned.set(topicId, ps)
    } else {
      removed = true
      merge(pending, topicId, ps)
    }
  }
  if (!removed) return member
  if (pending.size > 0 && ownsAnyOf(input.ownedTopicPartitions, pending)) {
    return { ...member, state: MemberState.UNREVOKED_PARTITIONS, ...withEpoch(member, member.memberEpoch), assignedPartitions: assigned, partitionsPendingRevocation: pending }
  }
  // Removed partitions the member already gave up: just shrink the assignment.
  return { ...member, ...withEpoch(member, member.memberEpoch), assignedPartitions: assigned }
}

function computeNextAssignment (member: ConsumerGroupMember, input: ReconcileInput, memberEpoch: number): ConsumerGroupMember {
  const target = input.targetAssignment
  let hasUnreleasedPartitions = false
  const newAssigned = new Map<string, Map<number, number>>()
  const newPendingRevocation = new Map<string, Map<number, number>>()
  const newPendingAssignment = new Map<string, number[]>()

  const topicIds = new Set([...target.keys(), ...member.assignedPartitions.keys()])
  for (const topicId of topicIds) {
    const targetPartitions: ReadonlySet<number> = input.subscribedTopicIds.has(topicId) ? target.get(topicId) ?? new Set() : new Set()
    const current = member.assignedPartitions.get(topicId) ?? new Map<number, number>()
    const revokingHere = member.partitionsPendingRevocation.get(topicId)
    const assigned = new Map<number, number>()
    const revoking = new Map<number, number>()
    // Kept = current ∩ target (keeping their assignment epochs); revoked = current - target.
    for (const [p, epoch] of current) {
      if (targetPartitions.has(p)) assigned.set(p, epoch)
      else revoking.set(p, epoch)
    }
    // To assign = target - kept, except partitions another member still holds (unreleased). A
    // partition this member itself is still revoking is not held by anyone else.
    const toAssign: number[] = []
    for (const p of targetPartitions) {
      if (assigned.has(p)) continue
      if (input.currentPartitionEpoch(topicId, p) !== -1 && revokingHere?.has(p) !== true) {
        hasUnreleasedPartitions = true
        continue
      }
      toAssign.push(p)
    }
    if (assigned.size > 0) newAssigned.set(topicId, assigned)
    if (revoking.size > 0) newPendingRevocation.set(topicId, revoking)
    if (toAssign.length > 0) newPendingAssignment.set(topicId, toAssign)
  }

  if (newPendingRevocation.size > 0 && ownsAnyOf(input.ownedTopicPartitions, newPendingRevocation)) {
    // Revoke first: the member stays at its epoch until it acknowledges.
    return {
      ...member,
      state: MemberState.UNREVOKED_PARTITIONS,
      ...withEpoch(member, memberEpoch),
      assignedPartitions: newAssigned,
      partitionsPendingRevocation: newPendingRevocation,
    }
  }
  const epoch = input.targetAssignmentEpoch
  if (newPendingAssignment.size > 0) {
    for (const [topicId, ps] of newPendingAssignment) {
      let assigned = newAssigned.get(topicId)
      if (assigned === undefined) newAssigned.set(topicId, assigned = new Map())
      for (const p of ps) assigned.set(p, epoch)
    }
  }
  return {
    ...member,
    state: hasUnreleasedPartitions ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
    ...withEpoch(member, epoch),
    assignedPartitions: newAssigned,
    partitionsPendingRevocation: new Map(),
  }
}
