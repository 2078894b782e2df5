// The KIP-848 consumer group protocol (ConsumerGroupHeartbeat, ConsumerGroupDescribe) with Kafka's
// semantics (GroupMetadataManager.consumerGroupHeartbeat and its helpers), plus the consumer-group
// side of ListGroups, DeleteGroups, offset expiry and loading.
//
// A heartbeat runs in three steps, each writing records only for what changed:
//   1. the member is created or updated (ConsumerGroupMemberMetadata); if its subscription, the
//      topics its regular expression resolves to, or the subscribed topics' ids and partition counts
//      changed, the group epoch is bumped (ConsumerGroupMetadata, with a hash of those topics);
//   2. if the group epoch is ahead of the target assignment's, the server assignor (uniform by
//      default, or the one most members ask for) computes a new target assignment
//      (ConsumerGroupTargetAssignmentMember per changed member, ConsumerGroupTargetAssignmentMetadata);
//   3. the member is reconciled one step towards its target (CurrentAssignmentBuilder): revoke
//      before assign, so a partition is never owned by two members
//      (ConsumerGroupCurrentMemberAssignment).
// Nothing is changed in memory while computing: the records are the change, applied by replay()
// as they are written, and again when __consumer_offsets is loaded.
//
// Timers: a member that does not heartbeat within group.consumer.session.timeout.ms is fenced
// (removed, group epoch bumped); a member that does not revoke within its rebalance timeout is
// fenced too. Leaving: epoch -1 removes the member; epoch -2 keeps a static member's place (and
// assignment) until its session times out or it rejoins with the same instance id.
//
// Classic and consumer groups share the group id space, as in Kafka: a ConsumerGroupHeartbeat may
// take over an empty classic group (its metadata is tombstoned, committed offsets stay), and
// JoinGroup may take over an empty consumer group. A non-empty group of the other type is refused
// (GROUP_ID_NOT_FOUND here, INCONSISTENT_GROUP_PROTOCOL for JoinGroup): samsa does not implement
// Kafka's online upgrade/downgrade, which runs classic members inside a consumer group.
//
// Regular expressions (subscribedTopicRegex) are JavaScript RegExps matched against whole topic
// names (Kafka uses RE2/J): RE2 rejects lookarounds and backreferences, which JavaScript accepts,
// and JavaScript backtracking can be slow on pathological patterns (RE2 is linear). Internal topics
// never match. Resolution is synchronous, at each heartbeat of the group, so new matching topics
// are picked up within a heartbeat interval (Kafka resolves asynchronously).

import { createHash, randomUUID } from 'node:crypto'
import type { Logger } from '../../Logger.ts'
import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { type ClassicGroup, GroupError } from '../ClassicGroup.ts'
import { type CoordinatorResult, result } from '../CoordinatorResult.ts'
import type { CoordinatorTimer } from '../CoordinatorTimer.ts'
import type { GroupRequestContext, TimerOperation } from '../GroupMetadataManager.ts'
import type { ConsumerGroupRecord, CoordinatorRecord, GroupMetadataRecord } from '../records.ts'
import {
  assignmentEquals, EMPTY_ASSIGNMENT, fromEpochList, fromList, partitionEpochsEqual, type TopicPartitionList, type TopicPartitions,
  toEpochList, toList,
} from './Assignment.ts'
import { CONSUMER_GROUP_TYPE, ConsumerGroup, ConsumerGroupState, type SubscriptionMetadata } from './ConsumerGroup.ts'
import {
  type ConsumerGroupMember, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH, MemberState, memberStateFromRecord, newMember,
  normalizeTopicNames, sameMemberMetadata, sameTopicNames,
} from './ConsumerGroupMember.ts'
import { reconcile } from './CurrentAssignmentBuilder.ts'
import { type ConsumerGroupPartitionAssignor, type GroupSpec, type MemberSubscriptionSpec, PartitionAssignorError } from './PartitionAssignor.ts'
import { RangeAssignor } from './RangeAssignor.ts'
import { UniformAssignor } from './UniformAssignor.ts'

/** The assignors served, the first being the default (Kafka's group.consumer.assignors: uniform, range). */
export const CONSUMER_GROUP_ASSIGNORS: readonly ConsumerGroupPartitionAssignor[] = [UniformAssignor, RangeAssignor]

/** Topics Kafka calls internal: never matched by a regular expression subscription. */
const INTERNAL_TOPIC_NAMES: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state'])

/**
 * Longest subscribed regular expression accepted. Kafka has no such limit; samsa has one because
 * a JavaScript RegExp runs on the broker's only thread (see the header).
 */
export const MAX_SUBSCRIBED_TOPIC_REGEX_LENGTH = 4096

export interface ConsumerGroupConfig {
  /** group.consumer.heartbeat.interval.ms */
  readonly heartbeatIntervalMs: number
  /** group.consumer.session.timeout.ms */
  readonly sessionTimeoutMs: number
  /** group.consumer.max.size */
  readonly maxSize: number
}

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = { heartbeatIntervalMs: 5000, sessionTimeoutMs: 45000, maxSize: 2_147_483_647 }

