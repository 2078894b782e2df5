// Committed offsets (OffsetCommit, OffsetFetch, OffsetDelete, the offset side of DeleteGroups
// and offsets.retention.minutes expiry), with Kafka's semantics (OffsetMetadataManager.java).
//
// The committed state is only ever changed by replay(): a commit returns OffsetCommit records,
// the runtime applies them as it writes them, and loading a partition replays the same records.
// Offsets committed inside a transaction (records written with a producer id, by
// TxnOffsetCommit) stay pending until the transaction's end marker is replayed: commit moves
// them to the committed state, abort drops them. While a partition has pending offsets,
// OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for it.

import { ErrorCode } from '../protocol/ErrorCode.ts'
import type { Logger } from '../Logger.ts'
import { type ClassicGroup, ClassicGroupState, GroupError } from './ClassicGroup.ts'
import { type CoordinatorResult, result } from './CoordinatorResult.ts'
import type { GroupCoordinatorConfig } from './GroupCoordinatorConfig.ts'
import type { GroupMetadataManager, GroupRequestContext } from './GroupMetadataManager.ts'
import type { CoordinatorRecord, OffsetCommitRecord } from './records.ts'
import type { CommitPartitionValidator } from './consumer/ConsumerGroup.ts'

/** The committed offset of a partition when there is none. */
export const INVALID_OFFSET = -1n
/** The transactional id-less producer id of plain offset commits. */
export const NO_PRODUCER_ID = -1n

export interface OffsetAndMetadata {
  readonly committedOffset: bigint
  /** -1 when unknown */
  readonly leaderEpoch: number
  readonly metadata: string
  readonly commitTimestampMs: number
  /** Set only by OffsetCommit v1-4 with a retention time (old per-commit expiry); else null. */
  readonly expireTimestampMs: number | null
}

export interface OffsetCommitRequestData {
  readonly groupId: string
  readonly generationIdOrMemberEpoch: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** -1: the broker's offsets.retention.minutes */
  readonly retentionTimeMs: bigint
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly partitions: ReadonlyArray<{
      readonly partitionIndex: number
      readonly committedOffset: bigint
      readonly committedLeaderEpoch: number
      /** v1 only; -1 = now */
      readonly commitTimestamp: bigint
      readonly committedMetadata: string | null
    }>
  }>
}

export interface PartitionResult { partitionIndex: number, errorCode: number }
export interface TopicResult { name: string, partitions: PartitionResult[] }

export interface FetchedPartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}
export interface FetchedTopic { name: string, partitions: FetchedPartition[] }
export interface FetchedGroup { groupId: string, topics: FetchedTopic[], errorCode: number }

/** group -> topic -> partition -> offset */
class Offsets {
  readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>()

  get (group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition)
  }

  put (group: string, topic: string, partition: number, o: OffsetAndMetadata): void {
    let topics = this.byGroup.get(group)
    if (topics === undefined) this.byGroup.set(group, topics = new Map())
    let partitions = topics.get(topic)
    if (partitions === undefined) topics.set(topic, partitions = new Map())
    partitions.set(partition, o)
  }

  remove (group: string, topic: string, partition: number): boolean {
    const topics = this.byGroup.get(group)
    const partitions = topics?.get(topic)
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return false
    if (partitions.size === 0) topics.delete(topic)
    if (topics.size === 0) this.byGroup.delete(group)
    return true
  }
}

export class OffsetMetadataManager {
  private readonly config: GroupCoordinatorConfig
  private readonly now: () => number
  private readonly groups: GroupMetadataManager
  private readonly logger: Logger
  private readonly offsets = new Offsets()
  /** Offsets of open transactions, by producer id. */
  private readonly pendingTransactionalOffsets = new Map<bigint, Offsets>()
  /** Producer ids with pending offsets, by group. */
  private readonly openTransactionsByGroup = new Map<string, Set<bigint>>()

  constructor (opts: { config: GroupCoordinatorConfig, now: () => number, groups: GroupMetadataManager, logger: Logger }) {
    this.config = opts.config
    this.now = opts.now
    this.groups = opts.groups
    this.logger = opts.logger
  }

