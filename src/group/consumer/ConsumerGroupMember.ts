// One member of a KIP-848 consumer group (Kafka's ConsumerGroupMember): an immutable value. The
// coordinator computes an updated member, writes the records that describe the change, and the
// group takes the new value when the records are replayed.
//
// Two records persist a member: ConsumerGroupMemberMetadata (who it is and what it subscribes
// to; changed by the member's heartbeats) and ConsumerGroupCurrentMemberAssignment (its epochs,
// reconciliation state and partitions; changed by reconciliation).
//
// Epochs: memberEpoch is what the member must send in its next heartbeat; previousMemberEpoch is
// accepted too when the member owns a subset of its assignment (the response bumping its epoch
// may have been lost). -1: the member left (or was fenced); -2: a static member left for now.

import type { PartitionEpochs } from './Assignment.ts'
import { EMPTY_PARTITION_EPOCHS } from './Assignment.ts'

/** Kafka's MemberState, with its record values (int8). */
export const MemberState = {
  /** Owns its target assignment at the target epoch. */
  STABLE: 0,
  /** Must first give up partitionsPendingRevocation (it stays at its epoch until it does). */
  UNREVOKED_PARTITIONS: 1,
  /** At the target epoch but waits for partitions that other members still own. */
  UNRELEASED_PARTITIONS: 2,
  /** A state a newer Kafka wrote that this coordinator does not know. */
  UNKNOWN: 127,
} as const
export type MemberState = typeof MemberState[keyof typeof MemberState]

export function memberStateFromRecord (value: number): MemberState {
  switch (value) {
    case MemberState.STABLE: case MemberState.UNREVOKED_PARTITIONS: case MemberState.UNRELEASED_PARTITIONS: return value
    default: return MemberState.UNKNOWN
  }
}

/** Member epoch of a member that leaves the group. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1
/** Member epoch of a static member that leaves and will rejoin with its instance id. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2

export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number
  readonly supportedProtocols: ReadonlyArray<{ readonly name: string, readonly metadata: Buffer }>
}

export interface ConsumerGroupMember {
  readonly memberId: string
  readonly memberEpoch: number
  readonly previousMemberEpoch: number
  readonly state: MemberState
  readonly instanceId: string | null
  readonly rackId: string | null
  /** -1 until the member tells it */
  readonly rebalanceTimeoutMs: number
  readonly clientId: string
  readonly clientHost: string
  /** sorted, without duplicates */
  readonly subscribedTopicNames: readonly string[]
  readonly subscribedTopicRegex: string | null
  readonly serverAssignor: string | null
  readonly assignedPartitions: PartitionEpochs
  readonly partitionsPendingRevocation: PartitionEpochs
  /** Only for members of Kafka's classic-in-consumer-group upgrade, read from records; never created here. */
  readonly classicMemberMetadata: ClassicMemberMetadata | null
}

export function newMember (memberId: string): ConsumerGroupMember {
  return {
    memberId,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.STABLE,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    assignedPartitions: EMPTY_PARTITION_EPOCHS,
    partitionsPendingRevocation: EMPTY_PARTITION_EPOCHS,
    classicMemberMetadata: null,
  }
}

/** Sorted, without duplicates: subscriptions compare as sets. */
export function normalizeTopicNames (names: readonly string[]): string[] {
  return [...new Set(names)].sort()
}

export function sameTopicNames (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i])
}

/** Whether the fields the member-metadata record holds are the same. */
export function sameMemberMetadata (a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return a.instanceId === b.instanceId && a.rackId === b.rackId && a.clientId === b.clientId && a.clientHost === b.clientHost &&
    sameTopicNames(a.subscribedTopicNames, b.subscribedTopicNames) && a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs && a.serverAssignor === b.serverAssignor &&
    a.classicMemberMetadata === b.classicMemberMetadata
}

/** Fully reconciled: Stable at the target assignment's epoch. */
export function isReconciledTo (m: ConsumerGroupMember, targetAssignmentEpoch: number): boolean {
  return m.state === MemberState.STABLE && m.memberEpoch === targetAssignmentEpoch
}
