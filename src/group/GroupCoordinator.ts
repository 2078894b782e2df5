// The group coordinator: the entry point the group API handlers call (Kafka's
// GroupCoordinatorService) and the runtime that runs its state machine (CoordinatorRuntime).
//
// Durable state is records in __consumer_offsets. A group lives in partition
// abs(javaHashCode(groupId)) % offsets.topic.num.partitions. An operation runs synchronously
// against the in-memory state (GroupMetadataManager, OffsetMetadataManager) and returns a
// response plus records (see CoordinatorResult); the records go to the group's partition through
// the CoordinatorLog, one append at a time per partition, in operation order, and the response
// goes out once they are written. Loading a partition means replaying its records. While a
// partition loads, its groups answer COORDINATOR_LOAD_IN_PROGRESS (a Heartbeat simply succeeds).
// If an append fails, the partition's in-memory state can no longer be trusted: its groups are
// unloaded (parked requests get NOT_COORDINATOR) and the partition is loaded again from the log.
//
// Parked requests (JoinGroup and SyncGroup waiting for a rebalance) are promises answered by the
// state machine. Each one holds a connection (one request at a time per connection), so their
// number is bounded by max.connections, and per group by group.max.size. close() answers every
// parked request with NOT_COORDINATOR, cancels the timers and waits for appends in flight.

import type { Logger } from '../Logger.ts'
import { KafkaError } from '../protocol/KafkaError.ts'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import { GroupError } from './ClassicGroup.ts'
import { type JoinGroupResult, type SyncGroupResult, joinGroupResult, syncGroupResult } from './ClassicGroupMember.ts'
import type { CoordinatorLog } from './CoordinatorLog.ts'
import type { CoordinatorResult } from './CoordinatorResult.ts'
import { type Clock, CoordinatorTimer, systemClock } from './CoordinatorTimer.ts'
import type { GroupCoordinatorConfig } from './GroupCoordinatorConfig.ts'
import {
  appendErrorToResponseError, type DescribedGroup, GroupMetadataManager, type GroupRequestContext, type HeartbeatRequestData,
  type JoinGroupRequestData, type LeaveGroupMemberData, type LeaveGroupResult, type ListedGroup, type SyncGroupRequestData, type TimerOperation,
} from './GroupMetadataManager.ts'
import { type FetchedGroup, type OffsetCommitRequestData, OffsetMetadataManager, type TopicResult } from './OffsetMetadataManager.ts'
import { type CoordinatorRecord, decodeCoordinatorRecord, encodeCoordinatorRecord } from './records.ts'
import {
  type ConsumerGroupHeartbeatData, type ConsumerGroupHeartbeatResult, type DescribedConsumerGroup, heartbeatError, type TopicsImage,
} from './consumer/ConsumerGroupMetadataManager.ts'
import { CONSUMER_GROUP_TYPE } from './consumer/ConsumerGroup.ts'