  /**
   * Validates a commit and returns its per-partition check: a KIP-848 consumer group checks the
   * member epoch (STALE_MEMBER_EPOCH); a classic group the generation, creating a simple
   * (memberless) group for generation -1 commits.
   */
  private validateOffsetCommit (ctx: GroupRequestContext, req: OffsetCommitRequestData): CommitPartitionValidator {
    const consumerGroup = this.groups.consumerGroup(req.groupId)
    if (consumerGroup !== undefined) return consumerGroup.validateOffsetCommit(req.memberId, req.generationIdOrMemberEpoch, false, ctx.apiVersion)
    let group = this.groups.group(req.groupId)
    if (group === undefined) {
      if (req.generationIdOrMemberEpoch < 0) {
        // A consumer without group management (or the admin client): offsets only.
        this.logger.info({ groupId: req.groupId }, 'creating a simple group for a manual offset commit')
        group = this.groups.getOrCreateGroup(req.groupId)
      } else {
        // v9+ says so; older versions keep ILLEGAL_GENERATION, which their clients handle.
        throw new GroupError(ctx.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION)
      }
    }
    group.validateOffsetCommit(req.memberId, req.groupInstanceId, req.generationIdOrMemberEpoch, false)
    // Classic members keep their session alive by committing.
    this.groups.touchMemberOnCommit(group, req.memberId)
    return () => ErrorCode.NONE
  }

  private isMetadataInvalid (metadata: string | null): boolean {
    return metadata !== null && metadata.length > this.config.offsetMetadataMaxSize
  }

