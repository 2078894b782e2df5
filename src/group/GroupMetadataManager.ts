// The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), DescribeGroups,
// ListGroups and the group side of DeleteGroups, with Kafka's semantics and error codes
// (GroupMetadataManager.java, classic group parts).
//
// A rebalance, as Kafka runs it:
// - A member joins with an empty member id. From JoinGroup v4 on, a dynamic member gets a member
//   id and MEMBER_ID_REQUIRED right away and joins again with it (it is "pending" meanwhile, with
//   a session timeout). Static members (group.instance.id) take or replace their place directly.
// - Joining moves the group to PreparingRebalance. JoinGroup responses are parked until every
//   known member has rejoined, or the rebalance timeout (the largest of the members') removes the
//   dynamic members that did not. The first rebalance of an empty group waits
//   group.initial.rebalance.delay.ms, extended while new members keep arriving.
// - Then the generation increments, a protocol is chosen (every member offers it; most preferred
//   wins the vote), all parked JoinGroups are answered (the leader gets the member list), and the
//   group waits in CompletingRebalance for SyncGroups. Followers' SyncGroups are parked until the
//   leader sends the assignment, which is written to __consumer_offsets (GroupMetadata record)
//   before anyone gets it; then the group is Stable.
// - Members heartbeat within their session timeout; a missed session removes the member and
//   starts a rebalance. Members that do not sync within the rebalance timeout are removed too.
//
// State changes happen synchronously inside each method; records describe the state to persist,
// and parked responses are callbacks (see ClassicGroupMember). Timers are keyed as in Kafka, and
// a fired timer is an operation that may itself produce records.

import { randomUUID } from 'node:crypto'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import type { Logger } from '../Logger.ts'
import { ClassicGroup, ClassicGroupState, GroupError } from './ClassicGroup.ts'
import {
  ClassicGroupMember, EMPTY_ASSIGNMENT, type GroupProtocol, type JoinGroupResult, type SyncGroupResult,
  joinGroupResult, syncGroupResult,
} from './ClassicGroupMember.ts'
import { type CoordinatorResult, EMPTY_RESULT, result } from './CoordinatorResult.ts'
import type { CoordinatorTimer } from './CoordinatorTimer.ts'
import type { GroupCoordinatorConfig } from './GroupCoordinatorConfig.ts'
import type { CoordinatorRecord, GroupMetadataRecord } from './records.ts'
import { ConsumerGroupMetadataManager } from './consumer/ConsumerGroupMetadataManager.ts'
import type { ConsumerGroup } from './consumer/ConsumerGroup.ts'

/** The empty member id a new member joins with. */
export const UNKNOWN_MEMBER_ID = ''
/** What ListGroups v5 calls a classic group. */
export const CLASSIC_GROUP_TYPE = 'classic'

/** Who sent a request, as the coordinator needs it. */
export interface GroupRequestContext {
  readonly clientId: string
  readonly clientHost: string
  readonly apiVersion: number
}

export interface JoinGroupRequestData {
  readonly groupId: string
  readonly sessionTimeoutMs: number
  /** Already set to the session timeout for JoinGroup v0, which has none. */
  readonly rebalanceTimeoutMs: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly protocolType: string
  readonly protocols: readonly GroupProtocol[]
  readonly reason: string | null
}

export interface SyncGroupRequestData {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly assignments: ReadonlyArray<{ readonly memberId: string, readonly assignment: Buffer }>
}

export interface HeartbeatRequestData {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
}

export interface LeaveGroupMemberData {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly reason: string | null
}

export interface LeaveGroupResult {
  errorCode: number
  members: Array<{ memberId: string, groupInstanceId: string | null, errorCode: number }>
}

export interface DescribedGroup {
  errorCode: number
  groupId: string
  groupState: string
  protocolType: string
  protocolData: string
  members: Array<{ memberId: string, groupInstanceId: string | null, clientId: string, clientHost: string, memberMetadata: Buffer, memberAssignment: Buffer }>
}

export interface ListedGroup {
  groupId: string
  protocolType: string
  groupState: string
  groupType: string
}

export type TimerOperation = () => CoordinatorResult<void>

/** Maps the error a GroupMetadata write failed with to what members are told (Kafka's mapping). */
export function appendErrorToResponseError (code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR
    default:
      return code
  }
}

// Timer keys: [kind, groupId, memberId?] as JSON, so any group or member id maps to its own key;
// the group id is the key's scope.
const heartbeatKey = (groupId: string, memberId: string): string => JSON.stringify(['heartbeat', groupId, memberId])
const joinKey = (groupId: string): string => JSON.stringify(['join', groupId])
const syncKey = (groupId: string): string => JSON.stringify(['sync', groupId])

export class GroupMetadataManager {
  private readonly config: GroupCoordinatorConfig
  private readonly now: () => number
  private readonly timer: CoordinatorTimer<TimerOperation>
  private readonly logger: Logger
  /** Classic groups; KIP-848 consumer groups live in `consumer` (a group id is one or the other). */
  readonly groups = new Map<string, ClassicGroup>()
  readonly consumer: ConsumerGroupMetadataManager

