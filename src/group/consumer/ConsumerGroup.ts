// A KIP-848 consumer group (Kafka's ConsumerGroup and ModernGroup): the state its records build.
//
//   groupEpoch          bumped whenever the members or their subscribed topics change
//   assignmentEpoch     the group epoch the target assignment was computed for
//   targetAssignment    member id -> the partitions it should own (computed by the server assignor)
//   members             each with its own epoch and current assignment, reconciled step by step
//   currentPartitionEpoch  topic id -> partition -> epoch of the member holding it (assigned or
//                       still revoking); a partition with no entry is free
//
// State (derived, as Kafka's maybeUpdateGroupState): Empty without members; Assigning while the
// group epoch is ahead of the assignment epoch; Reconciling while some member is not yet Stable at
// the assignment epoch; Stable otherwise. Dead is only reported for a group that was removed.
//
// The group changes only through its replay methods (called with decoded records, at write time
// and at load), so loading __consumer_offsets rebuilds exactly the state that was acknowledged.
// Invariant (asserted): no partition is held by two members at once.

import assert from 'node:assert/strict'
import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { GroupError } from '../ClassicGroup.ts'
import { EMPTY_ASSIGNMENT, type PartitionEpochs, type TopicPartitions } from './Assignment.ts'
import { type ConsumerGroupMember, isReconciledTo, newMember } from './ConsumerGroupMember.ts'

export const ConsumerGroupState = {
  Empty: 'Empty',
  Assigning: 'Assigning',
  Reconciling: 'Reconciling',
  Stable: 'Stable',
  Dead: 'Dead',
} as const
export type ConsumerGroupState = typeof ConsumerGroupState[keyof typeof ConsumerGroupState]

/** What ListGroups v5 calls a KIP-848 group; also its protocol type. */
export const CONSUMER_GROUP_TYPE = 'consumer'

export interface ResolvedRegularExpression {
  readonly topics: ReadonlySet<string>
  /** what the resolution was computed against (samsa: the topic metadata hash) */
  readonly version: bigint
  readonly timestamp: bigint
}

/** The subscribed topics as last seen in the metadata: name -> id and partition count. */
export type SubscriptionMetadata = ReadonlyMap<string, { readonly topicId: string, readonly numPartitions: number }>

/** Per-partition check of an offset commit accepted at group level: the error code for the partition (NONE to commit). */
export type CommitPartitionValidator = (topic: string, partition: number) => number
const COMMIT_ANY: CommitPartitionValidator = () => ErrorCode.NONE

export class ConsumerGroup {
  readonly groupId: string
  groupEpoch = 0
  assignmentEpoch = 0
  metadataHash = 0n
  readonly members = new Map<string, ConsumerGroupMember>()
  /** instance id -> member id */
  readonly staticMembers = new Map<string, string>()
  readonly targetAssignment = new Map<string, TopicPartitions>()
  private readonly currentPartitionEpochs = new Map<string, Map<number, number>>()
  /** server assignor name -> members asking for it */
  private readonly serverAssignors = new Map<string, number>()
  readonly resolvedRegularExpressions = new Map<string, ResolvedRegularExpression>()
  /**
   * The subscribed topics' ids and sizes as the last heartbeat saw them (not persisted: rebuilt by
   * the next heartbeat). Offset commits use it to map topic names to ids.
   */
  subscriptionMetadata: SubscriptionMetadata = new Map()
  state: ConsumerGroupState = ConsumerGroupState.Empty

  constructor (groupId: string) {
    this.groupId = groupId
  }

  get numMembers (): number { return this.members.size }
  get isEmpty (): boolean { return this.state === ConsumerGroupState.Empty }

  member (memberId: string): ConsumerGroupMember | undefined { return this.members.get(memberId) }
  staticMember (instanceId: string): ConsumerGroupMember | undefined {
    const id = this.staticMembers.get(instanceId)
    return id === undefined ? undefined : this.members.get(id)
  }

