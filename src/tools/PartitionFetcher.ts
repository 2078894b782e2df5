// Fetches an explicit set of partitions from explicit positions, one round at a time: the consume
// loop that the printer and the aggregator share. Kafka's consumer in miniature (positions, a fetch
// to each partition's leader, control batches skipped, an out-of-range position reset by policy),
// minus its background prefetching: a round is fetched only when the caller asks for it, so the
// caller decides when a position may move on (the aggregator commits only after its output is
// acknowledged) and nothing is buffered beyond one response per leader.
//
// It runs on a @platformatic/kafka Consumer that may or may not be in a group: the group decides
// what is assigned (GroupMembership), this class only reads.

import type { Consumer } from '@platformatic/kafka'
import { ToolError, ToolErrorCodes } from './ToolError.ts'

type BufferConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>
type FetchRequestTopic = Parameters<BufferConsumer['fetch']>[0]['topics'][number]
type FetchResponse = Awaited<ReturnType<BufferConsumer['fetch']>>

/** Batch attribute bits (Kafka's record batch format). */
const CONTROL_BATCH = 0x20
const LOG_APPEND_TIME = 0x08
/** Kafka's error code for a position outside [logStartOffset, logEndOffset]. */
const OFFSET_OUT_OF_RANGE = 1
const UNKNOWN_TOPIC_OR_PARTITION = 3
const UNKNOWN_TOPIC_ID = 100

export interface TopicPartition { topic: string, partition: number }
export interface PartitionPosition extends TopicPartition { offset: bigint }

export interface FetchedRecord extends TopicPartition {
  offset: bigint
  /** ms since the epoch: the producer's CreateTime, or the broker's LogAppendTime */
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  headers: Array<[Buffer, Buffer | null]>
}

/** Where a position that fell out of the log (retention, truncation, a bad --from) goes. */
export type OffsetResetPolicy = 'earliest' | 'latest' | 'fail'

export interface PartitionFetcherOptions {
  reset?: OffsetResetPolicy
  /** read_committed: the end to catch up with is the last stable offset, not the high watermark */
  readCommitted?: boolean
  /** bytes per partition in a fetch (Kafka's max.partition.fetch.bytes, default 1 MiB) */
  partitionMaxBytes?: number
}

/** The fetcher settings that follow the consumer's options (isolation level, bytes per partition). */
export function fetcherOptionsOf (consumer: { isolationLevel?: number, maxBytesPerPartition?: number }, reset: OffsetResetPolicy): PartitionFetcherOptions {
  return { reset, readCommitted: consumer.isolationLevel === 1, ...(consumer.maxBytesPerPartition !== undefined ? { partitionMaxBytes: consumer.maxBytesPerPartition } : {}) }
}

