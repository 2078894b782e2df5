// Incremental fetch sessions (KIP-227): a consumer that fetches the same partitions again and
// again sends only what changed, and the broker answers only the partitions that have something
// new. The broker remembers, per session, each partition's fetch position and the high watermark,
// last stable offset and log start offset it last reported.
//
// Request metadata (sessionId, sessionEpoch) picks the kind of fetch, as in Kafka's FetchManager:
//   sessionId 0, epoch -1   sessionless full fetch: every requested partition, no session;
//   any id,      epoch -1   closes that session, then a sessionless full fetch;
//   any id,      epoch 0    closes that session (if any), then a full fetch that creates a new one
//                           when a slot is free (the response carries its id, or 0 when declined);
//   id > 0,      epoch > 0  incremental: the session must exist (else FETCH_SESSION_ID_NOT_FOUND 70)
//                           and expect exactly this epoch (else INVALID_FETCH_SESSION_EPOCH 71).
//                           Requested partitions are added or updated, forgotten ones removed; every
//                           partition of the session is read, and the response lists only those with
//                           records, an error, or a changed HW / LSO / log start offset.
// A session keys partitions by topic name (Fetch v7-12) or topic id (v13+); using the other kind on
// an existing session is FETCH_SESSION_TOPIC_ID_ERROR (106). The epoch advances on each incremental
// fetch (wrapping from 2^31-1 to 1). Partitions that answered move to the end of the session's
// order, so when the response byte limit cuts a fetch short the others get the next turn.
//
// Bounds: at most `max.incremental.fetch.session.cache.slots` sessions (0 disables sessions) and
// MAX_FETCH_SESSION_PARTITIONS partitions per session. A full slot table evicts the least recently
// used session once it has been idle FETCH_SESSION_EVICTION_MS, or else the smallest session older
// than FETCH_SESSION_MIN_AGE_MS when the new one is larger (Kafka's rule without privileged
// followers); otherwise the new session is declined and the client keeps doing full fetches.

import { randomInt } from 'node:crypto'
import { ErrorCode } from '../protocol/ErrorCode.ts'

/** An idle session may be evicted for a new one after this long (Kafka's 120 s). */
export const FETCH_SESSION_EVICTION_MS = 120_000
/** A session younger than this is never evicted for a larger one, so sessions do not thrash. */
export const FETCH_SESSION_MIN_AGE_MS = 120_000
/**
 * Most partitions one session may hold. A session grows by what incremental requests add, so
 * without a cap a client could grow it forever; 2^17 is far beyond any consumer's assignment.
 */
export const MAX_FETCH_SESSION_PARTITIONS = 1 << 17

export const INVALID_SESSION_ID = 0
export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1

/** One partition of a fetch as the client asked for it. */
export interface FetchPartitionRequest {
  /** Topic name (Fetch v0-12; resolved from the id for v13+ when known, else ''). */
  topic: string
  /** Topic id (v13+; the zero uuid below). */
  topicId: string
  readonly partition: number
  fetchOffset: bigint
  partitionMaxBytes: number
  logStartOffset: bigint
}

/** What the response said about a partition, as the session needs to compare it next time. */
export interface FetchPartitionOutcome {
  readonly errorCode: number
  readonly highWatermark: bigint
  readonly lastStableOffset: bigint
  readonly logStartOffset: bigint
  /** Record bytes returned. */
  readonly recordsBytes: number
}

interface CachedPartition extends FetchPartitionRequest {
  /** Last values sent to the client; -1 forces the next response to include the partition. */
  sentHighWatermark: bigint
  sentLastStableOffset: bigint
  sentLogStartOffset: bigint
}

class FetchSession {
  readonly id: number
  readonly usesTopicIds: boolean
  readonly createdMs: number
  lastUsedMs: number
  /** The epoch the next incremental request must carry. */
  epoch: number
  /** Insertion order is fetch order. */
  readonly partitions = new Map<string, CachedPartition>()

  constructor (id: number, usesTopicIds: boolean, now: number) {
    this.id = id
    this.usesTopicIds = usesTopicIds
    this.createdMs = now
    this.lastUsedMs = now
    this.epoch = nextEpoch(INITIAL_EPOCH)
  }
}