  /** The member's target assignment; for a static member rejoining under a new id, its predecessor's. */
  targetAssignmentOf (memberId: string, instanceId: string | null = null): TopicPartitions {
    if (instanceId !== null) {
      const previous = this.staticMembers.get(instanceId)
      if (previous !== undefined) return this.targetAssignment.get(previous) ?? EMPTY_ASSIGNMENT
      return EMPTY_ASSIGNMENT
    }
    return this.targetAssignment.get(memberId) ?? EMPTY_ASSIGNMENT
  }

  /** The epoch of the member holding the partition, or -1 if it is free. */
  currentPartitionEpoch (topicId: string, partition: number): number {
    return this.currentPartitionEpochs.get(topicId)?.get(partition) ?? -1
  }

  /** The server assignor most members ask for, if any (ties: the name sorting first). */
  preferredServerAssignor (counts: ReadonlyMap<string, number> = this.serverAssignors): string | null {
    let best: string | null = null
    let bestCount = 0
    for (const [name, n] of counts) if (n > bestCount || (n === bestCount && best !== null && name < best)) { best = name; bestCount = n }
    return best
  }

  /** The preferred assignor if `oldMember` became `newMember` (either may be null: joined, left). */
  computePreferredServerAssignor (oldMember: ConsumerGroupMember | null, newMember: ConsumerGroupMember | null): string | null {
    const counts = new Map(this.serverAssignors)
    countAssignor(counts, oldMember, -1)
    countAssignor(counts, newMember, 1)
    return this.preferredServerAssignor(counts)
  }

  /** The topics the group consumes: members' names plus what their regular expressions resolved to. */
  subscribedTopicNames (): Set<string> {
    const names = new Set<string>()
    for (const m of this.members.values()) {
      for (const t of m.subscribedTopicNames) names.add(t)
      if (m.subscribedTopicRegex !== null) for (const t of this.resolvedRegularExpressions.get(m.subscribedTopicRegex)?.topics ?? []) names.add(t)
    }
    return names
  }

  isSubscribedToTopic (topic: string): boolean {
    return this.subscribedTopicNames().has(topic)
  }

  // ---- replay ----

  setGroupEpoch (epoch: number): void {
    this.groupEpoch = epoch
    this.updateState()
  }

  setAssignmentEpoch (epoch: number): void {
    this.assignmentEpoch = epoch
    this.updateState()
  }