/** A topic as the coordinator needs to see it (the broker's MetadataCache provides these). */
export interface TopicImage {
  readonly name: string
  readonly topicId: string
  readonly partitions: number
  readonly internal: boolean
}

export interface TopicsImage {
  topic: (name: string) => TopicImage | undefined
  topicById: (topicId: string) => TopicImage | undefined
  allTopics: () => Iterable<TopicImage>
}

export const EMPTY_TOPICS_IMAGE: TopicsImage = { topic: () => undefined, topicById: () => undefined, allTopics: () => [] }

export interface ConsumerGroupHeartbeatData {
  readonly groupId: string
  readonly memberId: string
  readonly memberEpoch: number
  readonly instanceId: string | null
  readonly rackId: string | null
  readonly rebalanceTimeoutMs: number
  readonly subscribedTopicNames: readonly string[] | null
  readonly subscribedTopicRegex: string | null
  readonly serverAssignor: string | null
  readonly topicPartitions: readonly TopicPartitionList[] | null
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number
  errorMessage: string | null
  memberId: string | null
  memberEpoch: number
  heartbeatIntervalMs: number
  assignment: { topicPartitions: TopicPartitionList[] } | null
}

export function heartbeatError (errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null }
}

interface DescribedTopicPartitions { topicId: string, topicName: string, partitions: number[] }

export interface DescribedConsumerGroup {
  errorCode: number
  errorMessage: string | null
  groupId: string
  groupState: string
  groupEpoch: number
  assignmentEpoch: number
  assignorName: string
  members: Array<{
    memberId: string
    instanceId: string | null
    rackId: string | null
    memberEpoch: number
    clientId: string
    clientHost: string
    subscribedTopicNames: string[]
    subscribedTopicRegex: string | null
    assignment: { topicPartitions: DescribedTopicPartitions[] }
    targetAssignment: { topicPartitions: DescribedTopicPartitions[] }
  }>
}

/** The classic groups, as the consumer protocol needs to see them (GroupMetadataManager). */
export interface ClassicGroups {
  group: (groupId: string) => ClassicGroup | undefined
}

const sessionKey = (groupId: string, memberId: string): string => JSON.stringify(['consumer-session', groupId, memberId])
const rebalanceKey = (groupId: string, memberId: string): string => JSON.stringify(['consumer-rebalance', groupId, memberId])

/** The message of a GroupError thrown with one (GroupError's default message is just the code). */
function messageOf (err: GroupError): string | null {
  return err.message === `error ${err.code}` ? null : err.message
}

/** A regular expression matched against whole topic names, or null if it does not compile. */
export function compileTopicRegex (regex: string): RegExp | null {
  if (regex.length > MAX_SUBSCRIBED_TOPIC_REGEX_LENGTH) return null
  try {
    return new RegExp(`^(?:${regex})$`, 'u')
  } catch {
    return null
  }
}

export class ConsumerGroupMetadataManager {
  private readonly config: ConsumerGroupConfig
  private readonly now: () => number
  private readonly timer: CoordinatorTimer<TimerOperation>
  private readonly logger: Logger
  private readonly classic: ClassicGroups
  private readonly assignors: ReadonlyMap<string, ConsumerGroupPartitionAssignor>
  private readonly defaultAssignor: ConsumerGroupPartitionAssignor
  readonly groups = new Map<string, ConsumerGroup>()
  /**
   * The topics the last request saw (the broker's live metadata cache, passed in by the handlers);
   * timer operations (session expiry) use it to recompute the group's topic hash.
   */
  private topics: TopicsImage = EMPTY_TOPICS_IMAGE

  constructor (opts: {
    config?: ConsumerGroupConfig
    now: () => number
    timer: CoordinatorTimer<TimerOperation>
    logger: Logger
    classic: ClassicGroups
    assignors?: readonly ConsumerGroupPartitionAssignor[]
  }) {
    this.config = opts.config ?? DEFAULT_CONSUMER_GROUP_CONFIG
    this.now = opts.now
    this.timer = opts.timer
    this.logger = opts.logger
    this.classic = opts.classic
    const assignors = opts.assignors ?? CONSUMER_GROUP_ASSIGNORS
    this.assignors = new Map(assignors.map(a => [a.name, a]))
    this.defaultAssignor = assignors[0] ?? UniformAssignor
  }

  group (groupId: string): ConsumerGroup | undefined { return this.groups.get(groupId) }

  // ---- ConsumerGroupHeartbeat ----