  constructor (opts: { config: GroupCoordinatorConfig, now: () => number, timer: CoordinatorTimer<TimerOperation>, logger: Logger }) {
    this.config = opts.config
    this.now = opts.now
    this.timer = opts.timer
    this.logger = opts.logger
    this.consumer = new ConsumerGroupMetadataManager({
      ...(opts.config.consumer !== undefined ? { config: opts.config.consumer } : {}),
      now: opts.now,
      timer: opts.timer,
      logger: opts.logger,
      classic: this,
    })
  }

  group (groupId: string): ClassicGroup | undefined { return this.groups.get(groupId) }

  /** A KIP-848 consumer group. */
  consumerGroup (groupId: string): ConsumerGroup | undefined { return this.consumer.group(groupId) }

  /** Whether a group of either type exists. */
  hasGroup (groupId: string): boolean { return this.groups.has(groupId) || this.consumer.groups.has(groupId) }

  /** Every group id of either type. */
  allGroupIds (): string[] { return [...this.groups.keys(), ...this.consumer.groups.keys()] }

  getOrCreateGroup (groupId: string): ClassicGroup {
    let group = this.groups.get(groupId)
    if (group === undefined) {
      group = new ClassicGroup(groupId, this.now)
      this.groups.set(groupId, group)
    }
    return group
  }

  // ---- JoinGroup ----

  joinGroup (ctx: GroupRequestContext, req: JoinGroupRequestData, complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    const isUnknownMember = req.memberId === UNKNOWN_MEMBER_ID
    const isNewGroup = !this.groups.has(req.groupId)
    // A group is created by a member without id; a member id for a group that does not exist is stale.
    if (isNewGroup && !isUnknownMember) {
      complete(joinGroupResult(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
      return EMPTY_RESULT
    }
    const group = this.getOrCreateGroup(req.groupId)
    let res: CoordinatorResult<void> = EMPTY_RESULT
    if (!this.acceptJoiningMember(group, req.memberId)) {
      group.remove(req.memberId)
      this.timer.cancel(heartbeatKey(group.groupId, req.memberId))
      complete(joinGroupResult(ErrorCode.GROUP_MAX_SIZE_REACHED, UNKNOWN_MEMBER_ID))
    } else if (isUnknownMember) {
      res = this.joinNewMember(ctx, req, group, complete)
    } else {
      res = this.joinExistingMember(ctx, req, group, complete)
    }
    if (isNewGroup && res === EMPTY_RESULT) {
      // Persist the new group so that it exists after a restart even before its first generation.
      return result<void>(undefined, [this.emptyGroupMetadataRecord(group)], {
        replay: false,
        onAppended: (err) => {
          if (err === null) return
          this.logger.warn({ groupId: group.groupId, errorCode: err }, 'could not write the metadata of a new group')
          complete(joinGroupResult(appendErrorToResponseError(err), UNKNOWN_MEMBER_ID))
        },
      })
    }
    return res
  }

  private acceptJoiningMember (group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case ClassicGroupState.Empty:
      case ClassicGroupState.Dead:
        return true
      case ClassicGroupState.PreparingRebalance:
        // Counting the members awaiting a join (not the group size, which may exceed a lowered
        // maximum) lets already-waiting members in and keeps the last rejoining ones out.
        return (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) ||
          group.numAwaitingJoinResponse < this.config.maxSize
      case ClassicGroupState.CompletingRebalance:
      case ClassicGroupState.Stable:
        return group.hasMember(memberId) || group.numMembers < this.config.maxSize
    }
  }

  private joinNewMember (ctx: GroupRequestContext, req: JoinGroupRequestData, group: ClassicGroup, complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    if (group.is(ClassicGroupState.Dead)) {
      complete(joinGroupResult(ErrorCode.COORDINATOR_NOT_AVAILABLE, UNKNOWN_MEMBER_ID))
      return EMPTY_RESULT
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      complete(joinGroupResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, UNKNOWN_MEMBER_ID))
      return EMPTY_RESULT
    }
    const newMemberId = `${req.groupInstanceId ?? ctx.clientId}-${randomUUID()}`
    if (req.groupInstanceId !== null) {
      const existing = group.staticMemberId(req.groupInstanceId)
      if (existing !== undefined) {
        this.logger.info({ groupId: group.groupId, groupInstanceId: req.groupInstanceId, oldMemberId: existing, memberId: newMemberId, state: group.state }, 'static member rejoined with an unknown member id; replacing its old member id')
        return this.updateStaticMemberThenRebalanceOrCompleteJoin(ctx, req, group, existing, newMemberId, complete)
      }
      return this.addMemberThenRebalanceOrCompleteJoin(ctx, req, group, newMemberId, complete)
    }
    if (ctx.apiVersion >= 4) {
      // KIP-394: the member must come back with this id, so a client that retries after a lost
      // response does not add a second member.
      group.addPendingMember(newMemberId)
      this.timer.schedule(group.groupId, heartbeatKey(group.groupId, newMemberId), req.sessionTimeoutMs, () => this.expireMemberHeartbeat(group.groupId, newMemberId))
      complete(joinGroupResult(ErrorCode.MEMBER_ID_REQUIRED, newMemberId))
      return EMPTY_RESULT
    }
    return this.addMemberThenRebalanceOrCompleteJoin(ctx, req, group, newMemberId, complete)
  }