  /** Creates or replaces a member (replay of its metadata or current-assignment record). */
  updateMember (m: ConsumerGroupMember): void {
    const old = this.members.get(m.memberId) ?? null
    if (old !== null) {
      this.removePartitionEpochs(old)
      countAssignor(this.serverAssignors, old, -1)
      if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === old.memberId) this.staticMembers.delete(old.instanceId)
    }
    this.members.set(m.memberId, m)
    this.addPartitionEpochs(m)
    countAssignor(this.serverAssignors, m, 1)
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId)
    this.updateState()
  }

  removeMember (memberId: string): void {
    const old = this.members.get(memberId)
    if (old === undefined) return
    this.members.delete(memberId)
    this.removePartitionEpochs(old)
    countAssignor(this.serverAssignors, old, -1)
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) this.staticMembers.delete(old.instanceId)
    this.updateState()
  }

  getOrCreateMember (memberId: string): ConsumerGroupMember {
    return this.members.get(memberId) ?? newMember(memberId)
  }

  updateTargetAssignment (memberId: string, assignment: TopicPartitions): void {
    this.targetAssignment.set(memberId, assignment)
  }

  removeTargetAssignment (memberId: string): void {
    this.targetAssignment.delete(memberId)
  }

  private addPartitionEpochs (m: ConsumerGroupMember): void {
    this.addEpochs(m.assignedPartitions, m.memberEpoch)
    this.addEpochs(m.partitionsPendingRevocation, m.memberEpoch)
  }

  private removePartitionEpochs (m: ConsumerGroupMember): void {
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [topicId, ps] of a) {
        const epochs = this.currentPartitionEpochs.get(topicId)
        if (epochs === undefined) continue
        for (const p of ps.keys()) epochs.delete(p)
        if (epochs.size === 0) this.currentPartitionEpochs.delete(topicId)
      }
    }
  }

  private addEpochs (a: PartitionEpochs, epoch: number): void {
    for (const [topicId, ps] of a) {
      let epochs = this.currentPartitionEpochs.get(topicId)
      if (epochs === undefined) this.currentPartitionEpochs.set(topicId, epochs = new Map())
      for (const p of ps.keys()) {
        assert.ok(!epochs.has(p), `group ${this.groupId}: partition ${topicId}-${p} is already held at epoch ${epochs.get(p) ?? -1}`)
        epochs.set(p, epoch)
      }
    }
  }

  private updateState (): void {
    if (this.members.size === 0) this.state = ConsumerGroupState.Empty
    else if (this.groupEpoch > this.assignmentEpoch) this.state = ConsumerGroupState.Assigning
    else {
      this.state = ConsumerGroupState.Stable
      for (const m of this.members.values()) {
        if (!isReconciledTo(m, this.assignmentEpoch)) { this.state = ConsumerGroupState.Reconciling; break }
      }
    }
  }

  // ---- offsets and deletion ----

  /**
   * Validates an OffsetCommit (Kafka's ConsumerGroup.validateOffsetCommit with KIP-1251): epoch -1
   * is for admin tools and manual assignment, only while the group has no members; a member must
   * exist and use OffsetCommit v9+; its epoch must be its current one, or an older one for
   * partitions it was assigned at that epoch or before (topic names resolved through the last
   * heartbeat's metadata; unknown ones need the current epoch). Throws GroupError.
   */
  validateOffsetCommit (memberId: string, memberEpoch: number, isTransactional: boolean, apiVersion: number): CommitPartitionValidator {
    if (memberEpoch < 0 && this.members.size === 0) return COMMIT_ANY
    if (isTransactional && memberEpoch < 0 && memberId === '') return COMMIT_ANY
    const member = this.members.get(memberId)
    if (member === undefined) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${this.groupId}.`)
    if (!isTransactional && apiVersion < 9) {
      throw new GroupError(ErrorCode.UNSUPPORTED_VERSION, 'OffsetCommit version 9 or above must be used by members using the modern group protocol')
    }
    if (memberEpoch === member.memberEpoch) return COMMIT_ANY
    if (memberEpoch > member.memberEpoch || memberEpoch < 0) {
      throw new GroupError(ErrorCode.STALE_MEMBER_EPOCH, `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`)
    }
    // An older epoch: each partition must have been assigned to the member at that epoch or before.
    return (topic, partition) => {
      const topicId = this.subscriptionMetadata.get(topic)?.topicId
      const assignedAt = topicId === undefined
        ? undefined
        : member.assignedPartitions.get(topicId)?.get(partition) ?? member.partitionsPendingRevocation.get(topicId)?.get(partition)
      return assignedAt !== undefined && memberEpoch >= assignedAt ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH
    }
  }

  /** OffsetFetch v9+: a member asking must exist and send its epoch; admin fetches (no member id, epoch < 0) are fine. */
  validateOffsetFetch (memberId: string | null, memberEpoch: number): void {
    if ((memberId === null || memberId === '') && memberEpoch < 0) return
    const member = memberId === null ? undefined : this.members.get(memberId)
    if (member === undefined) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId ?? ''} is not a member of group ${this.groupId}.`)
    if (memberEpoch !== member.memberEpoch) {
      throw new GroupError(ErrorCode.STALE_MEMBER_EPOCH, `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`)
    }
  }

  validateDeleteGroup (): void {
    if (this.state !== ConsumerGroupState.Empty) throw new GroupError(ErrorCode.NON_EMPTY_GROUP)
  }
}

function countAssignor (counts: Map<string, number>, m: ConsumerGroupMember | null, delta: number): void {
  if (m === null || m.serverAssignor === null) return
  const n = (counts.get(m.serverAssignor) ?? 0) + delta
  if (n <= 0) counts.delete(m.serverAssignor)
  else counts.set(m.serverAssignor, n)
}