  heartbeat (ctx: GroupRequestContext, req: ConsumerGroupHeartbeatData, topics: TopicsImage): CoordinatorResult<ConsumerGroupHeartbeatResult> {
    this.topics = topics
    try {
      if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '' && compileTopicRegex(req.subscribedTopicRegex) === null) {
        throw new GroupError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex.slice(0, 200)}\` is not a valid regular expression.`)
      }
      if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(req)
      return this.regularHeartbeat(ctx, req, topics)
    } catch (err) {
      if (err instanceof GroupError) return result(heartbeatError(err.code, messageOf(err)))
      throw err
    }
  }

  /**
   * The checks Kafka makes before the request reaches the group's coordinator (so they come before
   * COORDINATOR_LOAD_IN_PROGRESS and the like). Throws GroupError (INVALID_REQUEST, UNSUPPORTED_ASSIGNOR).
   */
  validateRequest (ctx: GroupRequestContext, req: ConsumerGroupHeartbeatData): void {
    const invalid = (message: string): GroupError => new GroupError(ErrorCode.INVALID_REQUEST, message)
    const empty = (s: string | null): boolean => s !== null && s.trim() === ''
    // From v1 the client generates its member id (KIP-1082), so it is always sent.
    if ((ctx.apiVersion >= 1 || req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) && empty(req.memberId)) throw invalid('MemberId can\'t be empty.')
    if (empty(req.groupId)) throw invalid('GroupId can\'t be empty.')
    if (empty(req.instanceId)) throw invalid('InstanceId can\'t be empty.')
    if (empty(req.rackId)) throw invalid('RackId can\'t be empty.')
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.')
      if (req.topicPartitions === null || req.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.')
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
        throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.')
      }
    } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (req.instanceId === null) throw invalid('InstanceId can\'t be null.')
    } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      throw invalid('MemberEpoch is invalid.')
    }
    if (req.serverAssignor !== null && !this.assignors.has(req.serverAssignor)) {
      throw new GroupError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${[...this.assignors.keys()].join(', ')}.`)
    }
  }

  /** The group for a heartbeat: created on a join (epoch 0), taking over an empty classic group. */
  private groupForHeartbeat (groupId: string, createIfNotExists: boolean, records: CoordinatorRecord[]): ConsumerGroup {
    const existing = this.groups.get(groupId)
    if (existing !== undefined) return existing
    const classic = this.classic.group(groupId)
    if (classic !== undefined) {
      if (!createIfNotExists || !classic.isEmpty) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`)
      // An empty classic group (or one holding only offsets) becomes a consumer group: its
      // metadata goes, its committed offsets stay.
      this.logger.info({ groupId }, 'converting an empty classic group to a consumer group')
      records.push({ type: 'groupMetadata', group: groupId, value: null } satisfies GroupMetadataRecord)
    } else if (!createIfNotExists) {
      throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`)
    }
    return new ConsumerGroup(groupId)
  }

  private throwIfMemberEpochIsInvalid (member: ConsumerGroupMember, receivedEpoch: number, owned: readonly TopicPartitionList[] | null): void {
    if (receivedEpoch > member.memberEpoch) {
      throw new GroupError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${receivedEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`)
    }
    if (receivedEpoch < member.memberEpoch) {
      // The previous epoch with a subset of the assignment: the response with the new epoch was lost.
      if (receivedEpoch !== member.previousMemberEpoch || !isSubsetOfAssigned(owned, member)) {
        throw new GroupError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${receivedEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`)
      }
    }
  }

  private regularHeartbeat (ctx: GroupRequestContext, req: ConsumerGroupHeartbeatData, topics: TopicsImage): CoordinatorResult<ConsumerGroupHeartbeatResult> {
    const now = this.now()
    const records: CoordinatorRecord[] = []
    const createIfNotExists = req.memberEpoch === 0
    const group = this.groupForHeartbeat(req.groupId, createIfNotExists, records)
    const memberId = req.memberId === '' ? randomUUID() : req.memberId
    if (group.numMembers >= this.config.maxSize && (req.memberId === '' || !group.members.has(memberId))) {
      throw new GroupError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`)
    }

    // The member, and the member it replaces (a static member rejoining under a new member id).
    let member: ConsumerGroupMember
    let replaced: ConsumerGroupMember | null = null
    if (req.instanceId === null) {
      const existing = group.member(memberId)
      if (existing === undefined && !createIfNotExists) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`)
      member = existing ?? newMember(memberId)
      this.throwIfMemberEpochIsInvalid(member, req.memberEpoch, req.topicPartitions)
      if (existing === undefined) this.logger.info({ groupId: group.groupId, memberId }, 'member joins the consumer group')
    } else {
      const staticMember = group.staticMember(req.instanceId)
      if (createIfNotExists) {
        if (staticMember === undefined) {
          member = group.getOrCreateMember(memberId)
          this.logger.info({ groupId: group.groupId, memberId, instanceId: req.instanceId }, 'static member joins the consumer group')
        } else {
          if (staticMember.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            throw new GroupError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by ${staticMember.memberId} member.`)
          }
          // Take over the departed member's place: its subscription, epochs reset, its partitions.
          replaced = staticMember
          member = { ...staticMember, memberId, memberEpoch: 0, previousMemberEpoch: 0 }
          this.replaceMember(records, group, staticMember, member)
          this.logger.info({ groupId: group.groupId, memberId, instanceId: req.instanceId, replaced: staticMember.memberId }, 'static member rejoins the consumer group')
        }
      } else {
        if (staticMember === undefined) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`)
        if (staticMember.memberId !== memberId) {
          throw new GroupError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${staticMember.memberId}.`)
        }
        this.throwIfMemberEpochIsInvalid(staticMember, req.memberEpoch, req.topicPartitions)
        member = staticMember
      }
    }

    // 1. The member's new metadata; the group epoch moves if the subscription or its topics changed.
    const regex = req.subscribedTopicRegex === null ? member.subscribedTopicRegex : (req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex)
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: req.instanceId ?? member.instanceId,
      rackId: req.rackId ?? member.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : req.rebalanceTimeoutMs,
      serverAssignor: req.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: req.subscribedTopicNames === null ? member.subscribedTopicNames : normalizeTopicNames(req.subscribedTopicNames),
      subscribedTopicRegex: regex,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      classicMemberMetadata: null,
    }
    const subscriptionChanged = !sameTopicNames(updated.subscribedTopicNames, member.subscribedTopicNames) || updated.subscribedTopicRegex !== member.subscribedTopicRegex
    if (!sameMemberMetadata(updated, member) || replaced !== null) records.push(memberMetadataRecord(group.groupId, updated))

    // The members as they will be once this heartbeat's records are applied.
    const members = new Map(group.members)
    if (replaced !== null) members.delete(replaced.memberId)
    members.set(updated.memberId, updated)
    const resolved = this.resolveRegularExpressions(group, members.values(), topics, records)
    const subscriptionMetadata = subscriptionMetadataOf(members.values(), resolved, topics)
    const metadataHash = hashSubscriptionMetadata(subscriptionMetadata)
    group.subscriptionMetadata = subscriptionMetadata
    // A new group starts at epoch 1; a change of subscription or of the subscribed topics moves it
    // on (both on a new group's first join with topics, as in Kafka 4.4).
    let groupEpoch = group.groupEpoch === 0 ? 1 : group.groupEpoch
    if (subscriptionChanged || metadataHash !== group.metadataHash) groupEpoch++
    if (groupEpoch !== group.groupEpoch) {
      records.push({ type: 'consumerGroupMetadata', group: group.groupId, value: { epoch: groupEpoch, metadataHash } })
      this.logger.info({ groupId: group.groupId, groupEpoch }, 'bumped group epoch')
    }

    // 2. A new target assignment when the group epoch moved past it.
    let targetAssignmentEpoch: number
    let targetAssignment: TopicPartitions
    if (groupEpoch > group.assignmentEpoch) {
      targetAssignment = this.updateTargetAssignment(group, groupEpoch, member, updated, replaced, members, resolved, subscriptionMetadata, records)
      targetAssignmentEpoch = groupEpoch
    } else {
      targetAssignmentEpoch = group.assignmentEpoch
      targetAssignment = group.targetAssignmentOf(updated.memberId, replaced === null ? null : replaced.instanceId)
    }

    // 3. One reconciliation step.
    const reconciled = this.maybeReconcile(group, updated, targetAssignmentEpoch, targetAssignment, req.topicPartitions,
      subscribedTopicIds(updated, resolved, subscriptionMetadata), subscriptionChanged, records)

    this.scheduleSessionTimeout(group.groupId, reconciled.memberId)

    // The assignment goes out to a full request (a join, or a member recovering from an error, which
    // sends every field) and whenever it changed.
    const isFullRequest = req.memberEpoch === 0 ||
      (req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.topicPartitions !== null)
    const changed = !assignmentEquals(member.assignedPartitions, reconciled.assignedPartitions) || replaced !== null
    return result({
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: reconciled.memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      assignment: isFullRequest || changed ? { topicPartitions: toList(reconciled.assignedPartitions) } : null,
    }, records, { replay: true })
  }

  /**
   * The topics each regular expression in use resolves to now; writes a record for each
   * resolution that changed and a tombstone for each expression no member uses any more.
   */
  private resolveRegularExpressions (group: ConsumerGroup, members: Iterable<ConsumerGroupMember>, topics: TopicsImage,
    records: CoordinatorRecord[]): Map<string, ReadonlySet<string>> {
    const inUse = new Set<string>()
    for (const m of members) if (m.subscribedTopicRegex !== null) inUse.add(m.subscribedTopicRegex)
    const resolved = new Map<string, ReadonlySet<string>>()
    for (const regex of inUse) {
      const re = compileTopicRegex(regex)
      const matched = new Set<string>()
      if (re !== null) {
        for (const t of topics.allTopics()) if (!t.internal && !INTERNAL_TOPIC_NAMES.has(t.name) && re.test(t.name)) matched.add(t.name)
      }
      resolved.set(regex, matched)
      const previous = group.resolvedRegularExpressions.get(regex)
      if (previous === undefined || previous.topics.size !== matched.size || [...matched].some(t => !previous.topics.has(t))) {
        records.push({
          type: 'consumerGroupRegularExpression', group: group.groupId, regularExpression: regex,
          value: { topics: [...matched].sort(), version: 0n, timestamp: BigInt(this.now()) },
        })
      }
    }
    for (const regex of group.resolvedRegularExpressions.keys()) {
      if (!inUse.has(regex)) records.push({ type: 'consumerGroupRegularExpression', group: group.groupId, regularExpression: regex, value: null })
    }
    return resolved
  }

  private updateTargetAssignment (group: ConsumerGroup, groupEpoch: number, member: ConsumerGroupMember, updated: ConsumerGroupMember,
    replaced: ConsumerGroupMember | null, members: ReadonlyMap<string, ConsumerGroupMember>, resolved: ReadonlyMap<string, ReadonlySet<string>>,
    subscriptionMetadata: SubscriptionMetadata, records: CoordinatorRecord[]): TopicPartitions {
    const preferred = group.computePreferredServerAssignor(group.members.has(member.memberId) ? member : replaced, updated)
    const assignor = (preferred === null ? undefined : this.assignors.get(preferred)) ?? this.defaultAssignor
    const specs = new Map<string, MemberSubscriptionSpec>()
    let first: ReadonlySet<string> | null = null
    let homogeneous = true
    for (const m of members.values()) {
      const ids = subscribedTopicIds(m, resolved, subscriptionMetadata)
      if (first === null) first = ids
      else if (first.size !== ids.size || [...ids].some(t => !(first as ReadonlySet<string>).has(t))) homogeneous = false
      const current = m === updated && replaced !== null ? group.targetAssignmentOf(replaced.memberId) : group.targetAssignmentOf(m.memberId)
      specs.set(m.memberId, { instanceId: m.instanceId, rackId: m.rackId, subscribedTopicIds: ids, assignment: current })
    }
    const spec: GroupSpec = { members: specs, homogeneous }
    const sizes = new Map([...subscriptionMetadata.values()].map(t => [t.topicId, t.numPartitions]))
    let assignment
    try {
      assignment = assignor.assign(spec, topicId => sizes.get(topicId) ?? -1)
    } catch (err) {
      if (!(err instanceof PartitionAssignorError)) throw err
      this.logger.error({ groupId: group.groupId, groupEpoch, err: err.message }, 'could not compute a target assignment')
      throw new GroupError(ErrorCode.UNKNOWN_SERVER_ERROR, `Failed to compute a new target assignment for epoch ${groupEpoch}: ${err.message}`)
    }
    for (const memberId of specs.keys()) {
      const next = assignment.get(memberId) ?? EMPTY_ASSIGNMENT
      const previous = group.targetAssignment.get(memberId)
      if (previous === undefined || !assignmentEquals(previous, next)) {
        records.push({ type: 'consumerGroupTargetAssignmentMember', group: group.groupId, memberId, value: { topicPartitions: toList(next) } })
      }
    }
    records.push({ type: 'consumerGroupTargetAssignmentMetadata', group: group.groupId, value: { assignmentEpoch: groupEpoch, assignmentTimestamp: BigInt(this.now()) } })
    this.logger.info({ groupId: group.groupId, groupEpoch, assignor: assignor.name, members: specs.size }, 'computed a new target assignment')
    return assignment.get(updated.memberId) ?? EMPTY_ASSIGNMENT
  }

  private maybeReconcile (group: ConsumerGroup, member: ConsumerGroupMember, targetAssignmentEpoch: number, targetAssignment: TopicPartitions,
    owned: readonly TopicPartitionList[] | null, subscribed: ReadonlySet<string>, subscriptionChanged: boolean, records: CoordinatorRecord[]): ConsumerGroupMember {
    if (member.state === MemberState.STABLE && member.memberEpoch === targetAssignmentEpoch && !subscriptionChanged) return member
    const next = reconcile(member, {
      targetAssignmentEpoch,
      targetAssignment,
      currentPartitionEpoch: (topicId, p) => group.currentPartitionEpoch(topicId, p),
      ownedTopicPartitions: owned,
      subscribedTopicIds: subscribed,
      subscriptionChanged,
    })
    if (!sameAssignmentState(next, member)) {
      records.push(currentAssignmentRecord(group.groupId, next))
      if (next.state === MemberState.UNREVOKED_PARTITIONS) this.scheduleRebalanceTimeout(group.groupId, next.memberId, next.memberEpoch, next.rebalanceTimeoutMs)
      else this.timer.cancel(rebalanceKey(group.groupId, next.memberId))
    }
    return next
  }

  /** Records replacing a static member by its successor (Kafka's replaceMember). */
  private replaceMember (records: CoordinatorRecord[], group: ConsumerGroup, oldMember: ConsumerGroupMember, newMember: ConsumerGroupMember): void {
    removeMemberRecords(records, group.groupId, oldMember.memberId)
    records.push(memberMetadataRecord(group.groupId, newMember))
    records.push({ type: 'consumerGroupTargetAssignmentMember', group: group.groupId, memberId: newMember.memberId, value: { topicPartitions: toList(group.targetAssignmentOf(oldMember.memberId)) } })
    records.push(currentAssignmentRecord(group.groupId, newMember))
  }

  // ---- leaving and fencing ----

  private leave (req: ConsumerGroupHeartbeatData): CoordinatorResult<ConsumerGroupHeartbeatResult> {
    const group = this.groups.get(req.groupId)
    if (group === undefined) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${req.groupId} not found.`)
    const response: ConsumerGroupHeartbeatResult = { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null }
    if (req.instanceId === null) {
      const member = group.member(req.memberId)
      if (member === undefined) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${group.groupId}.`)
      this.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'member left the consumer group')
      return this.fenceMember(group, member, response)
    }
    const member = group.staticMember(req.instanceId)
    if (member === undefined) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`)
    if (member.memberId !== req.memberId) {
      throw new GroupError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${member.memberId}.`)
    }
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // The member keeps its place and assignment until its session expires or it comes back.
      this.logger.info({ groupId: group.groupId, memberId: member.memberId, instanceId: req.instanceId }, 'static member temporarily left the consumer group')
      const leaving: ConsumerGroupMember = { ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: new Map() }
      return result({ ...response, memberId: member.memberId, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH }, [currentAssignmentRecord(group.groupId, leaving)], { replay: true })
    }
    this.logger.info({ groupId: group.groupId, memberId: member.memberId, instanceId: req.instanceId }, 'static member left the consumer group')
    return this.fenceMember(group, member, response)
  }

  /** Removes the member (tombstones) and bumps the group epoch so the others get its partitions. */
  private fenceMember<T> (group: ConsumerGroup, member: ConsumerGroupMember, response: T): CoordinatorResult<T> {
    const records: CoordinatorRecord[] = []
    removeMemberRecords(records, group.groupId, member.memberId)
    const members = new Map(group.members)
    members.delete(member.memberId)
    const resolved = new Map<string, ReadonlySet<string>>()
    for (const m of members.values()) {
      const regex = m.subscribedTopicRegex
      if (regex !== null) resolved.set(regex, group.resolvedRegularExpressions.get(regex)?.topics ?? new Set())
    }
    for (const regex of group.resolvedRegularExpressions.keys()) {
      if (!resolved.has(regex)) records.push({ type: 'consumerGroupRegularExpression', group: group.groupId, regularExpression: regex, value: null })
    }
    const metadataHash = this.topics === EMPTY_TOPICS_IMAGE
      ? group.metadataHash
      : hashSubscriptionMetadata(subscriptionMetadataOf(members.values(), resolved, this.topics))
    const groupEpoch = group.groupEpoch + 1
    records.push({ type: 'consumerGroupMetadata', group: group.groupId, value: { epoch: groupEpoch, metadataHash } })
    // The last member gone: the (empty) target assignment is current at once.
    if (members.size === 0) {
      records.push({ type: 'consumerGroupTargetAssignmentMetadata', group: group.groupId, value: { assignmentEpoch: groupEpoch, assignmentTimestamp: BigInt(this.now()) } })
    }
    this.timer.cancel(sessionKey(group.groupId, member.memberId))
    this.timer.cancel(rebalanceKey(group.groupId, member.memberId))
    return result(response, records, { replay: true })
  }

  private fenceMemberOperation (groupId: string, memberId: string, reason: string): CoordinatorResult<void> {
    const group = this.groups.get(groupId)
    const member = group?.member(memberId)
    if (group === undefined || member === undefined) return result<void>(undefined)
    this.logger.info({ groupId, memberId, reason }, 'member fenced from the consumer group')
    return this.fenceMember<void>(group, member, undefined)
  }

  private scheduleSessionTimeout (groupId: string, memberId: string): void {
    this.timer.schedule(groupId, sessionKey(groupId, memberId), this.config.sessionTimeoutMs,
      () => this.fenceMemberOperation(groupId, memberId, 'the member session expired'))
  }

  private scheduleRebalanceTimeout (groupId: string, memberId: string, memberEpoch: number, rebalanceTimeoutMs: number): void {
    this.timer.schedule(groupId, rebalanceKey(groupId, memberId), Math.max(rebalanceTimeoutMs, 0), () => {
      const member = this.groups.get(groupId)?.member(memberId)
      if (member === undefined || member.memberEpoch !== memberEpoch) return result<void>(undefined)
      return this.fenceMemberOperation(groupId, memberId, `it failed to transition from epoch ${memberEpoch} within ${rebalanceTimeoutMs}ms`)
    })
  }

  // ---- ConsumerGroupDescribe, ListGroups, DeleteGroups ----

  describe (groupId: string, topics: TopicsImage): DescribedConsumerGroup {
    this.topics = topics
    const group = this.groups.get(groupId)
    if (group === undefined) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] }
    }
    const named = (a: TopicPartitions | ConsumerGroupMember['assignedPartitions']): DescribedTopicPartitions[] =>
      toList(a).flatMap(t => {
        const topic = topics.topicById(t.topicId)
        return topic === undefined ? [] : [{ topicId: t.topicId, topicName: topic.name, partitions: t.partitions }]
      })
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.preferredServerAssignor() ?? this.defaultAssignor.name,
      members: [...group.members.values()].map(m => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        // Kafka reports '' for a member without a regular expression.
        subscribedTopicRegex: m.subscribedTopicRegex ?? '',
        assignment: { topicPartitions: named(m.assignedPartitions) },
        targetAssignment: { topicPartitions: named(group.targetAssignmentOf(m.memberId)) },
      })),
    }
  }

  listGroups (states: ReadonlySet<string>, types: ReadonlySet<string>, include: (groupId: string) => boolean): Array<{ groupId: string, protocolType: string, groupState: string, groupType: string }> {
    const out = []
    for (const group of this.groups.values()) {
      if (!include(group.groupId)) continue
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue
      if (types.size > 0 && !types.has(CONSUMER_GROUP_TYPE)) continue
      out.push({ groupId: group.groupId, protocolType: CONSUMER_GROUP_TYPE, groupState: group.state, groupType: CONSUMER_GROUP_TYPE })
    }
    return out
  }

  /** Tombstones for every record of the group (Kafka's createGroupTombstoneRecords). */
  groupTombstones (group: ConsumerGroup, records: CoordinatorRecord[]): void {
    const groupId = group.groupId
    for (const memberId of group.members.keys()) records.push({ type: 'consumerGroupCurrentMemberAssignment', group: groupId, memberId, value: null })
    for (const memberId of group.targetAssignment.keys()) records.push({ type: 'consumerGroupTargetAssignmentMember', group: groupId, memberId, value: null })
    records.push({ type: 'consumerGroupTargetAssignmentMetadata', group: groupId, value: null })
    for (const memberId of group.members.keys()) records.push({ type: 'consumerGroupMemberMetadata', group: groupId, memberId, value: null })
    for (const regex of group.resolvedRegularExpressions.keys()) records.push({ type: 'consumerGroupRegularExpression', group: groupId, regularExpression: regex, value: null })
    records.push({ type: 'consumerGroupMetadata', group: groupId, value: null })
  }

  /** Tombstones for the group if it is empty (offset expiry removed its last offsets). */
  maybeDeleteGroup (groupId: string, records: CoordinatorRecord[]): void {
    const group = this.groups.get(groupId)
    if (group !== undefined && group.state === ConsumerGroupState.Empty) this.groupTombstones(group, records)
  }

  // ---- replay, load, unload ----

  replay (record: ConsumerGroupRecord): void {
    const groupId = record.group
    let group = this.groups.get(groupId)
    if (record.value === null) {
      if (group === undefined) return
    } else if (group === undefined) {
      group = new ConsumerGroup(groupId)
      this.groups.set(groupId, group)
    }
    switch (record.type) {
      case 'consumerGroupMetadata':
        if (record.value === null) {
          this.removeGroup(groupId)
          return
        }
        group.metadataHash = record.value.metadataHash
        group.setGroupEpoch(record.value.epoch)
        return
      case 'consumerGroupMemberMetadata': {
        if (record.value === null) {
          group.removeMember(record.memberId)
          return
        }
        const v = record.value
        group.updateMember({
          ...group.getOrCreateMember(record.memberId),
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: normalizeTopicNames(v.subscribedTopicNames),
          subscribedTopicRegex: v.subscribedTopicRegex === '' ? null : v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          serverAssignor: v.serverAssignor,
          classicMemberMetadata: v.classicMemberMetadata,
        })
        return
      }
      case 'consumerGroupTargetAssignmentMetadata':
        group.setAssignmentEpoch(record.value === null ? -1 : record.value.assignmentEpoch)
        return
      case 'consumerGroupTargetAssignmentMember':
        if (record.value === null) group.removeTargetAssignment(record.memberId)
        else group.updateTargetAssignment(record.memberId, fromList(record.value.topicPartitions))
        return
      case 'consumerGroupCurrentMemberAssignment': {
        const old = group.member(record.memberId)
        if (record.value === null) {
          if (old === undefined) return
          group.updateMember({ ...old, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH, assignedPartitions: new Map(), partitionsPendingRevocation: new Map() })
          return
        }
        const v = record.value
        group.updateMember({
          ...(old ?? newMember(record.memberId)),
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: memberStateFromRecord(v.state),
          assignedPartitions: fromEpochList(v.assignedPartitions, v.memberEpoch),
          partitionsPendingRevocation: fromEpochList(v.partitionsPendingRevocation, v.memberEpoch),
        })
        return
      }
      case 'consumerGroupRegularExpression':
        if (record.value === null) group.resolvedRegularExpressions.delete(record.regularExpression)
        else group.resolvedRegularExpressions.set(record.regularExpression, { topics: new Set(record.value.topics), version: record.value.version, timestamp: record.value.timestamp })
    }
  }

  /** After loading: session timers for every member, rebalance timers for members still revoking. */
  onLoaded (groupIds: Iterable<string>): void {
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId)
      if (group === undefined) continue
      for (const m of group.members.values()) {
        this.scheduleSessionTimeout(groupId, m.memberId)
        if (m.state === MemberState.UNREVOKED_PARTITIONS) this.scheduleRebalanceTimeout(groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs)
      }
      if (group.numMembers > 0) this.logger.info({ groupId, members: group.numMembers, groupEpoch: group.groupEpoch }, 'loaded consumer group')
    }
  }

  /** Drops the groups (coordinator closing or partition reloading); their timers are cancelled. */
  unload (groupIds: Iterable<string>): void {
    for (const groupId of [...groupIds]) this.removeGroup(groupId)
  }

  private removeGroup (groupId: string): void {
    if (!this.groups.delete(groupId)) return
    this.timer.cancelScope(groupId)
  }
}