/** Java's String.hashCode over UTF-16 code units, as Kafka hashes group ids. */
export function javaStringHashCode (s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's Utils.abs(groupId.hashCode()) % partitions (abs of MIN_VALUE is 0). */
export function partitionFor (groupId: string, numPartitions: number): number {
  const h = javaStringHashCode(groupId)
  return (h === -2147483648 ? 0 : Math.abs(h)) % numPartitions
}

const GROUP_EXPIRATION_KEY = JSON.stringify(['expire-group-metadata'])

type PartitionState = 'loading' | 'loaded' | 'failed'

export interface GroupCoordinatorOptions {
  readonly config: GroupCoordinatorConfig
  readonly log: CoordinatorLog
  readonly clock?: Clock
  readonly logger: Logger
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig
  private readonly log: CoordinatorLog
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly timer: CoordinatorTimer<TimerOperation>
  readonly groupManager: GroupMetadataManager
  readonly offsetManager: OffsetMetadataManager
  private readonly partitionStates: PartitionState[]
  /** The end of each partition's chain of appends: every append starts after the previous one. */
  private readonly tails: Array<Promise<void>>
  /** Bumped each time a partition's in-memory state is dropped; writes made before are refused. */
  private readonly partitionEpochs: number[]
  private active = false
  /** Partition loads under way, so close() can wait for them to stop. */
  private readonly loads = new Set<Promise<void>>()
  private closing: Promise<void> | undefined

  constructor (opts: GroupCoordinatorOptions) {
    this.config = opts.config
    this.log = opts.log
    this.clock = opts.clock ?? systemClock
    this.logger = opts.logger.child({ component: 'group-coordinator' })
    this.timer = new CoordinatorTimer<TimerOperation>(this.clock, (key, op) => this.runTimerOperation(key, op))
    this.groupManager = new GroupMetadataManager({ config: this.config, now: this.clock.now, timer: this.timer, logger: this.logger })
    this.offsetManager = new OffsetMetadataManager({ config: this.config, now: this.clock.now, groups: this.groupManager, logger: this.logger })
    this.partitionStates = new Array<PartitionState>(this.config.numPartitions).fill('loading')
    this.tails = Array.from({ length: this.config.numPartitions }, () => Promise.resolve())
    this.partitionEpochs = new Array<number>(this.config.numPartitions).fill(0)
  }

  partitionFor (groupId: string): number { return partitionFor(groupId, this.config.numPartitions) }

  /** Loads every partition; requests for a partition are served once it is loaded. */
  async startup (): Promise<void> {
    this.active = true
    await Promise.all(this.partitionStates.map((_, p) => this.loadPartition(p)))
    this.scheduleGroupMetadataExpiration()
  }

  get isActive (): boolean { return this.active }

  /** Whether every partition is loaded. */
  get isLoaded (): boolean { return this.partitionStates.every(s => s === 'loaded') }

  private loadPartition (partition: number): Promise<void> {
    const load = this.doLoadPartition(partition).finally(() => this.loads.delete(load))
    this.loads.add(load)
    return load
  }

  private async doLoadPartition (partition: number): Promise<void> {
    this.partitionStates[partition] = 'loading'
    const started = this.clock.now()
    let records = 0
    try {
      await this.log.load(partition, (entry) => {
        if (!this.active) return false
        if (entry.kind === 'endTxn') {
          this.offsetManager.replayEndTransactionMarker(entry.producerId, entry.committed)
          return
        }
        if (entry.key === null) return
        let record: CoordinatorRecord | null
        try {
          record = decodeCoordinatorRecord(entry.key, entry.value)
        } catch (err) {
          this.logger.warn({ partition, offset: entry.offset, err: (err as Error).message }, 'skipping a record of __consumer_offsets that does not parse')
          return
        }
        if (record === null) return
        this.replay(record, entry.producerId)
        records++
      })
    } catch (err) {
      if (!this.active) return
      this.partitionStates[partition] = 'failed'
      this.logger.error({ err, partition }, 'could not load a partition of __consumer_offsets; its groups answer NOT_COORDINATOR')
      return
    }
    if (!this.active) return
    this.partitionStates[partition] = 'loaded'
    const groupIds = this.groupManager.allGroupIds().filter(g => this.partitionFor(g) === partition)
    if (records > 0) this.logger.info({ partition, records, groups: groupIds.length, ms: this.clock.now() - started }, 'loaded group metadata')
    for (const res of this.groupManager.onLoaded(groupIds)) this.apply(res).catch(() => {})
  }

  private replay (record: CoordinatorRecord, producerId = -1n): void {
    if (record.type === 'offsetCommit') {
      this.offsetManager.replay(record, producerId)
    } else if (record.type === 'groupMetadata') {
      this.groupManager.replay(record)
    } else {
      // A consumer group record for an id held by a classic group: in a consistent log that group
      // only held offsets (a simple group) or was tombstoned before; the consumer group replaces it.
      if (record.value !== null && this.groupManager.groups.has(record.group)) this.groupManager.unload([record.group])
      this.groupManager.consumer.replay(record)
    }
  }

  /** COORDINATOR_NOT_AVAILABLE while closed, COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR while the group's partition is not loaded. */
  private availability (groupId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const state = this.partitionStates[this.partitionFor(groupId)]
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    if (state === 'failed') return ErrorCode.NOT_COORDINATOR
    return ErrorCode.NONE
  }

  /**
   * Applies a result: replays its records if asked, appends them to their partitions (in order
   * behind earlier appends) and runs its onAppended. Resolves with the response once written;
   * rejects with the response error code (KafkaError) if a write failed.
   */
  private async apply<T> (res: CoordinatorResult<T>, partition: number | null = null): Promise<T> {
    if (res.replay) for (const r of res.records) this.replay(r)
    const byPartition = new Map<number, CoordinatorRecord[]>()
    for (const r of res.records) {
      const p = this.partitionFor(r.group)
      let list = byPartition.get(p)
      if (list === undefined) byPartition.set(p, list = [])
      list.push(r)
    }
    const writes: Array<Promise<void>> = []
    if (byPartition.size === 0 && partition !== null) {
      // Nothing to write: still wait for the group's writes under way (read your writes).
      writes.push(this.tails[partition] as Promise<void>)
    }
    for (const [p, records] of byPartition) writes.push(this.append(p, records))
    let errorCode: number | null = null
    for (const w of writes) {
      try {
        await w
      } catch (err) {
        errorCode ??= err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR
      }
    }
    res.onAppended?.(errorCode)
    if (errorCode !== null) throw new KafkaError(appendErrorToResponseError(errorCode))
    return res.response
  }

  private append (partition: number, records: readonly CoordinatorRecord[]): Promise<void> {
    const serialized = records.map(encodeCoordinatorRecord)
    const epoch = this.partitionEpochs[partition]
    const write = (this.tails[partition] as Promise<void>).then(() => {
      // Records made from state that was since dropped (an earlier write failed) must not be written.
      if (this.partitionEpochs[partition] !== epoch) throw new KafkaError(ErrorCode.NOT_COORDINATOR)
      return this.log.append(partition, serialized)
    })
    this.tails[partition] = write.then(() => {}, (err: unknown) => this.onAppendFailure(partition, err))
    return write
  }

  private onAppendFailure (partition: number, err: unknown): void {
    if (!this.active || this.partitionStates[partition] !== 'loaded') return
    this.logger.error({ err, partition }, 'could not write to __consumer_offsets; reloading the partition')
    this.unloadPartition(partition)
    this.loadPartition(partition).catch(() => {})
  }

  private unloadPartition (partition: number): void {
    this.partitionStates[partition] = 'loading'
    this.partitionEpochs[partition] = (this.partitionEpochs[partition] ?? 0) + 1
    const groupIds = new Set([...this.groupManager.allGroupIds(), ...this.offsetManager.groupIds()].filter(g => this.partitionFor(g) === partition))
    this.groupManager.unload(groupIds)
    this.offsetManager.unload(groupIds)
  }

  private runTimerOperation (key: string, op: TimerOperation): void {
    if (!this.active) return
    let res: CoordinatorResult<void>
    try {
      res = op()
    } catch (err) {
      this.logger.error({ err, key }, 'group coordinator timer operation failed')
      return
    }
    this.apply(res).catch(() => {})
  }

  /** Runs an operation; a GroupError becomes `refused(code)`, a failed write `refused(mapped code)`. */
  private async write<T> (groupId: string | null, op: () => CoordinatorResult<T>, refused: (errorCode: number) => T): Promise<T> {
    let res: CoordinatorResult<T>
    try {
      res = op()
    } catch (err) {
      if (err instanceof GroupError) return refused(err.code)
      throw err
    }
    try {
      return await this.apply(res, groupId === null ? null : this.partitionFor(groupId))
    } catch (err) {
      if (err instanceof KafkaError) return refused(err.code)
      throw err
    }
  }

  // ---- the classic group protocol ----

  joinGroup (ctx: GroupRequestContext, req: JoinGroupRequestData): Promise<JoinGroupResult> {
    if (!this.active) return Promise.resolve(joinGroupResult(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId))
    if (req.groupId === '') return Promise.resolve(joinGroupResult(ErrorCode.INVALID_GROUP_ID, req.memberId))
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinGroupResult(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId))
    }
    const unavailable = this.availability(req.groupId)
    if (unavailable !== ErrorCode.NONE) return Promise.resolve(joinGroupResult(unavailable, req.memberId))
    return new Promise<JoinGroupResult>((resolve) => {
      let done = false
      const complete = (r: JoinGroupResult): void => { if (!done) { done = true; resolve(r) } }
      this.write(req.groupId, () => this.joinGroupOperation(ctx, req, complete), code => complete(joinGroupResult(code, '')))
        .catch((err: unknown) => {
          this.logger.error({ err, groupId: req.groupId }, 'JoinGroup failed')
          complete(joinGroupResult(ErrorCode.UNKNOWN_SERVER_ERROR, ''))
        })
    })
  }

  /**
   * JoinGroup on a KIP-848 consumer group: an empty one is deleted first (its tombstones written
   * ahead of the classic group's records), a non-empty one refuses the classic member (Kafka would
   * run it inside the consumer group, KIP-848's online migration, which samsa does not implement).
   */
  private joinGroupOperation (ctx: GroupRequestContext, req: JoinGroupRequestData, complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    const consumerGroup = this.groupManager.consumerGroup(req.groupId)
    if (consumerGroup === undefined) return this.groupManager.joinGroup(ctx, req, complete)
    if (!consumerGroup.isEmpty) {
      complete(joinGroupResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId))
      return { records: [], response: undefined, replay: true, onAppended: null }
    }
    this.logger.info({ groupId: req.groupId }, 'converting an empty consumer group to a classic group')
    const tombstones: CoordinatorRecord[] = []
    this.groupManager.consumer.groupTombstones(consumerGroup, tombstones)
    for (const r of tombstones) this.replay(r)
    const joined = this.groupManager.joinGroup(ctx, req, complete)
    return { ...joined, records: [...tombstones, ...joined.records] }
  }

  syncGroup (ctx: GroupRequestContext, req: SyncGroupRequestData): Promise<SyncGroupResult> {
    if (!this.active) return Promise.resolve(syncGroupResult(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (req.groupId === '') return Promise.resolve(syncGroupResult(ErrorCode.INVALID_GROUP_ID))
    const unavailable = this.availability(req.groupId)
    if (unavailable !== ErrorCode.NONE) return Promise.resolve(syncGroupResult(unavailable))
    return new Promise<SyncGroupResult>((resolve) => {
      let done = false
      const complete = (r: SyncGroupResult): void => { if (!done) { done = true; resolve(r) } }
      this.write(req.groupId, () => this.groupManager.syncGroup(ctx, req, complete), code => complete(syncGroupResult(code)))
        .catch((err: unknown) => {
          this.logger.error({ err, groupId: req.groupId }, 'SyncGroup failed')
          complete(syncGroupResult(ErrorCode.UNKNOWN_SERVER_ERROR))
        })
    })
  }

  /** The Heartbeat error code. */
  async heartbeat (req: HeartbeatRequestData): Promise<number> {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID
    const unavailable = this.availability(req.groupId)
    // While loading, Kafka answers heartbeats blindly: the member will learn the truth soon.
    if (unavailable === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE
    if (unavailable !== ErrorCode.NONE) return unavailable
    return await this.write(req.groupId, () => this.groupManager.heartbeat(req), code => code)
  }

  async leaveGroup (groupId: string, members: readonly LeaveGroupMemberData[]): Promise<LeaveGroupResult> {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] }
    const unavailable = this.availability(groupId)
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, members: [] }
    return await this.write(groupId, () => this.groupManager.leaveGroup(groupId, members), code => ({ errorCode: code, members: [] }))
  }

  // ---- the consumer group protocol (KIP-848) ----

  /** Whether group.coordinator.rebalance.protocols lets KIP-848 consumer groups in. */
  get servesConsumerGroups (): boolean {
    return this.config.rebalanceProtocols === undefined || this.config.rebalanceProtocols.includes(CONSUMER_GROUP_TYPE)
  }

  async consumerGroupHeartbeat (ctx: GroupRequestContext, req: ConsumerGroupHeartbeatData, topics: TopicsImage): Promise<ConsumerGroupHeartbeatResult> {
    if (!this.active) return heartbeatError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    try {
      this.groupManager.consumer.validateRequest(ctx, req)
    } catch (err) {
      if (err instanceof GroupError) return heartbeatError(err.code, err.message)
      throw err
    }
    const unavailable = this.availability(req.groupId)
    if (unavailable !== ErrorCode.NONE) return heartbeatError(unavailable)
    return await this.write(req.groupId, () => this.groupManager.consumer.heartbeat(ctx, req, topics), code => heartbeatError(code))
  }

  async consumerGroupDescribe (groupIds: readonly string[], topics: TopicsImage): Promise<DescribedConsumerGroup[]> {
    const waits = new Set<number>()
    for (const g of groupIds) if (this.availability(g) === ErrorCode.NONE) waits.add(this.partitionFor(g))
    for (const p of waits) await this.tails[p]
    return groupIds.map(groupId => {
      const unavailable = this.availability(groupId)
      if (unavailable !== ErrorCode.NONE) {
        return { errorCode: unavailable, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] }
      }
      return this.groupManager.consumer.describe(groupId, topics)
    })
  }

  // ---- offsets ----

  async commitOffsets (ctx: GroupRequestContext, req: OffsetCommitRequestData): Promise<TopicResult[]> {
    const refused = (code: number): TopicResult[] => req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, errorCode: code })) }))
    const unavailable = this.availability(req.groupId)
    if (unavailable !== ErrorCode.NONE) return refused(unavailable)
    return await this.write(req.groupId, () => this.offsetManager.commitOffset(ctx, req), refused)
  }

  /**
   * OffsetFetch for one group; topics null means every partition with a committed offset. With
   * `member` (OffsetFetch v9+), a member of a KIP-848 consumer group must exist at that epoch
   * (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH); classic groups ignore it, as Kafka does.
   */
  async fetchOffsets (groupId: string, topics: ReadonlyArray<{ name: string, partitionIndexes: readonly number[] }> | null, requireStable: boolean,
    member: { memberId: string | null, memberEpoch: number } | null = null): Promise<FetchedGroup> {
    const unavailable = this.availability(groupId)
    if (unavailable !== ErrorCode.NONE) return { groupId, topics: [], errorCode: unavailable }
    // Reads wait for the writes under way so that a fetch after a commit sees it.
    await this.tails[this.partitionFor(groupId)]
    const again = this.availability(groupId)
    if (again !== ErrorCode.NONE) return { groupId, topics: [], errorCode: again }
    const consumerGroup = member === null ? undefined : this.groupManager.consumerGroup(groupId)
    if (consumerGroup !== undefined && member !== null) {
      try {
        consumerGroup.validateOffsetFetch(member.memberId, member.memberEpoch)
      } catch (err) {
        if (err instanceof GroupError) return { groupId, topics: [], errorCode: err.code }
        throw err
      }
    }
    return topics === null
      ? this.offsetManager.fetchAllOffsets(groupId, requireStable)
      : this.offsetManager.fetchOffsets(groupId, topics, requireStable)
  }

  /** OffsetDelete: the top-level error code and per-partition results. */
  async deleteOffsets (groupId: string, topics: ReadonlyArray<{ name: string, partitions: ReadonlyArray<{ partitionIndex: number }> }>): Promise<{ errorCode: number, topics: TopicResult[] }> {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] }
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] }
    const unavailable = this.availability(groupId)
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] }
    return await this.write(groupId,
      () => {
        const res = this.offsetManager.deleteOffsets(groupId, topics)
        return { ...res, response: { errorCode: ErrorCode.NONE as number, topics: res.response } }
      },
      code => ({ errorCode: code, topics: [] }))
  }

  // ---- group administration ----

  async describeGroups (groupIds: readonly string[]): Promise<DescribedGroup[]> {
    const out: DescribedGroup[] = []
    const waits = new Set<number>()
    for (const g of groupIds) if (this.availability(g) === ErrorCode.NONE) waits.add(this.partitionFor(g))
    for (const p of waits) await this.tails[p]
    for (const groupId of groupIds) {
      const unavailable = this.availability(groupId)
      if (unavailable !== ErrorCode.NONE) {
        out.push({ errorCode: unavailable, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })
        continue
      }
      out.push(this.groupManager.describeGroup(groupId))
    }
    return out
  }

  /** ListGroups: the error code (a partition still loading fails the whole request, as in Kafka) and the groups. */
  listGroups (statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number, groups: ListedGroup[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
    if (this.partitionStates.includes('loading')) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] }
    const groups = this.groupManager.listGroups(statesFilter, typesFilter, g => this.partitionStates[this.partitionFor(g)] === 'loaded')
    return { errorCode: ErrorCode.NONE, groups }
  }

  async deleteGroups (groupIds: readonly string[]): Promise<Array<{ groupId: string, errorCode: number }>> {
    const results: Array<{ groupId: string, errorCode: number }> = []
    const toDelete: string[] = []
    for (const groupId of groupIds) {
      const unavailable = this.availability(groupId)
      if (unavailable !== ErrorCode.NONE) { results.push({ groupId, errorCode: unavailable }); continue }
      toDelete.push(groupId)
    }
    if (toDelete.length === 0) return results
    const deleted = await this.write(null, () => {
      const records: CoordinatorRecord[] = []
      const outcome: Array<{ groupId: string, errorCode: number }> = []
      let offsets = 0
      for (const groupId of toDelete) {
        try {
          this.groupManager.validateDeleteGroup(groupId)
        } catch (err) {
          if (!(err instanceof GroupError)) throw err
          outcome.push({ groupId, errorCode: err.code })
          continue
        }
        offsets += this.offsetManager.deleteAllOffsets(groupId, records)
        this.groupManager.groupTombstones(groupId, records)
        outcome.push({ groupId, errorCode: ErrorCode.NONE })
      }
      const names = outcome.filter(o => o.errorCode === ErrorCode.NONE).map(o => o.groupId)
      if (names.length > 0) this.logger.info({ groups: names, offsets }, 'deleted groups')
      return { records, response: outcome, replay: true, onAppended: null }
    }, code => toDelete.map(groupId => ({ groupId, errorCode: code })))
    return [...results, ...deleted]
  }

  /** Tombstones for the offsets of a deleted topic's partitions (null: all of them). */
  async onPartitionsDeleted (topic: string, partitions: ReadonlySet<number> | null): Promise<void> {
    if (!this.active) return
    const records = this.offsetManager.onPartitionsDeleted(topic, partitions)
      .filter(r => this.partitionStates[this.partitionFor(r.group)] === 'loaded')
    if (records.length === 0) return
    await this.apply({ records, response: undefined, replay: true, onAppended: null }).catch(() => {})
  }

  // ---- offsets.retention.minutes ----

  private scheduleGroupMetadataExpiration (): void {
    this.timer.schedule(null, GROUP_EXPIRATION_KEY, this.config.offsetsRetentionCheckIntervalMs, () => this.cleanupGroupMetadata())
  }

  /** Expires old offsets and removes groups left with nothing; runs every offsets.retention.check.interval.ms. */
  cleanupGroupMetadata (): CoordinatorResult<void> {
    const records: CoordinatorRecord[] = []
    for (const groupId of this.groupManager.allGroupIds()) {
      if (this.partitionStates[this.partitionFor(groupId)] !== 'loaded') continue
      if (this.offsetManager.cleanupExpiredOffsets(groupId, records)) this.groupManager.maybeDeleteGroup(groupId, records)
    }
    if (records.length > 0) this.logger.info({ tombstones: records.length }, 'expired group metadata')
    this.scheduleGroupMetadataExpiration()
    return { records, response: undefined, replay: true, onAppended: null }
  }

  /** Answers every parked request (NOT_COORDINATOR), stops the timers and waits for writes under way. */
  close (): Promise<void> {
    this.closing ??= (async () => {
      this.active = false
      this.timer.close()
      this.groupManager.unload(this.groupManager.allGroupIds())
      // Let the handlers of the answered requests write their responses before connections close.
      await new Promise(resolve => setImmediate(resolve))
      await Promise.all([...this.tails, ...this.loads])
    })()
    return this.closing
  }
}
