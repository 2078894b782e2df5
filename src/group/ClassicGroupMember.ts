// One member of a classic group: its identity, timeouts, the protocols it offered in its last
// JoinGroup (name + opaque metadata, in the member's order of preference), the assignment the
// leader gave it, and its parked JoinGroup / SyncGroup responses, if any.
//
// A parked response is a callback the coordinator calls exactly once; the member forgets it then.
// Metadata and assignments are opaque bytes: assignors (range, roundrobin, sticky,
// cooperative-sticky, kafkajs' RoundRobinAssigner ...) run in the clients and pass through here.

export interface GroupProtocol {
  readonly name: string
  readonly metadata: Buffer
}

export interface JoinGroupMember {
  memberId: string
  groupInstanceId: string | null
  metadata: Buffer
}

/** A JoinGroup outcome: the response body without its throttle time. */
export interface JoinGroupResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  skipAssignment: boolean
  memberId: string
  members: JoinGroupMember[]
}

/** A SyncGroup outcome: the response body without its throttle time. */
export interface SyncGroupResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0)

export function joinGroupResult (errorCode: number, memberId: string, extra: Partial<JoinGroupResult> = {}): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [], ...extra }
}

export function syncGroupResult (errorCode: number, extra: Partial<SyncGroupResult> = {}): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT, ...extra }
}

export class ClassicGroupMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly protocolType: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  supportedProtocols: readonly GroupProtocol[]
  assignment: Buffer
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null
  awaitingSync: ((result: SyncGroupResult) => void) | null = null
  /** Joined in the current rebalance and has not received a JoinGroup response yet. */
  isNew = false

  constructor (init: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost: string
    rebalanceTimeoutMs: number
    sessionTimeoutMs: number
    protocolType: string
    supportedProtocols: readonly GroupProtocol[]
    assignment?: Buffer
  }) {
    this.memberId = init.memberId
    this.groupInstanceId = init.groupInstanceId
    this.clientId = init.clientId
    this.clientHost = init.clientHost
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs
    this.sessionTimeoutMs = init.sessionTimeoutMs
    this.protocolType = init.protocolType
    this.supportedProtocols = init.supportedProtocols
    this.assignment = init.assignment ?? EMPTY_ASSIGNMENT
  }

  get isAwaitingJoin (): boolean { return this.awaitingJoin !== null }
  get isAwaitingSync (): boolean { return this.awaitingSync !== null }
  get isStatic (): boolean { return this.groupInstanceId !== null }

  /** The metadata this member offered for a protocol; undefined if it does not offer it. */
  metadata (protocolName: string): Buffer | undefined {
    return this.supportedProtocols.find(p => p.name === protocolName)?.metadata
  }

  /**
   * Whether the member has done what a live member must before its session expires: a new member
   * never has (it can only be waiting for its first JoinGroup response); others have while they
   * wait for a JoinGroup or SyncGroup response.
   */
  hasSatisfiedHeartbeat (): boolean {
    if (this.isNew) return false
    return this.isAwaitingJoin || this.isAwaitingSync
  }

  /** Same protocols, same order, same metadata bytes. */
  matches (protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false
    return protocols.every((p, i) => {
      const mine = this.supportedProtocols[i] as GroupProtocol
      return mine.name === p.name && mine.metadata.equals(p.metadata)
    })
  }

  /** The member's most preferred protocol among the candidates. */
  vote (candidates: ReadonlySet<string>): string {
    const p = this.supportedProtocols.find(p => candidates.has(p.name))
    if (p === undefined) throw new Error(`member ${this.memberId} supports none of the candidate protocols`)
    return p.name
  }
}