function isSubsetOfAssigned (owned: readonly TopicPartitionList[] | null, member: ConsumerGroupMember): boolean {
  if (owned === null) return false
  for (const t of owned) for (const p of t.partitions) if (!(member.assignedPartitions.get(t.topicId)?.has(p) ?? false)) return false
  return true
}

function sameAssignmentState (a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return a.memberEpoch === b.memberEpoch && a.previousMemberEpoch === b.previousMemberEpoch && a.state === b.state &&
    partitionEpochsEqual(a.assignedPartitions, b.assignedPartitions) && partitionEpochsEqual(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
}

/** The names a member consumes: its subscribed names and its regular expression's topics. */
function effectiveTopicNames (m: ConsumerGroupMember, resolved: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const names = new Set(m.subscribedTopicNames)
  if (m.subscribedTopicRegex !== null) for (const t of resolved.get(m.subscribedTopicRegex) ?? []) names.add(t)
  return names
}

function subscribedTopicIds (m: ConsumerGroupMember, resolved: ReadonlyMap<string, ReadonlySet<string>>, metadata: SubscriptionMetadata): Set<string> {
  const ids = new Set<string>()
  for (const name of effectiveTopicNames(m, resolved)) {
    const t = metadata.get(name)
    if (t !== undefined) ids.add(t.topicId)
  }
  return ids
}

function subscriptionMetadataOf (members: Iterable<ConsumerGroupMember>, resolved: ReadonlyMap<string, ReadonlySet<string>>, topics: TopicsImage): SubscriptionMetadata {
  const out = new Map<string, { topicId: string, numPartitions: number }>()
  for (const m of members) {
    for (const name of effectiveTopicNames(m, resolved)) {
      if (out.has(name)) continue
      const t = topics.topic(name)
      if (t !== undefined) out.set(name, { topicId: t.topicId, numPartitions: t.partitions })
    }
  }
  return out
}

/**
 * A 64-bit hash of the subscribed topics' names, ids and partition counts: the group epoch moves
 * when it changes (Kafka's KIP-1101 metadata hash has the same role; its value differs).
 */
export function hashSubscriptionMetadata (metadata: SubscriptionMetadata): bigint {
  if (metadata.size === 0) return 0n
  const h = createHash('sha256')
  for (const name of [...metadata.keys()].sort()) {
    const t = metadata.get(name) as { topicId: string, numPartitions: number }
    h.update(`${name}\u0000${t.topicId}\u0000${t.numPartitions}\n`)
  }
  return h.digest().readBigInt64BE(0)
}

function memberMetadataRecord (groupId: string, m: ConsumerGroupMember): ConsumerGroupRecord {
  return {
    type: 'consumerGroupMemberMetadata',
    group: groupId,
    memberId: m.memberId,
    value: {
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: m.serverAssignor,
      classicMemberMetadata: m.classicMemberMetadata === null
        ? null
        : { sessionTimeoutMs: m.classicMemberMetadata.sessionTimeoutMs, supportedProtocols: m.classicMemberMetadata.supportedProtocols.map(p => ({ name: p.name, metadata: p.metadata })) },
    },
  }
}

function currentAssignmentRecord (groupId: string, m: ConsumerGroupMember): ConsumerGroupRecord {
  return {
    type: 'consumerGroupCurrentMemberAssignment',
    group: groupId,
    memberId: m.memberId,
    value: {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: m.state,
      assignedPartitions: toEpochList(m.assignedPartitions),
      partitionsPendingRevocation: toEpochList(m.partitionsPendingRevocation),
    },
  }
}

/** Tombstones removing a member, in Kafka's order (current assignment, target, metadata). */
function removeMemberRecords (records: CoordinatorRecord[], groupId: string, memberId: string): void {
  records.push({ type: 'consumerGroupCurrentMemberAssignment', group: groupId, memberId, value: null })
  records.push({ type: 'consumerGroupTargetAssignmentMember', group: groupId, memberId, value: null })
  records.push({ type: 'consumerGroupMemberMetadata', group: groupId, memberId, value: null })
}
