// Membership of a classic consumer group for a tool that fetches by itself (PartitionFetcher):
// join, learn the assignment, notice a rebalance, commit offsets. @platformatic/kafka runs the
// protocol (JoinGroup, SyncGroup, heartbeats, rejoining after a rebalance); this class only reads
// its outcome and commits.
//
// Commits go through the client's OffsetCommit API directly rather than Consumer.commit(), because
// the aggregator stores its window watermark in each offset's metadata string (Kafka keeps it with
// the offset, up to offset.metadata.max.bytes), and Consumer.commit() always sends null there.

import { type Admin, type Consumer, findErrorBy, kGetApi, kGetConnection } from '@platformatic/kafka'
import { partitionKey, type TopicPartition } from './PartitionFetcher.ts'
import { ToolError, ToolErrorCodes } from './ToolError.ts'

type BufferConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>

export interface OffsetToCommit extends TopicPartition {
  offset: bigint
  metadata?: string | null
}

export interface CommittedOffset extends TopicPartition {
  /** -1n when the group has committed nothing for the partition */
  offset: bigint
  metadata: string | null
}

interface OffsetCommitTopic { name: string, partitions: Array<{ partitionIndex: number, committedOffset: bigint, committedLeaderEpoch: number, committedMetadata: string | null }> }
interface OffsetCommitResponse { topics: Array<{ name: string, partitions: Array<{ partitionIndex: number, errorCode: number }> }> }
type OffsetCommitApi = (connection: unknown, groupId: string, generationId: number, memberId: string, groupInstanceId: string | null,
  topics: OffsetCommitTopic[], callback: (error: Error | null, response?: OffsetCommitResponse) => void) => void

/** Errors that mean this member's generation is over: rejoin, then start again from the committed offsets. */
export function needsRejoin (error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']
    .some(id => findErrorBy(error, 'apiId', id) !== null)
}

function callback<T> (run: (cb: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    run((error, value) => { if (error !== null && error !== undefined) reject(error); else resolve(value as T) })
  })
}

export class GroupMembership {
  readonly consumer: BufferConsumer
  readonly topics: readonly string[]
  #seenGeneration = -1

  constructor (consumer: BufferConsumer, topics: readonly string[]) {
    this.consumer = consumer
    this.topics = topics
  }

  get groupId (): string { return this.consumer.groupId }

  /** Joins the group subscribed to the topics; resolves once an assignment is known. */
  async join (): Promise<void> {
    this.consumer.topics.trackAll(...this.topics)
    await this.consumer.joinGroup({})
  }

  /** The partitions assigned to this member in the current generation. */
  assignment (): TopicPartition[] {
    const out: TopicPartition[] = []
    for (const a of this.consumer.assignments ?? []) for (const partition of a.partitions) out.push({ topic: a.topic, partition })
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
  }

  /**
   * True when the generation changed since the last call (the first call included): the caller
   * must drop what it holds for the old assignment and start again from the committed offsets.
   */
  rebalanced (): boolean {
    const generation = this.consumer.generationId
    if (generation === this.#seenGeneration) return false
    this.#seenGeneration = generation
    return true
  }

  /** The group's committed offsets (and their metadata) for some partitions, through an Admin client. */
  async committed (admin: Admin, partitions: readonly TopicPartition[]): Promise<Map<string, CommittedOffset>> {
    const out = new Map<string, CommittedOffset>()
    if (partitions.length === 0) return out
    const byTopic = new Map<string, number[]>()
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition])
    const groups = await admin.listConsumerGroupOffsets({
      groups: [{ groupId: this.groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
    })
    for (const t of groups[0]?.topics ?? []) {
      for (const p of t.partitions) {
        out.set(partitionKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata ?? null })
      }
    }
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition)
      if (!out.has(key)) out.set(key, { ...p, offset: -1n, metadata: null })
    }
    return out
  }

  /**
   * Commits offsets (with metadata) in the current generation. Throws on any partition error, e.g.
   * ILLEGAL_GENERATION after a rebalance: the caller then starts again from what was committed.
   */
  async commit (offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return
    const consumer = this.consumer
    const memberId = consumer.memberId
    if (memberId === null) throw new ToolError(ToolErrorCodes.BROKER, `not a member of group '${this.groupId}'`)
    const coordinator = await consumer.findGroupCoordinator()
    const metadata = await consumer.metadata({ topics: [...this.topics] })
    const broker = metadata.brokers.get(coordinator)
    if (broker === undefined) throw new ToolError(ToolErrorCodes.BROKER, `group coordinator ${coordinator} is not in the metadata`)
    const connection = await callback<unknown>(cb => consumer[kGetConnection](broker, cb))
    const api = await callback<OffsetCommitApi>(cb => consumer[kGetApi]('OffsetCommit', cb as never))
    const topics = new Map<string, OffsetCommitTopic>()
    for (const o of offsets) {
      let t = topics.get(o.topic)
      if (t === undefined) topics.set(o.topic, t = { name: o.topic, partitions: [] })
      t.partitions.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })
    }
    await callback<OffsetCommitResponse>(cb => api(connection, this.groupId, consumer.generationId, memberId, consumer.groupInstanceId, [...topics.values()], cb))
  }
}