export function partitionKey (topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export class PartitionFetcher {
  readonly #consumer: BufferConsumer
  readonly #reset: OffsetResetPolicy
  readonly #readCommitted: boolean
  readonly #partitionMaxBytes: number
  readonly #positions = new Map<string, PartitionPosition>()
  /** the end offset (high watermark or last stable offset) each partition's latest fetch reported */
  readonly #ends = new Map<string, bigint>()

  constructor (consumer: BufferConsumer, options: PartitionFetcherOptions = {}) {
    this.#consumer = consumer
    this.#reset = options.reset ?? 'fail'
    this.#readCommitted = options.readCommitted ?? false
    this.#partitionMaxBytes = options.partitionMaxBytes ?? 1024 * 1024
  }

  /** Replaces the assignment: these partitions, from these offsets. */
  assign (positions: readonly PartitionPosition[]): void {
    this.#positions.clear()
    this.#ends.clear()
    for (const p of positions) this.#positions.set(partitionKey(p.topic, p.partition), { ...p })
    for (const topic of new Set(positions.map(p => p.topic))) {
      if (!this.#consumer.topics.has(topic)) this.#consumer.topics.track(topic)
    }
  }

  /** The partitions being read and the next offset of each. */
  positions (): PartitionPosition[] {
    return [...this.#positions.values()].map(p => ({ ...p }))
  }

  position (topic: string, partition: number): bigint | undefined {
    return this.#positions.get(partitionKey(topic, partition))?.offset
  }

  /** The end offset the latest fetch reported for a partition (undefined before its first fetch). */
  endOffset (topic: string, partition: number): bigint | undefined {
    return this.#ends.get(partitionKey(topic, partition))
  }

  /** True once every partition was fetched at least once and its position reached the end reported. */
  caughtUp (): boolean {
    for (const [key, p] of this.#positions) {
      const end = this.#ends.get(key)
      if (end === undefined || p.offset < end) return false
    }
    return true
  }

  /**
   * One fetch round: a request to each leader for its partitions, waiting up to the consumer's
   * maxWaitTime for data. Returns the records in offset order per partition and advances positions
   * past them (and past control batches).
   */
  async fetch (): Promise<FetchedRecord[]> {
    if (this.#positions.size === 0) return []
    const topics = [...new Set([...this.#positions.values()].map(p => p.topic))]
    const metadata = await this.#consumer.metadata({ topics })
    const byNode = new Map<number, Map<string, FetchRequestTopic>>()
    const names = new Map<string, string>()
    for (const p of this.#positions.values()) {
      const topic = metadata.topics.get(p.topic)
      if (topic === undefined) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${p.topic}'`)
      const leader = topic.partitions[p.partition]?.leader
      if (leader === undefined) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `topic '${p.topic}' has no partition ${p.partition}`)
      if (leader < 0) continue // no leader right now: skip it this round
      names.set(topic.id, p.topic)
      let requests = byNode.get(leader)
      if (requests === undefined) byNode.set(leader, requests = new Map())
      let request = requests.get(topic.id)
      if (request === undefined) requests.set(topic.id, request = { topicId: topic.id, partitions: [] })
      request.partitions.push({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: this.#partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })
    }
    const responses = await Promise.all([...byNode].map(async ([node, requests]) => {
      const topicsToFetch = [...requests.values()]
      try {
        return await this.#consumer.fetch({ node, topics: topicsToFetch })
      } catch (error) {
        await this.#recover(error, names)
        return undefined
      }
    }))
    const records: FetchedRecord[] = []
    for (const response of responses) if (response !== undefined) this.#take(response, names, records)
    return records
  }

  #take (response: FetchResponse, names: ReadonlyMap<string, string>, out: FetchedRecord[]): void {
    for (const t of response.responses) {
      const topic = names.get(t.topicId) ?? t.topicId
      for (const part of t.partitions) {
        const key = partitionKey(topic, part.partitionIndex)
        const position = this.#positions.get(key)
        if (position === undefined || part.errorCode !== 0) continue
        this.#ends.set(key, this.#readCommitted ? part.lastStableOffset : part.highWatermark)
        const fetchOffset = position.offset
        for (const batch of part.records ?? []) {
          const last = batch.firstOffset + BigInt(batch.lastOffsetDelta)
          if (last < fetchOffset) continue
          if ((batch.attributes & CONTROL_BATCH) === 0) {
            for (const record of batch.records) {
              const offset = batch.firstOffset + BigInt(record.offsetDelta)
              if (offset < fetchOffset) continue
              out.push({
                topic,
                partition: part.partitionIndex,
                offset,
                timestamp: (batch.attributes & LOG_APPEND_TIME) !== 0 ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta,
                key: record.key,
                value: record.value,
                headers: record.headers.map(([k, v]) => [k ?? Buffer.alloc(0), v]),
              })
            }
          }
          if (last + 1n > position.offset) position.offset = last + 1n
        }
      }
    }
  }

  /** A failed fetch: reset out-of-range positions by policy, report a vanished topic, rethrow the rest. */
  async #recover (error: unknown, names: ReadonlyMap<string, string>): Promise<void> {
    const response = (error as { response?: FetchResponse }).response
    if (response === undefined || !Array.isArray(response.responses)) throw error
    const outOfRange: TopicPartition[] = []
    for (const t of response.responses) {
      const topic = names.get(t.topicId) ?? t.topicId
      for (const part of t.partitions) {
        if (part.errorCode === 0) continue
        if (part.errorCode === OFFSET_OUT_OF_RANGE) outOfRange.push({ topic, partition: part.partitionIndex })
        else if (part.errorCode === UNKNOWN_TOPIC_OR_PARTITION || part.errorCode === UNKNOWN_TOPIC_ID) {
          throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `topic '${topic}' partition ${part.partitionIndex} no longer exists`)
        }
      }
    }
    if (outOfRange.length === 0) throw error
    if (this.#reset === 'fail') {
      const first = outOfRange[0] as TopicPartition
      throw new ToolError(ToolErrorCodes.INVALID, `offset ${this.position(first.topic, first.partition)} is out of range for ${first.topic}/${first.partition}`)
    }
    const offsets = await listOffsets(this.#consumer, outOfRange, this.#reset === 'earliest' ? -2n : -1n)
    for (const tp of outOfRange) {
      const p = this.#positions.get(partitionKey(tp.topic, tp.partition))
      const offset = offsets.get(partitionKey(tp.topic, tp.partition))
      if (p !== undefined && offset !== undefined) p.offset = offset
    }
  }
}

/**
 * ListOffsets for some partitions: timestamp -2n is the log start, -1n the log end, otherwise the
 * first offset whose timestamp is >= it (the log end when there is none).
 */
export async function listOffsets (consumer: BufferConsumer, partitions: readonly TopicPartition[], timestamp: bigint): Promise<Map<string, bigint>> {
  const topics = [...new Set(partitions.map(p => p.topic))]
  const byTopic: Record<string, number[]> = {}
  for (const p of partitions) (byTopic[p.topic] ??= []).push(p.partition)
  const listed = await consumer.listOffsets({ topics, partitions: byTopic, timestamp })
  const out = new Map<string, bigint>()
  let missing: TopicPartition[] = []
  for (const p of partitions) {
    const offset = listed.get(p.topic)?.[p.partition]
    if (offset === undefined || offset < 0n) missing.push(p)
    else out.set(partitionKey(p.topic, p.partition), offset)
  }
  // A timestamp later than every record: Kafka answers -1, which means "the end".
  if (missing.length > 0 && timestamp >= 0n) {
    const ends = await listOffsets(consumer, missing, -1n)
    for (const [k, v] of ends) out.set(k, v)
    missing = []
  }
  if (missing.length > 0) {
    const first = missing[0] as TopicPartition
    throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `no offsets for ${first.topic}/${first.partition}`)
  }
  return out
}