  private joinExistingMember (ctx: GroupRequestContext, req: JoinGroupRequestData, group: ClassicGroup, complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    const memberId = req.memberId
    if (group.is(ClassicGroupState.Dead)) {
      complete(joinGroupResult(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId))
      return EMPTY_RESULT
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      complete(joinGroupResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId))
      return EMPTY_RESULT
    }
    if (group.isPendingMember(memberId)) {
      // The second JoinGroup of a dynamic member that got MEMBER_ID_REQUIRED. A pending member is
      // never static; a client sending an instance id with a pending member id is refused.
      if (req.groupInstanceId !== null) {
        complete(joinGroupResult(ErrorCode.UNKNOWN_MEMBER_ID, memberId))
        return EMPTY_RESULT
      }
      return this.addMemberThenRebalanceOrCompleteJoin(ctx, req, group, memberId, complete)
    }
    try {
      group.validateMember(memberId, req.groupInstanceId)
    } catch (err) {
      if (!(err instanceof GroupError)) throw err
      complete(joinGroupResult(err.code, memberId))
      return EMPTY_RESULT
    }
    const member = group.member(memberId)
    switch (group.state) {
      case ClassicGroupState.PreparingRebalance:
        return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, 'member rejoined during a rebalance', complete)
      case ClassicGroupState.CompletingRebalance:
        if (member.matches(req.protocols)) {
          // Same metadata: the member probably lost its JoinGroup response; send it again.
          complete(this.currentJoinResult(group, memberId, group.isLeader(memberId)))
          return EMPTY_RESULT
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, 'member changed its metadata while the group awaited the assignment', complete)
      case ClassicGroupState.Stable:
        if (group.isLeader(memberId)) {
          // A rejoining leader forces a rebalance: it may have seen metadata changes (new partitions).
          return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, 'leader rejoined', complete)
        }
        if (!member.matches(req.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, 'member changed its metadata', complete)
        }
        complete(this.currentJoinResult(group, memberId, false))
        return EMPTY_RESULT
      default:
        // Empty (a member id of an earlier generation): the member must reset and join anew.
        this.logger.warn({ groupId: group.groupId, memberId, state: group.state }, 'rejoining member in an unexpected group state')
        complete(joinGroupResult(ErrorCode.UNKNOWN_MEMBER_ID, memberId))
        return EMPTY_RESULT
    }
  }

  private currentJoinResult (group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResult {
    return joinGroupResult(ErrorCode.NONE, memberId, {
      members: withMembers ? group.currentMembers() : [],
      generationId: group.generationId,
      protocolName: group.protocolName,
      protocolType: group.protocolType,
      leader: group.leaderId ?? '',
      skipAssignment: false,
    })
  }

  private updateMemberThenRebalanceOrCompleteJoin (req: JoinGroupRequestData, group: ClassicGroup, member: ClassicGroupMember, reason: string,
    complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, complete)
    return this.maybePrepareRebalanceOrCompleteJoin(group, reason)
  }

  private addMemberThenRebalanceOrCompleteJoin (ctx: GroupRequestContext, req: JoinGroupRequestData, group: ClassicGroup, memberId: string,
    complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    const member = new ClassicGroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      supportedProtocols: req.protocols,
    })
    member.isNew = true
    // A member arriving during the initial delay extends it.
    if (group.is(ClassicGroupState.PreparingRebalance) && group.previousState === ClassicGroupState.Empty) group.newMemberAdded = true
    group.add(member, complete)
    // A new member cannot heartbeat and a parked request hides disconnects, so its JoinGroup
    // expires on its own timeout; a client still there retries.
    this.rescheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs)
    return this.maybePrepareRebalanceOrCompleteJoin(group, `new member ${memberId} joined`)
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin (ctx: GroupRequestContext, req: JoinGroupRequestData, group: ClassicGroup, oldMemberId: string,
    newMemberId: string, complete: (r: JoinGroupResult) => void): CoordinatorResult<void> {
    const instanceId = req.groupInstanceId as string
    const currentLeader = group.leaderId
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, old => new ClassicGroupMember({
      memberId: newMemberId,
      groupInstanceId: old.groupInstanceId,
      clientId: old.clientId,
      clientHost: old.clientHost,
      rebalanceTimeoutMs: old.rebalanceTimeoutMs,
      sessionTimeoutMs: old.sessionTimeoutMs,
      protocolType: old.protocolType,
      supportedProtocols: old.supportedProtocols,
      assignment: old.assignment,
    }))
    // The old id's session timer finds no member and does nothing; the new id gets its own.
    this.timer.cancel(heartbeatKey(group.groupId, oldMemberId))
    this.rescheduleHeartbeat(group, member)
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs
    const oldSessionTimeoutMs = member.sessionTimeoutMs
    const oldProtocols = member.supportedProtocols
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, complete)

    if (group.is(ClassicGroupState.Stable)) {
      if ((group.protocolName ?? '') === group.selectProtocol()) {
        // The chosen protocol stays: no rebalance, just persist the new member id.
        const groupAssignment = group.groupAssignment()
        return result<void>(undefined, [this.groupMetadataRecord(group, groupAssignment)], {
          replay: false,
          onAppended: (err) => {
            if (err !== null) {
              this.logger.warn({ groupId: group.groupId, memberId: newMemberId, groupInstanceId: instanceId, errorCode: err }, 'could not persist a static member\'s new id; reverting to the old one')
              group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null)
              const reverted = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, m => new ClassicGroupMember({
                memberId: oldMemberId,
                groupInstanceId: m.groupInstanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                rebalanceTimeoutMs: m.rebalanceTimeoutMs,
                sessionTimeoutMs: m.sessionTimeoutMs,
                protocolType: m.protocolType,
                supportedProtocols: m.supportedProtocols,
                assignment: m.assignment,
              }))
              this.timer.cancel(heartbeatKey(group.groupId, newMemberId))
              this.rescheduleHeartbeat(group, reverted)
              complete(joinGroupResult(appendErrorToResponseError(err), UNKNOWN_MEMBER_ID, {
                generationId: group.generationId,
                protocolName: group.protocolName,
                protocolType: group.protocolType,
                leader: currentLeader ?? '',
              }))
              return
            }
            if (ctx.apiVersion >= 9) {
              // KIP-814: a static leader that rejoins is told to skip the assignment (the group keeps it).
              const isLeader = group.isLeader(newMemberId)
              group.completeJoin(member, joinGroupResult(ErrorCode.NONE, newMemberId, {
                members: isLeader ? group.currentMembers() : [],
                generationId: group.generationId,
                protocolName: group.protocolName,
                protocolType: group.protocolType,
                leader: group.leaderId ?? '',
                skipAssignment: isLeader,
              }))
            } else {
              group.completeJoin(member, joinGroupResult(ErrorCode.NONE, newMemberId, {
                generationId: group.generationId,
                protocolName: group.protocolName,
                protocolType: group.protocolType,
                leader: currentLeader ?? '',
              }))
            }
          },
        })
      }
      return this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${instanceId} rejoined with other protocols`)
    }
    if (group.is(ClassicGroupState.CompletingRebalance)) {
      // The leader may already be assigning to the old member id: start over.
      return this.prepareRebalance(group, `static member ${instanceId} rejoined during the assignment`)
    }
    return this.maybeCompleteJoinPhase(group)
  }

  private maybePrepareRebalanceOrCompleteJoin (group: ClassicGroup, reason: string): CoordinatorResult<void> {
    if (group.canRebalance()) return this.prepareRebalance(group, reason)
    return this.maybeCompleteJoinPhase(group)
  }

  /** Starts a rebalance (exported for tests, as Kafka's). */
  prepareRebalance (group: ClassicGroup, reason: string): CoordinatorResult<void> {
    // Members waiting for an assignment must rejoin instead.
    if (group.is(ClassicGroupState.CompletingRebalance)) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    this.removeSyncExpiration(group)
    const isInitialRebalance = group.isEmpty
    if (isInitialRebalance) {
      const delayMs = this.config.initialRebalanceDelayMs
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0)
      this.timer.schedule(group.groupId, joinKey(group.groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group.groupId, delayMs, remainingMs))
    }
    group.transitionTo(ClassicGroupState.PreparingRebalance)
    this.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'preparing to rebalance group')
    return isInitialRebalance ? EMPTY_RESULT : this.maybeCompleteJoinElseSchedule(group)
  }

  private maybeCompleteJoinElseSchedule (group: ClassicGroup): CoordinatorResult<void> {
    if (group.hasAllMembersJoined()) return this.completeJoin(group)
    this.timer.schedule(group.groupId, joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoinById(group.groupId))
    return EMPTY_RESULT
  }

  private tryCompleteInitialRebalanceElseSchedule (groupId: string, delayMs: number, remainingMs: number): CoordinatorResult<void> {
    const group = this.groups.get(groupId)
    if (group === undefined) return EMPTY_RESULT
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false
      const newDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs)
      const newRemainingMs = Math.max(remainingMs - delayMs, 0)
      this.timer.schedule(groupId, joinKey(groupId), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, newDelayMs, newRemainingMs))
      return EMPTY_RESULT
    }
    return this.completeJoin(group)
  }

  private maybeCompleteJoinPhase (group: ClassicGroup): CoordinatorResult<void> {
    if (!group.is(ClassicGroupState.PreparingRebalance)) return EMPTY_RESULT
    // The initial rebalance completes on its timer only.
    if (group.previousState === ClassicGroupState.Empty) return EMPTY_RESULT
    if (!group.hasAllMembersJoined()) return EMPTY_RESULT
    return this.completeJoin(group)
  }

  private completeJoinById (groupId: string): CoordinatorResult<void> {
    const group = this.groups.get(groupId)
    return group === undefined ? EMPTY_RESULT : this.completeJoin(group)
  }

  /**
   * Ends the join phase: drops the dynamic members that did not rejoin, then either moves to the
   * next generation (answering every parked JoinGroup) or, if nobody rejoined, waits another
   * rebalance timeout for sessions to expire.
   */
  private completeJoin (group: ClassicGroup): CoordinatorResult<void> {
    this.timer.cancel(joinKey(group.groupId))
    const dropped = group.notYetRejoinedMembers().filter(m => !m.isStatic)
    for (const m of dropped) {
      group.remove(m.memberId)
      this.timer.cancel(heartbeatKey(group.groupId, m.memberId))
    }
    if (dropped.length > 0) this.logger.info({ groupId: group.groupId, members: dropped.map(m => m.memberId) }, 'removed members that did not rejoin')

    if (group.is(ClassicGroupState.Dead)) return EMPTY_RESULT
    if (!group.maybeElectNewJoinedLeader() && group.numMembers > 0) {
      this.logger.warn({ groupId: group.groupId }, 'no member rejoined; waiting another rebalance timeout')
      this.timer.schedule(group.groupId, joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoinById(group.groupId))
      return EMPTY_RESULT
    }
    group.initNextGeneration()
    if (group.isEmpty) {
      this.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is now empty')
      return result<void>(undefined, [this.groupMetadataRecord(group, new Map())], {
        replay: false,
        onAppended: (err) => {
          // The previous generation stays in the log and times out after a restart; nothing to undo.
          if (err !== null) this.logger.warn({ groupId: group.groupId, errorCode: err }, 'could not write the metadata of an empty group')
        },
      })
    }
    this.logger.info({ groupId: group.groupId, generationId: group.generationId, members: group.numMembers, protocol: group.protocolName }, 'group stabilised a new generation')
    for (const member of group.members.values()) {
      group.completeJoin(member, this.currentJoinResult(group, member.memberId, group.isLeader(member.memberId)))
      this.rescheduleHeartbeat(group, member)
      member.isNew = false
      group.addPendingSyncMember(member.memberId)
    }
    this.schedulePendingSync(group)
    return EMPTY_RESULT
  }

  private schedulePendingSync (group: ClassicGroup): void {
    const generationId = group.generationId
    this.timer.schedule(group.groupId, syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group.groupId, generationId))
  }

  private expirePendingSync (groupId: string, generationId: number): CoordinatorResult<void> {
    const group = this.groups.get(groupId)
    if (group === undefined || generationId !== group.generationId) return EMPTY_RESULT
    if (!(group.is(ClassicGroupState.CompletingRebalance) || group.is(ClassicGroupState.Stable))) return EMPTY_RESULT
    if (group.hasReceivedSyncFromAllMembers()) return EMPTY_RESULT
    const late = group.allPendingSyncMembers()
    for (const memberId of late) {
      group.remove(memberId)
      this.timer.cancel(heartbeatKey(groupId, memberId))
    }
    return this.prepareRebalance(group, `members ${late.join(', ')} did not send SyncGroup in time`)
  }

  private expireMemberHeartbeat (groupId: string, memberId: string): CoordinatorResult<void> {
    const group = this.groups.get(groupId)
    if (group === undefined || group.is(ClassicGroupState.Dead)) return EMPTY_RESULT
    if (group.isPendingMember(memberId)) {
      this.logger.info({ groupId, memberId }, 'pending member removed after its session timed out')
      group.remove(memberId)
      if (group.is(ClassicGroupState.PreparingRebalance) && group.hasAllMembersJoined()) return this.completeJoin(group)
      return EMPTY_RESULT
    }
    const member = group.members.get(memberId)
    if (member === undefined || member.hasSatisfiedHeartbeat()) return EMPTY_RESULT
    this.logger.info({ groupId, memberId }, 'member failed to heartbeat; removing it from the group')
    return this.removeMemberAndUpdateGroup(group, member, 'session expired')
  }

  private removeMemberAndUpdateGroup (group: ClassicGroup, member: ClassicGroupMember, reason: string): CoordinatorResult<void> {
    // A new member may still have a parked JoinGroup: answer it so the client retries.
    group.completeJoin(member, joinGroupResult(ErrorCode.UNKNOWN_MEMBER_ID, UNKNOWN_MEMBER_ID))
    group.remove(member.memberId)
    if (group.is(ClassicGroupState.Stable) || group.is(ClassicGroupState.CompletingRebalance)) {
      return this.maybePrepareRebalanceOrCompleteJoin(group, `member ${member.memberId} removed: ${reason}`)
    }
    if (group.is(ClassicGroupState.PreparingRebalance) && group.hasAllMembersJoined()) return this.completeJoin(group)
    return EMPTY_RESULT
  }

  private resetAndPropagateAssignmentWithError (group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT
    this.propagateAssignment(group, errorCode)
  }

  private setAndPropagateAssignment (group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT
    this.propagateAssignment(group, ErrorCode.NONE)
  }

  private propagateAssignment (group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE
    for (const m of group.members.values()) {
      const answered = group.completeSync(m, syncGroupResult(errorCode, {
        protocolName: ok ? group.protocolName : null,
        protocolType: ok ? group.protocolType : null,
        assignment: m.assignment,
      }))
      // A session that ran out while the member waited was ignored; start it afresh.
      if (answered) this.rescheduleHeartbeat(group, m)
    }
  }

  private rescheduleHeartbeat (group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId
    const memberId = member.memberId
    this.timer.schedule(groupId, heartbeatKey(groupId, memberId), timeoutMs, () => this.expireMemberHeartbeat(groupId, memberId))
  }

  /** A commit by a member keeps its session alive (Stable or PreparingRebalance). */
  touchMemberOnCommit (group: ClassicGroup, memberId: string): void {
    if ((group.is(ClassicGroupState.Stable) || group.is(ClassicGroupState.PreparingRebalance)) && group.hasMember(memberId)) {
      this.rescheduleHeartbeat(group, group.member(memberId))
    }
  }

  private removeSyncExpiration (group: ClassicGroup): void {
    group.clearPendingSyncMembers()
    this.timer.cancel(syncKey(group.groupId))
  }

  // ---- SyncGroup ----

  syncGroup (ctx: GroupRequestContext, req: SyncGroupRequestData, complete: (r: SyncGroupResult) => void): CoordinatorResult<void> {
    const group = this.groups.get(req.groupId)
    if (group === undefined || group.isEmpty) {
      complete(syncGroupResult(ErrorCode.UNKNOWN_MEMBER_ID))
      return EMPTY_RESULT
    }
    const error = this.validateSyncGroup(group, req)
    if (error !== ErrorCode.NONE) {
      complete(syncGroupResult(error))
      return EMPTY_RESULT
    }
    if (group.is(ClassicGroupState.PreparingRebalance)) {
      complete(syncGroupResult(ErrorCode.REBALANCE_IN_PROGRESS))
      return EMPTY_RESULT
    }
    if (group.is(ClassicGroupState.CompletingRebalance)) {
      const member = group.member(req.memberId)
      // A member syncing twice: the first parked request gives way to the new one.
      if (member.awaitingSync !== null) group.completeSync(member, syncGroupResult(ErrorCode.REBALANCE_IN_PROGRESS))
      member.awaitingSync = complete
      this.removePendingSyncMember(group, req.memberId)
      if (!group.isLeader(req.memberId)) return EMPTY_RESULT
      this.logger.info({ groupId: group.groupId, generationId: group.generationId, members: group.numMembers, staticMembers: group.numStaticMembers }, 'assignment received from the leader')
      const assignment = new Map<string, Buffer>()
      for (const a of req.assignments) assignment.set(a.memberId, a.assignment)
      const missing: string[] = []
      for (const m of group.members.values()) {
        if (!assignment.has(m.memberId)) { assignment.set(m.memberId, EMPTY_ASSIGNMENT); missing.push(m.memberId) }
      }
      // Assignments for ids that are not members are dropped, as Kafka's record only lists members.
      for (const id of [...assignment.keys()]) if (!group.hasMember(id)) assignment.delete(id)
      if (missing.length > 0) this.logger.warn({ groupId: group.groupId, generationId: group.generationId, members: missing }, 'leader gave no assignment to some members; they get an empty one')
      const generationId = req.generationId
      return result<void>(undefined, [this.groupMetadataRecord(group, assignment)], {
        replay: false,
        onAppended: (err) => {
          // Another member may have joined meanwhile: act only if this generation still awaits it.
          if (!group.is(ClassicGroupState.CompletingRebalance) || generationId !== group.generationId || this.groups.get(group.groupId) !== group) return
          if (err !== null) {
            const code = appendErrorToResponseError(err)
            this.resetAndPropagateAssignmentWithError(group, code)
            this.maybePrepareRebalanceOrCompleteJoin(group, `error ${code} storing the assignment`)
            return
          }
          this.setAndPropagateAssignment(group, assignment)
          group.transitionTo(ClassicGroupState.Stable)
        },
      })
    }
    if (group.is(ClassicGroupState.Stable)) {
      this.removePendingSyncMember(group, req.memberId)
      const member = group.member(req.memberId)
      complete(syncGroupResult(ErrorCode.NONE, { protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }))
      return EMPTY_RESULT
    }
    complete(syncGroupResult(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    return EMPTY_RESULT
  }

  private validateSyncGroup (group: ClassicGroup, req: SyncGroupRequestData): number {
    if (group.is(ClassicGroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    try {
      group.validateMember(req.memberId, req.groupInstanceId)
    } catch (err) {
      if (err instanceof GroupError) return err.code
      throw err
    }
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    if (isProtocolInconsistent(req.protocolType, group.protocolType) || isProtocolInconsistent(req.protocolName, group.protocolName)) {
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    }
    return ErrorCode.NONE
  }

  private removePendingSyncMember (group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId)
    if (group.hasReceivedSyncFromAllMembers()) this.timer.cancel(syncKey(group.groupId))
  }

  // ---- Heartbeat ----

  heartbeat (req: HeartbeatRequestData): CoordinatorResult<number> {
    const group = this.groups.get(req.groupId)
    if (group === undefined) return result(ErrorCode.UNKNOWN_MEMBER_ID)
    if (group.is(ClassicGroupState.Dead)) return result(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    try {
      group.validateMember(req.memberId, req.groupInstanceId)
    } catch (err) {
      if (err instanceof GroupError) return result(err.code)
      throw err
    }
    if (req.generationId !== group.generationId) return result(ErrorCode.ILLEGAL_GENERATION)
    switch (group.state) {
      case ClassicGroupState.Empty:
        return result(ErrorCode.UNKNOWN_MEMBER_ID)
      case ClassicGroupState.PreparingRebalance:
        this.rescheduleHeartbeat(group, group.member(req.memberId))
        return result(ErrorCode.REBALANCE_IN_PROGRESS)
      default:
        // CompletingRebalance or Stable: clients heartbeat once they have their JoinGroup response.
        this.rescheduleHeartbeat(group, group.member(req.memberId))
        return result(ErrorCode.NONE)
    }
  }

  // ---- LeaveGroup ----

  leaveGroup (groupId: string, members: readonly LeaveGroupMemberData[]): CoordinatorResult<LeaveGroupResult> {
    const group = this.groups.get(groupId)
    if (group === undefined) {
      return result({ errorCode: ErrorCode.NONE, members: members.map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) })
    }
    if (group.is(ClassicGroupState.Dead)) return result({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] })
    const responses: LeaveGroupResult['members'] = []
    const left: string[] = []
    for (const m of members) {
      const reason = m.reason ?? 'not provided'
      let errorCode: number = ErrorCode.NONE
      if (m.memberId === UNKNOWN_MEMBER_ID) {
        // Administrative removal by group.instance.id (kafka-consumer-groups, AdminClient).
        const staticId = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId)
        if (staticId !== undefined) this.removeCurrentMember(group, staticId, reason)
        else errorCode = ErrorCode.UNKNOWN_MEMBER_ID
      } else if (group.isPendingMember(m.memberId)) {
        group.remove(m.memberId)
        this.timer.cancel(heartbeatKey(groupId, m.memberId))
        this.logger.info({ groupId, memberId: m.memberId, reason }, 'pending member left the group')
      } else {
        try {
          group.validateMember(m.memberId, m.groupInstanceId)
          this.removeCurrentMember(group, m.memberId, reason)
        } catch (err) {
          if (!(err instanceof GroupError)) throw err
          errorCode = err.code
        }
      }
      responses.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })
      if (errorCode === ErrorCode.NONE) left.push(m.memberId)
    }
    let after: CoordinatorResult<void> = EMPTY_RESULT
    if (left.length > 0) {
      const reason = `members ${left.join(', ')} left the group`
      if (group.is(ClassicGroupState.Stable) || group.is(ClassicGroupState.CompletingRebalance)) after = this.maybePrepareRebalanceOrCompleteJoin(group, reason)
      else if (group.is(ClassicGroupState.PreparingRebalance)) after = this.maybeCompleteJoinPhase(group)
    }
    return { records: after.records, response: { errorCode: ErrorCode.NONE, members: responses }, replay: after.replay, onAppended: after.onAppended }
  }

  private removeCurrentMember (group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.member(memberId)
    this.timer.cancel(heartbeatKey(group.groupId, memberId))
    this.logger.info({ groupId: group.groupId, memberId, reason }, 'member left the group')
    group.completeJoin(member, joinGroupResult(ErrorCode.UNKNOWN_MEMBER_ID, UNKNOWN_MEMBER_ID))
    group.remove(memberId)
  }

  // ---- DescribeGroups, ListGroups, DeleteGroups ----

  describeGroup (groupId: string): DescribedGroup {
    const group = this.groups.get(groupId)
    if (group === undefined) {
      return { errorCode: ErrorCode.NONE, groupId, groupState: ClassicGroupState.Dead, protocolType: '', protocolData: '', members: [] }
    }
    const stable = group.is(ClassicGroupState.Stable) && group.protocolName !== null
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? group.protocolName as string : '',
      members: [...group.members.values()].map(m => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? (m.metadata(group.protocolName as string) ?? EMPTY_ASSIGNMENT) : EMPTY_ASSIGNMENT,
        memberAssignment: m.assignment,
      })),
    }
  }

  /** Groups matching the filters: states compared case-insensitively, types as Kafka parses them. */
  listGroups (statesFilter: readonly string[], typesFilter: readonly string[], include: (groupId: string) => boolean = () => true): ListedGroup[] {
    const states = new Set(statesFilter.map(s => s.trim().toLowerCase()))
    const types = new Set(typesFilter.map(t => t.trim().toLowerCase()))
    const out: ListedGroup[] = []
    for (const group of this.groups.values()) {
      if (!include(group.groupId)) continue
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue
      if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) continue
      out.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: CLASSIC_GROUP_TYPE })
    }
    out.push(...this.consumer.listGroups(states, types, include))
    return out
  }

  /** Throws GroupError unless the group exists and is empty. */
  validateDeleteGroup (groupId: string): void {
    const consumerGroup = this.consumer.group(groupId)
    if (consumerGroup !== undefined) {
      consumerGroup.validateDeleteGroup()
      return
    }
    const group = this.groups.get(groupId)
    if (group === undefined) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND)
    group.validateDeleteGroup()
  }

  groupTombstone (groupId: string): GroupMetadataRecord {
    return { type: 'groupMetadata', group: groupId, value: null }
  }

  /** The tombstones deleting a group of either type. */
  groupTombstones (groupId: string, records: CoordinatorRecord[]): void {
    const consumerGroup = this.consumer.group(groupId)
    if (consumerGroup !== undefined) this.consumer.groupTombstones(consumerGroup, records)
    else records.push(this.groupTombstone(groupId))
  }

  /** Tombstones for the group if it exists and is empty (offset expiration). */
  maybeDeleteGroup (groupId: string, records: CoordinatorRecord[]): void {
    const group = this.groups.get(groupId)
    if (group !== undefined && group.isEmpty) records.push(this.groupTombstone(groupId))
    else this.consumer.maybeDeleteGroup(groupId, records)
  }

  // ---- records ----

  private groupMetadataRecord (group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): GroupMetadataRecord {
    const protocol = group.protocolName
    return {
      type: 'groupMetadata',
      group: group.groupId,
      value: {
        protocolType: group.protocolType ?? '',
        generation: group.generationId,
        protocol,
        leader: group.leaderId,
        currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1),
        members: [...group.members.values()].map(m => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: (protocol === null ? undefined : m.metadata(protocol)) ?? EMPTY_ASSIGNMENT,
          assignment: assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT,
        })),
      },
    }
  }

  private emptyGroupMetadataRecord (group: ClassicGroup): GroupMetadataRecord {
    return {
      type: 'groupMetadata',
      group: group.groupId,
      value: { protocolType: '', generation: 0, protocol: null, leader: null, currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1), members: [] },
    }
  }

  /** Applies a GroupMetadata record (loading) or its tombstone (loading, deletion, expiration). */
  replay (record: GroupMetadataRecord): void {
    const groupId = record.group
    const value = record.value
    if (value === null) {
      this.removeGroup(groupId)
      return
    }
    // The group id now names a classic group (JoinGroup took over an empty consumer group, whose
    // tombstones came first in a consistent log).
    this.consumer.unload([groupId])
    const protocolType = value.protocolType === '' ? null : value.protocolType
    const members = value.members.map(m => new ClassicGroupMember({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      protocolType: value.protocolType,
      supportedProtocols: [{ name: value.protocol ?? '', metadata: m.subscription }],
      assignment: m.assignment,
    }))
    const group = new ClassicGroup(groupId, this.now, {
      state: members.length === 0 ? ClassicGroupState.Empty : ClassicGroupState.Stable,
      generationId: value.generation,
      protocolType,
      protocolName: value.protocol,
      leaderId: value.leader,
      currentStateTimestamp: value.currentStateTimestamp === -1n ? null : Number(value.currentStateTimestamp),
    })
    for (const m of members) group.add(m)
    // add() elects the first member leader when none is set; a record always names its leader.
    group.leaderId = value.leader
    this.removeGroup(groupId)
    this.groups.set(groupId, group)
    group.subscribedTopics = group.computeSubscribedTopics()
  }

  private removeGroup (groupId: string): void {
    const group = this.groups.get(groupId)
    if (group === undefined) return
    this.groups.delete(groupId)
    // Parked requests of a replaced or deleted group are told to find the coordinator again.
    this.unloadGroup(group)
  }

  /** After loading: every loaded member gets a session timer; oversized groups rebalance. */
  onLoaded (groupIds: Iterable<string>): Array<CoordinatorResult<void>> {
    const results: Array<CoordinatorResult<void>> = []
    groupIds = [...groupIds]
    this.consumer.onLoaded(groupIds)
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId)
      if (group === undefined) continue
      for (const m of group.members.values()) this.rescheduleHeartbeat(group, m)
      if (group.numMembers > this.config.maxSize) {
        results.push(this.prepareRebalance(group, `loaded group has ${group.numMembers} members, over group.max.size ${this.config.maxSize}`))
      }
    }
    return results
  }

  /** Drops the groups (coordinator closing or partition failing): parked requests get NOT_COORDINATOR. */
  unload (groupIds: Iterable<string>): void {
    groupIds = [...groupIds]
    this.consumer.unload(groupIds)
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId)
      if (group === undefined) continue
      this.groups.delete(groupId)
      this.unloadGroup(group)
    }
  }

  private unloadGroup (group: ClassicGroup): void {
    this.timer.cancelScope(group.groupId)
    const previous = group.state
    if (previous !== ClassicGroupState.Dead) group.transitionTo(ClassicGroupState.Dead)
    group.completeAllJoins(ErrorCode.NOT_COORDINATOR)
    group.completeAllSyncs(ErrorCode.NOT_COORDINATOR)
  }
}

function isProtocolInconsistent (requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current
}