  /** Throws GroupError for a refusal of the whole request. */
  commitOffset (ctx: GroupRequestContext, req: OffsetCommitRequestData): CoordinatorResult<TopicResult[]> {
    const check = this.validateOffsetCommit(ctx, req)
    // A partition the member may not commit (a KIP-848 member's older epoch) refuses the whole
    // request, as Kafka's per-partition validator throws.
    for (const topic of req.topics) {
      for (const p of topic.partitions) {
        const refused = check(topic.name, p.partitionIndex)
        if (refused !== ErrorCode.NONE) throw new GroupError(refused)
      }
    }
    const now = this.now()
    const expireTimestampMs = req.retentionTimeMs === -1n ? null : now + Number(req.retentionTimeMs)
    const records: CoordinatorRecord[] = []
    const topics: TopicResult[] = []
    for (const topic of req.topics) {
      const partitions: PartitionResult[] = []
      topics.push({ name: topic.name, partitions })
      for (const p of topic.partitions) {
        if (this.isMetadataInvalid(p.committedMetadata)) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE })
          continue
        }
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE })
        records.push(offsetCommitRecord(req.groupId, topic.name, p.partitionIndex, {
          committedOffset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata ?? '',
          commitTimestampMs: p.commitTimestamp === -1n ? now : Number(p.commitTimestamp),
          expireTimestampMs,
        }))
      }
    }
    return result(topics, records)
  }

  /** OffsetDelete: tombstones for the partitions, unless the group still consumes the topic. */
  deleteOffsets (groupId: string, topics: ReadonlyArray<{ name: string, partitions: ReadonlyArray<{ partitionIndex: number }> }>): CoordinatorResult<TopicResult[]> {
    // A consumer group may always delete offsets of topics it does not consume.
    const group: { isSubscribedToTopic: (topic: string) => boolean } | undefined = this.groups.consumerGroup(groupId) ?? this.groups.group(groupId)
    if (group === undefined) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND)
    this.groups.group(groupId)?.validateOffsetDelete()
    const records: CoordinatorRecord[] = []
    const out: TopicResult[] = []
    for (const topic of topics) {
      const subscribed = group.isSubscribedToTopic(topic.name)
      const partitions = topic.partitions.map(p => {
        if (subscribed) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
        if (this.hasCommittedOffset(groupId, topic.name, p.partitionIndex) || this.hasPendingTransactionalOffsets(groupId, topic.name, p.partitionIndex)) {
          records.push(offsetTombstone(groupId, topic.name, p.partitionIndex))
        }
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE }
      })
      out.push({ name: topic.name, partitions })
    }
    return result(out, records)
  }

  /** Tombstones for every offset of the group, committed or pending; returns how many. */
  deleteAllOffsets (groupId: string, records: CoordinatorRecord[]): number {
    let n = 0
    for (const [topic, partitions] of this.offsets.byGroup.get(groupId) ?? []) {
      for (const partition of partitions.keys()) { records.push(offsetTombstone(groupId, topic, partition)); n++ }
    }
    for (const producerId of this.openTransactionsByGroup.get(groupId) ?? []) {
      for (const [topic, partitions] of this.pendingTransactionalOffsets.get(producerId)?.byGroup.get(groupId) ?? []) {
        for (const partition of partitions.keys()) {
          if (!this.hasCommittedOffset(groupId, topic, partition)) { records.push(offsetTombstone(groupId, topic, partition)); n++ }
        }
      }
    }
    return n
  }

  hasCommittedOffset (groupId: string, topic: string, partition: number): boolean {
    return this.offsets.get(groupId, topic, partition) !== undefined
  }

  hasPendingTransactionalOffsets (groupId: string, topic: string, partition: number): boolean {
    for (const producerId of this.openTransactionsByGroup.get(groupId) ?? []) {
      if (this.pendingTransactionalOffsets.get(producerId)?.get(groupId, topic, partition) !== undefined) return true
    }
    return false
  }

  /** OffsetFetch for given partitions: -1 and empty metadata where nothing is committed. */
  fetchOffsets (groupId: string, topics: ReadonlyArray<{ name: string, partitionIndexes: readonly number[] }>, requireStable: boolean): FetchedGroup {
    // A deleted (Dead) group has no offsets; a missing group simply has none committed.
    const groupOffsets = this.offsets.byGroup.get(groupId)
    const out: FetchedTopic[] = topics.map(topic => {
      const topicOffsets = groupOffsets?.get(topic.name)
      return {
        name: topic.name,
        partitions: topic.partitionIndexes.map(partitionIndex => {
          if (requireStable && this.hasPendingTransactionalOffsets(groupId, topic.name, partitionIndex)) {
            return { partitionIndex, committedOffset: INVALID_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
          }
          const o = topicOffsets?.get(partitionIndex)
          if (o === undefined) return { partitionIndex, committedOffset: INVALID_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
          return { partitionIndex, committedOffset: o.committedOffset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        }),
      }
    })
    return { groupId, topics: out, errorCode: ErrorCode.NONE }
  }

  /** OffsetFetch for all partitions with a committed offset. */
  fetchAllOffsets (groupId: string, requireStable: boolean): FetchedGroup {
    const topics: FetchedTopic[] = []
    for (const [topic, partitions] of this.offsets.byGroup.get(groupId) ?? []) {
      const fetched: FetchedPartition[] = []
      for (const [partitionIndex, o] of partitions) {
        if (requireStable && this.hasPendingTransactionalOffsets(groupId, topic, partitionIndex)) {
          fetched.push({ partitionIndex, committedOffset: INVALID_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT })
        } else {
          fetched.push({ partitionIndex, committedOffset: o.committedOffset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE })
        }
      }
      topics.push({ name: topic, partitions: fetched })
    }
    return { groupId, topics, errorCode: ErrorCode.NONE }
  }

  /**
   * Tombstones for the group's expired offsets (offsets.retention.minutes): of an empty group,
   * counted from when it became empty (or from the commit for old records without that time); of a
   * simple group, from each commit; a live consumer group keeps the offsets of topics it
   * consumes. Offsets with an old per-commit expire timestamp expire at that time. Returns whether
   * every offset of the group expired (then the group itself may go).
   */
  cleanupExpiredOffsets (groupId: string, records: CoordinatorRecord[]): boolean {
    const byTopic = this.offsets.byGroup.get(groupId)
    if (byTopic === undefined) return true
    const consumerGroup = this.groups.consumerGroup(groupId)
    const group = consumerGroup ?? this.groups.group(groupId)
    if (group === undefined) return true
    // A consumer group's offsets expire counted from their commit, whatever its state.
    const base = consumerGroup !== undefined ? (o: OffsetAndMetadata) => o.commitTimestampMs : this.expirationBase(group as ClassicGroup)
    if (base === null) return false
    const now = this.now()
    let allExpired = true
    for (const [topic, partitions] of byTopic) {
      if (group.isSubscribedToTopic(topic)) { allExpired = false; continue }
      for (const [partition, o] of partitions) {
        const expired = o.expireTimestampMs !== null ? now >= o.expireTimestampMs : now - base(o) >= this.config.offsetsRetentionMs
        if (expired && !this.hasPendingTransactionalOffsets(groupId, topic, partition)) {
          records.push(offsetTombstone(groupId, topic, partition))
        } else {
          allExpired = false
        }
      }
    }
    return allExpired && !this.openTransactionsByGroup.has(groupId)
  }

  private expirationBase (group: ClassicGroup): ((o: OffsetAndMetadata) => number) | null {
    if (group.protocolType === null) return o => o.commitTimestampMs
    if (group.isEmpty) {
      const since = group.currentStateTimestamp
      return o => since ?? o.commitTimestampMs
    }
    if (group.usesConsumerGroupProtocol && group.subscribedTopics !== null && group.is(ClassicGroupState.Stable)) return o => o.commitTimestampMs
    return null
  }

  /** Tombstones for every offset of the topic's partitions (a deleted topic). */
  onPartitionsDeleted (topic: string, partitions: ReadonlySet<number> | null): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = []
    const collect = (offsets: Offsets): void => {
      for (const [groupId, topics] of offsets.byGroup) {
        for (const partition of topics.get(topic)?.keys() ?? []) {
          if (partitions === null || partitions.has(partition)) records.push(offsetTombstone(groupId, topic, partition))
        }
      }
    }
    collect(this.offsets)
    for (const pending of this.pendingTransactionalOffsets.values()) collect(pending)
    return records
  }

  /** Applies an offset record (or tombstone); a producer id other than -1 marks a transactional commit. */
  replay (record: OffsetCommitRecord, producerId: bigint = NO_PRODUCER_ID): void {
    const { group: groupId, topic, partition, value } = record
    if (value === null) {
      this.offsets.remove(groupId, topic, partition)
      for (const pid of this.openTransactionsByGroup.get(groupId) ?? []) this.pendingTransactionalOffsets.get(pid)?.remove(groupId, topic, partition)
      return
    }
    // Offsets without a group (a consumer that never joined) live in a simple group.
    if (!this.groups.hasGroup(groupId)) this.groups.getOrCreateGroup(groupId)
    const o: OffsetAndMetadata = {
      committedOffset: value.offset,
      leaderEpoch: value.leaderEpoch,
      metadata: value.metadata,
      commitTimestampMs: Number(value.commitTimestamp),
      expireTimestampMs: value.expireTimestamp === -1n ? null : Number(value.expireTimestamp),
    }
    if (producerId === NO_PRODUCER_ID) {
      this.offsets.put(groupId, topic, partition, o)
      return
    }
    let pending = this.pendingTransactionalOffsets.get(producerId)
    if (pending === undefined) this.pendingTransactionalOffsets.set(producerId, pending = new Offsets())
    pending.put(groupId, topic, partition, o)
    let open = this.openTransactionsByGroup.get(groupId)
    if (open === undefined) this.openTransactionsByGroup.set(groupId, open = new Set())
    open.add(producerId)
  }

  /** Applies a transaction end marker: a commit makes the producer's pending offsets committed. */
  replayEndTransactionMarker (producerId: bigint, committed: boolean): void {
    const pending = this.pendingTransactionalOffsets.get(producerId)
    if (pending === undefined) return
    this.pendingTransactionalOffsets.delete(producerId)
    for (const [groupId, topics] of pending.byGroup) {
      const open = this.openTransactionsByGroup.get(groupId)
      if (open !== undefined) {
        open.delete(producerId)
        if (open.size === 0) this.openTransactionsByGroup.delete(groupId)
      }
      if (!committed) continue
      for (const [topic, partitions] of topics) {
        for (const [partition, o] of partitions) {
          // A later plain commit wins over the transaction's.
          const current = this.offsets.get(groupId, topic, partition)
          if (current === undefined || current.commitTimestampMs <= o.commitTimestampMs) this.offsets.put(groupId, topic, partition, o)
        }
      }
    }
  }

  /** Drops the state of the groups (unloading a partition). */
  unload (groupIds: ReadonlySet<string>): void {
    for (const g of groupIds) {
      this.offsets.byGroup.delete(g)
      for (const pid of this.openTransactionsByGroup.get(g) ?? []) {
        const pending = this.pendingTransactionalOffsets.get(pid)
        pending?.byGroup.delete(g)
        if (pending !== undefined && pending.byGroup.size === 0) this.pendingTransactionalOffsets.delete(pid)
      }
      this.openTransactionsByGroup.delete(g)
    }
  }

  /** Every group with committed or pending offsets. */
  groupIds (): Set<string> {
    return new Set([...this.offsets.byGroup.keys(), ...this.openTransactionsByGroup.keys()])
  }
}

export function offsetCommitRecord (groupId: string, topic: string, partition: number, o: OffsetAndMetadata): OffsetCommitRecord {
  return {
    type: 'offsetCommit',
    group: groupId,
    topic,
    partition,
    value: {
      offset: o.committedOffset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      commitTimestamp: BigInt(o.commitTimestampMs),
      expireTimestamp: o.expireTimestampMs === null ? -1n : BigInt(o.expireTimestampMs),
    },
  }
}

export function offsetTombstone (groupId: string, topic: string, partition: number): OffsetCommitRecord {
  return { type: 'offsetCommit', group: groupId, topic, partition, value: null }
}
