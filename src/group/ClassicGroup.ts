// A classic (pre-KIP-848) consumer group: its members, generation, chosen protocol and leader,
// and the state machine Kafka drives it through.
//
//   Empty ──join──> PreparingRebalance ──all joined / timeout──> CompletingRebalance
//     ^                  ^        ^                                   │ leader's SyncGroup
//     │                  │        └───────── join / leave / expiry ───┤ written
//     └── last member ───┘                                            v
//         leaves                PreparingRebalance <── join/leave ── Stable
//   any state ──> Dead (unloaded or deleted)
//
// Invariants (asserted): transitions follow the table below; numMembersAwaitingJoin counts the
// members with a parked JoinGroup; staticMembers maps each group.instance.id to its member id;
// supportedProtocols counts, per protocol name, the members offering it. The group does not
// schedule anything itself: GroupMetadataManager owns the timers and the records.

import assert from 'node:assert/strict'
import { ConsumerProtocolSubscription } from '../protocol/messages/ConsumerProtocolSubscription.ts'
import { decodeMessage } from '../protocol/codec.ts'
import { Reader } from '../protocol/Reader.ts'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import {
  type ClassicGroupMember, type GroupProtocol, type JoinGroupMember, type JoinGroupResult, type SyncGroupResult,
  joinGroupResult, syncGroupResult,
} from './ClassicGroupMember.ts'

export const ClassicGroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const
export type ClassicGroupState = typeof ClassicGroupState[keyof typeof ClassicGroupState]

const VALID_PREVIOUS_STATES: Readonly<Record<ClassicGroupState, readonly ClassicGroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
}

/** The protocol type of Kafka consumers; only such groups have subscriptions samsa can read. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

/** An expected refusal of a member's request, carrying its Kafka error code. */
export class GroupError extends Error {
  override readonly name = 'GroupError'
  readonly code: number
  constructor (code: number, message?: string) {
    super(message ?? `error ${code}`)
    this.code = code
  }
}

export class ClassicGroup {
  readonly groupId: string
  private now: () => number
  state: ClassicGroupState
  previousState: ClassicGroupState = ClassicGroupState.Dead
  currentStateTimestamp: number | null
  protocolType: string | null
  protocolName: string | null
  generationId: number
  leaderId: string | null
  readonly members = new Map<string, ClassicGroupMember>()
  private readonly staticMembers = new Map<string, string>()
  private readonly pendingJoinMembers = new Set<string>()
  private numMembersAwaitingJoin = 0
  private readonly supportedProtocols = new Map<string, number>()
  private readonly pendingSyncMembers = new Set<string>()
  /** Topics the members subscribe to, when the consumer protocol could be read; null if unknown. */
  subscribedTopics: ReadonlySet<string> | null = null
  /** Set when a member joins during the initial rebalance delay, which then extends the delay. */
  newMemberAdded = false

  constructor (groupId: string, now: () => number, init: {
    state?: ClassicGroupState
    generationId?: number
    protocolType?: string | null
    protocolName?: string | null
    leaderId?: string | null
    currentStateTimestamp?: number | null
  } = {}) {
    this.groupId = groupId
    this.now = now
    this.state = init.state ?? ClassicGroupState.Empty
    this.generationId = init.generationId ?? 0
    this.protocolType = init.protocolType ?? null
    this.protocolName = init.protocolName ?? null
    this.leaderId = init.leaderId ?? null
    this.currentStateTimestamp = init.currentStateTimestamp === undefined ? now() : init.currentStateTimestamp
  }

  is (state: ClassicGroupState): boolean { return this.state === state }
  get isEmpty (): boolean { return this.state === ClassicGroupState.Empty }
  /** An empty group created by offset commits alone (no protocol, nobody joining). */
  get isSimpleGroup (): boolean { return this.protocolType === null && this.isEmpty && this.pendingJoinMembers.size === 0 }
  get numMembers (): number { return this.members.size }
  get numAwaitingJoinResponse (): number { return this.numMembersAwaitingJoin }
  get numPendingJoinMembers (): number { return this.pendingJoinMembers.size }
  get usesConsumerGroupProtocol (): boolean { return this.protocolType === CONSUMER_PROTOCOL_TYPE }