export function nextEpoch (epoch: number): number {
  if (epoch < 0) return epoch
  return epoch === 0x7fffffff ? 1 : epoch + 1
}

function keyOf (usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}\u0000${partition}`
}

/** The outcome of a fetch's session metadata: what to read, and how to shape the response. */
export class FetchContext {
  /** Top-level error (70, 71, 106): answer it with sessionId 0 and no partitions. */
  readonly errorCode: number
  /** Partitions to read, in response order. */
  readonly partitions: readonly FetchPartitionRequest[]
  private readonly cache: FetchSessionCache | null
  private readonly session: FetchSession | null
  private readonly createSession: boolean
  private readonly usesTopicIds: boolean

  constructor (errorCode: number, partitions: readonly FetchPartitionRequest[], cache: FetchSessionCache | null, session: FetchSession | null, createSession: boolean, usesTopicIds: boolean) {
    this.errorCode = errorCode
    this.partitions = partitions
    this.cache = cache
    this.session = session
    this.createSession = createSession
    this.usesTopicIds = usesTopicIds
  }

  get isIncremental (): boolean { return this.session !== null }

  /**
   * Records what the response says (`outcomes[i]` belongs to `partitions[i]`) and returns the
   * session id to answer with and which partitions the response lists.
   */
  complete (outcomes: readonly FetchPartitionOutcome[]): { sessionId: number, include: boolean[] } {
    const include = new Array<boolean>(this.partitions.length).fill(true)
    if (this.session !== null) {
      const s = this.session
      const responded: string[] = []
      for (let i = 0; i < this.partitions.length; i++) {
        const p = this.partitions[i] as CachedPartition
        const o = outcomes[i] as FetchPartitionOutcome
        const must = o.recordsBytes > 0 || o.errorCode !== ErrorCode.NONE ||
          o.highWatermark !== p.sentHighWatermark || o.lastStableOffset !== p.sentLastStableOffset ||
          o.logStartOffset !== p.sentLogStartOffset
        include[i] = must
        if (!must) continue
        if (o.errorCode === ErrorCode.NONE) {
          p.sentHighWatermark = o.highWatermark
          p.sentLastStableOffset = o.lastStableOffset
          p.sentLogStartOffset = o.logStartOffset
        } else {
          p.sentHighWatermark = -1n
          p.sentLastStableOffset = -1n
          p.sentLogStartOffset = -1n
        }
        responded.push(keyOf(s.usesTopicIds, p.topic, p.topicId, p.partition))
      }
      // Move the partitions that answered to the back: the others go first next time.
      for (const k of responded) {
        const p = s.partitions.get(k)
        if (p === undefined) continue
        s.partitions.delete(k)
        s.partitions.set(k, p)
      }
      return { sessionId: s.id, include }
    }
    if (!this.createSession || this.cache === null) return { sessionId: INVALID_SESSION_ID, include }
    const cached: CachedPartition[] = this.partitions.map((p, i) => {
      const o = outcomes[i] as FetchPartitionOutcome
      const ok = o.errorCode === ErrorCode.NONE
      return {
        topic: p.topic,
        topicId: p.topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        logStartOffset: p.logStartOffset,
        sentHighWatermark: ok ? o.highWatermark : -1n,
        sentLastStableOffset: ok ? o.lastStableOffset : -1n,
        sentLogStartOffset: ok ? o.logStartOffset : -1n,
      }
    })
    const id = this.cache.maybeCreate(cached, this.usesTopicIds)
    return { sessionId: id, include }
  }
}

export class FetchSessionCache {
  readonly maxSessions: number
  private readonly now: () => number
  /** Insertion order is recency of use: the first session is the least recently used. */
  private readonly sessions = new Map<number, FetchSession>()

  constructor (maxSessions: number, now: () => number = Date.now) {
    this.maxSessions = maxSessions
    this.now = now
  }

  get size (): number { return this.sessions.size }

  /** Partitions held by session `id` (tests, metrics). */
  sessionPartitions (id: number): number | undefined { return this.sessions.get(id)?.partitions.size }

  /**
   * Interprets a fetch's session fields. `requested` is the request's partitions in order;
   * `forgotten` the (topic or topic id, partition) pairs to drop (v7+).
   */
  newContext (
    usesTopicIds: boolean,
    sessionId: number,
    sessionEpoch: number,
    requested: readonly FetchPartitionRequest[],
    forgotten: ReadonlyArray<{ topic: string, topicId: string, partition: number }>,
  ): FetchContext {
    if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.sessions.delete(sessionId)
      // A full fetch lists each partition once; a repeated one keeps its last entry, as a session would.
      const byKey = new Map<string, FetchPartitionRequest>()
      for (const p of requested) byKey.set(keyOf(usesTopicIds, p.topic, p.topicId, p.partition), p)
      const partitions = byKey.size === requested.length ? requested : [...byKey.values()]
      const create = sessionEpoch === INITIAL_EPOCH && this.maxSessions > 0 && partitions.length <= MAX_FETCH_SESSION_PARTITIONS
      return new FetchContext(ErrorCode.NONE, partitions, this, null, create, usesTopicIds)
    }
    const session = this.sessions.get(sessionId)
    if (session === undefined) return errorContext(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    if (session.epoch !== sessionEpoch) return errorContext(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    if (session.usesTopicIds !== usesTopicIds) return errorContext(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
    for (const p of requested) {
      const k = keyOf(usesTopicIds, p.topic, p.topicId, p.partition)
      const cached = session.partitions.get(k)
      if (cached !== undefined) {
        cached.fetchOffset = p.fetchOffset
        cached.partitionMaxBytes = p.partitionMaxBytes
        cached.logStartOffset = p.logStartOffset
        if (p.topic !== '') cached.topic = p.topic
        continue
      }
      if (session.partitions.size >= MAX_FETCH_SESSION_PARTITIONS) {
        this.sessions.delete(session.id)
        return errorContext(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
      }
      session.partitions.set(k, { ...p, sentHighWatermark: -1n, sentLastStableOffset: -1n, sentLogStartOffset: -1n })
    }
    for (const f of forgotten) session.partitions.delete(keyOf(usesTopicIds, f.topic, f.topicId, f.partition))
    session.epoch = nextEpoch(session.epoch)
    this.touch(session)
    return new FetchContext(ErrorCode.NONE, [...session.partitions.values()], this, session, false, usesTopicIds)
  }

  /** Stores a new session for a full fetch if a slot is (or can be made) free; returns its id or 0. */
  maybeCreate (partitions: CachedPartition[], usesTopicIds: boolean): number {
    const now = this.now()
    if (this.sessions.size >= this.maxSessions && !this.tryEvict(partitions.length, now)) return INVALID_SESSION_ID
    let id: number
    do id = randomInt(1, 0x7fffffff); while (this.sessions.has(id))
    const s = new FetchSession(id, usesTopicIds, now)
    for (const p of partitions) s.partitions.set(keyOf(usesTopicIds, p.topic, p.topicId, p.partition), p)
    this.sessions.set(id, s)
    return id
  }

  /** Drops every session (shutdown). */
  clear (): void { this.sessions.clear() }

  private touch (s: FetchSession): void {
    s.lastUsedMs = this.now()
    this.sessions.delete(s.id)
    this.sessions.set(s.id, s)
  }

  private tryEvict (newSize: number, now: number): boolean {
    if (this.maxSessions <= 0) return false
    const lru = this.sessions.values().next().value
    if (lru === undefined) return true
    if (now - lru.lastUsedMs > FETCH_SESSION_EVICTION_MS) {
      this.sessions.delete(lru.id)
      return true
    }
    let smallest: FetchSession | undefined
    for (const s of this.sessions.values()) {
      if (now - s.createdMs < FETCH_SESSION_MIN_AGE_MS) continue
      if (smallest === undefined || s.partitions.size < smallest.partitions.size) smallest = s
    }
    if (smallest === undefined || smallest.partitions.size >= newSize) return false
    this.sessions.delete(smallest.id)
    return true
  }
}

function errorContext (errorCode: number): FetchContext {
  return new FetchContext(errorCode, [], null, null, false, false)
}