  hasMember (memberId: string): boolean { return this.members.has(memberId) }
  member (memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId)
    assert.ok(m !== undefined, `no member ${memberId} in group ${this.groupId}`)
    return m
  }

  isLeader (memberId: string): boolean { return this.leaderId === memberId }

  canRebalance (): boolean { return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state) }

  transitionTo (state: ClassicGroupState): void {
    assert.ok(VALID_PREVIOUS_STATES[state].includes(this.state), `group ${this.groupId}: illegal transition ${this.state} -> ${state}`)
    this.previousState = this.state
    this.state = state
    this.currentStateTimestamp = this.now()
  }

  add (member: ClassicGroupMember, awaitingJoin: ((r: JoinGroupResult) => void) | null = null): void {
    if (member.groupInstanceId !== null) {
      assert.ok(!this.staticMembers.has(member.groupInstanceId), `static member ${member.groupInstanceId} is already in group ${this.groupId}`)
      this.staticMembers.set(member.groupInstanceId, member.memberId)
    }
    if (this.members.size === 0) this.protocolType = member.protocolType
    assert.equal(this.protocolType, member.protocolType, 'the group and member protocol types must be the same')
    assert.ok(this.supportsProtocols(member.protocolType, member.supportedProtocols), 'none of the member\'s protocols is supported')
    if (this.leaderId === null) this.leaderId = member.memberId
    this.members.set(member.memberId, member)
    this.countProtocols(member.supportedProtocols, 1)
    member.awaitingJoin = awaitingJoin
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++
    this.pendingJoinMembers.delete(member.memberId)
  }

  remove (memberId: string): void {
    const removed = this.members.get(memberId)
    if (removed !== undefined) {
      this.members.delete(memberId)
      this.countProtocols(removed.supportedProtocols, -1)
      if (removed.isAwaitingJoin) this.numMembersAwaitingJoin--
      if (removed.groupInstanceId !== null) this.staticMembers.delete(removed.groupInstanceId)
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next()
      this.leaderId = next.done === true ? null : next.value
    }
    this.pendingJoinMembers.delete(memberId)
    this.pendingSyncMembers.delete(memberId)
  }

  /** If the leader has not rejoined, makes a rejoined member leader; false if nobody rejoined. */
  maybeElectNewJoinedLeader (): boolean {
    if (this.leaderId === null) return false
    const leader = this.member(this.leaderId)
    if (leader.isAwaitingJoin) return true
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId
        return true
      }
    }
    return false
  }

  /**
   * Gives a static member's place to a new member id, fencing the old id: its parked JoinGroup and
   * SyncGroup get FENCED_INSTANCE_ID. The new member keeps the old one's settings and assignment.
   */
  replaceStaticMember (groupInstanceId: string, oldMemberId: string, newMemberId: string, make: (old: ClassicGroupMember) => ClassicGroupMember): ClassicGroupMember {
    const old = this.members.get(oldMemberId)
    assert.ok(old !== undefined, `cannot replace unknown member ${oldMemberId}`)
    this.members.delete(oldMemberId)
    this.completeJoin(old, joinGroupResult(ErrorCode.FENCED_INSTANCE_ID, oldMemberId, { protocolName: null, protocolType: null, leader: '' }))
    this.completeSync(old, syncGroupResult(ErrorCode.FENCED_INSTANCE_ID))
    const member = make(old)
    assert.equal(member.memberId, newMemberId)
    this.members.set(newMemberId, member)
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    return member
  }

  isPendingMember (memberId: string): boolean { return this.pendingJoinMembers.has(memberId) }
  addPendingMember (memberId: string): void {
    assert.ok(!this.hasMember(memberId), `pending member ${memberId} is already a member`)
    this.pendingJoinMembers.add(memberId)
  }

  addPendingSyncMember (memberId: string): void {
    assert.ok(this.hasMember(memberId))
    this.pendingSyncMembers.add(memberId)
  }

  removePendingSyncMember (memberId: string): void {
    this.pendingSyncMembers.delete(memberId)
  }

  hasReceivedSyncFromAllMembers (): boolean { return this.pendingSyncMembers.size === 0 }
  allPendingSyncMembers (): string[] { return [...this.pendingSyncMembers] }
  clearPendingSyncMembers (): void { this.pendingSyncMembers.clear() }

  hasStaticMember (groupInstanceId: string): boolean { return this.staticMembers.has(groupInstanceId) }
  staticMemberId (groupInstanceId: string): string | undefined { return this.staticMembers.get(groupInstanceId) }
  get numStaticMembers (): number { return this.staticMembers.size }

  notYetRejoinedMembers (): ClassicGroupMember[] {
    return [...this.members.values()].filter(m => !m.isAwaitingJoin)
  }

  hasAllMembersJoined (): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingJoinMembers.size === 0
  }

  /** The largest rebalance timeout of the members. */
  rebalanceTimeoutMs (): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /**
   * Checks a request's member id and group.instance.id: an instance id mapped to another member
   * id is fenced (FENCED_INSTANCE_ID); an unknown one or an unknown member id is UNKNOWN_MEMBER_ID.
   */
  validateMember (memberId: string, groupInstanceId: string | null): void {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId)
      if (existing === undefined) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
      if (existing !== memberId) throw new GroupError(ErrorCode.FENCED_INSTANCE_ID)
    }
    if (!this.hasMember(memberId)) throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
  }

  /** Kafka's rules for OffsetCommit (and TxnOffsetCommit) against a classic group. */
  validateOffsetCommit (memberId: string, groupInstanceId: string | null, generationId: number, isTransactional: boolean): void {
    if (this.is(ClassicGroupState.Dead)) throw new GroupError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    // Generation -1: the admin client or a consumer without group management; fine while empty.
    if (generationId < 0 && this.isEmpty) return
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      this.validateMember(memberId, groupInstanceId)
      if (generationId !== this.generationId) throw new GroupError(ErrorCode.ILLEGAL_GENERATION)
    } else if (!isTransactional && !this.isEmpty) {
      // No member id and no generation (v0): only accepted while the group is empty.
      throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID)
    }
    if (!isTransactional && this.is(ClassicGroupState.CompletingRebalance)) {
      // The member has its JoinGroup response but not its assignment yet.
      throw new GroupError(ErrorCode.REBALANCE_IN_PROGRESS)
    }
  }

  validateOffsetDelete (): void {
    if (this.is(ClassicGroupState.Dead)) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND)
    if ((this.is(ClassicGroupState.Stable) || this.is(ClassicGroupState.PreparingRebalance) || this.is(ClassicGroupState.CompletingRebalance)) &&
      !this.usesConsumerGroupProtocol) {
      throw new GroupError(ErrorCode.NON_EMPTY_GROUP)
    }
  }

  validateDeleteGroup (): void {
    if (this.is(ClassicGroupState.Dead)) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND)
    if (this.is(ClassicGroupState.Stable) || this.is(ClassicGroupState.PreparingRebalance) || this.is(ClassicGroupState.CompletingRebalance)) {
      throw new GroupError(ErrorCode.NON_EMPTY_GROUP)
    }
  }

  /**
   * Whether a member with these protocols may join: an empty group takes any non-empty type and
   * protocol list; otherwise the type must match and one protocol must be offered by all members.
   */
  supportsProtocols (protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.isEmpty) return protocolType !== '' && protocols.length > 0
    return this.protocolType === protocolType &&
      protocols.some(p => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size)
  }

  /** Kafka's rule: among the protocols every member offers, each member votes for its most preferred; most votes wins. */
  selectProtocol (): string {
    assert.ok(this.members.size > 0, 'cannot select a protocol for an empty group')
    const candidates = new Set<string>()
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name)
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const choice = m.vote(candidates)
      votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    let best: string | undefined
    let bestVotes = -1
    for (const [name, n] of votes) {
      if (n > bestVotes) { best = name; bestVotes = n }
    }
    return best as string
  }

  private countProtocols (protocols: readonly GroupProtocol[], delta: number): void {
    for (const p of protocols) {
      const n = (this.supportedProtocols.get(p.name) ?? 0) + delta
      if (n === 0) this.supportedProtocols.delete(p.name)
      else this.supportedProtocols.set(p.name, n)
    }
  }

  updateMember (member: ClassicGroupMember, protocols: readonly GroupProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number,
    awaitingJoin: ((r: JoinGroupResult) => void) | null): void {
    this.countProtocols(member.supportedProtocols, -1)
    member.supportedProtocols = protocols
    this.countProtocols(protocols, 1)
    member.rebalanceTimeoutMs = rebalanceTimeoutMs
    member.sessionTimeoutMs = sessionTimeoutMs
    const previous = member.awaitingJoin
    if (awaitingJoin !== null && previous === null) this.numMembersAwaitingJoin++
    else if (awaitingJoin === null && previous !== null) this.numMembersAwaitingJoin--
    member.awaitingJoin = awaitingJoin
    // A JoinGroup sent again (a client that timed out and retried on another connection) replaces
    // the parked one, which is answered so that it does not hang; the client just rejoins.
    if (previous !== null && awaitingJoin !== null && previous !== awaitingJoin) previous(joinGroupResult(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId))
  }

  /** Answers the member's parked JoinGroup, if any. */
  completeJoin (member: ClassicGroupMember, result: JoinGroupResult): boolean {
    const done = member.awaitingJoin
    if (done === null) return false
    member.awaitingJoin = null
    this.numMembersAwaitingJoin--
    done(result)
    return true
  }

  /** Answers the member's parked SyncGroup, if any. */
  completeSync (member: ClassicGroupMember, result: SyncGroupResult): boolean {
    const done = member.awaitingSync
    if (done === null) return false
    member.awaitingSync = null
    done(result)
    return true
  }

  completeAllJoins (errorCode: number): void {
    for (const m of this.members.values()) this.completeJoin(m, joinGroupResult(errorCode, m.memberId))
  }

  completeAllSyncs (errorCode: number): void {
    for (const m of this.members.values()) this.completeSync(m, syncGroupResult(errorCode))
  }

  /** Next generation: picks the protocol and moves to CompletingRebalance, or to Empty without members. */
  initNextGeneration (): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo(ClassicGroupState.CompletingRebalance)
    } else {
      this.protocolName = null
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo(ClassicGroupState.Empty)
    }
    this.clearPendingSyncMembers()
  }

  /** The members as the leader's JoinGroup response lists them, with the chosen protocol's metadata. */
  currentMembers (): JoinGroupMember[] {
    assert.ok(!this.is(ClassicGroupState.Dead) && !this.is(ClassicGroupState.PreparingRebalance), `no member metadata for group ${this.groupId} in ${this.state}`)
    return [...this.members.values()].map(m => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: (this.protocolName === null ? undefined : m.metadata(this.protocolName)) ?? Buffer.alloc(0),
    }))
  }

  groupAssignment (): Map<string, Buffer> {
    return new Map([...this.members.values()].map(m => [m.memberId, m.assignment]))
  }

  /**
   * The union of the members' subscribed topics, read from the consumer protocol's v0 prefix
   * (every version starts with it); null when the group is not a consumer group or a
   * subscription does not parse.
   */
  computeSubscribedTopics (): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null
    if (this.members.size === 0) return new Set()
    if (this.protocolName === null) return null
    const topics = new Set<string>()
    try {
      for (const m of this.members.values()) {
        const metadata = m.metadata(this.protocolName)
        if (metadata === undefined) return null
        const r = new Reader(metadata)
        r.int16() // the subscription's version; its v0 prefix is read whatever it is
        for (const t of decodeMessage(ConsumerProtocolSubscription, 0, r).topics) topics.add(t)
      }
    } catch {
      return null
    }
    return topics
  }

  /** Whether the group consumes the topic; unknown subscriptions count as subscribed for consumer groups. */
  isSubscribedToTopic (topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic)
    return this.usesConsumerGroupProtocol
  }
}
