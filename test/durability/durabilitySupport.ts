// Shared by the durability tests: a seeded PRNG (its seed printed, so a failing run can be
// replayed), and the few protocol calls they make over KafkaTestClient — create a topic, produce
// one batch, read a whole partition back, ask for its earliest/latest offsets.

import assert from 'node:assert/strict'
import { CreateTopics, Fetch, ListOffsets, Produce } from '../../src/protocol/messages/index.ts'
import { decodeRecordBatchesSync } from '../../src/protocol/records/RecordBatch.ts'
import type { KafkaTestClient } from '../helpers/KafkaTestClient.ts'

export const PRODUCE_VERSION = 11
export const FETCH_VERSION = 12
export const LIST_OFFSETS_VERSION = 7
export const CREATE_TOPICS_VERSION = 7

/** Bytes asked for per fetch while reading a partition back. */
const READ_BACK_FETCH_BYTES = 8 * 1024 * 1024

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer in [lo, hi]. */
export function randInt (rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1))
}

/** SAMSA_DURABILITY_SEED when set (to replay a failure), else a fresh one. */
export function chooseSeed (): number {
  const env = process.env.SAMSA_DURABILITY_SEED
  if (env !== undefined && env !== '') {
    const n = Number(env)
    assert.ok(Number.isInteger(n) && n >= 0 && n <= 0xffffffff, `SAMSA_DURABILITY_SEED must be an integer in [0, 2^32): ${env}`)
    return n
  }
  return Math.floor(Math.random() * 0x100000000)
}

export async function createTopic (client: KafkaTestClient, name: string, configs: Record<string, string | number> = {}, partitions = 1): Promise<void> {
  const res = await client.request(CreateTopics, CREATE_TOPICS_VERSION, {
    topics: [{
      name,
      numPartitions: partitions,
      replicationFactor: -1,
      assignments: [],
      configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: String(v) })),
    }],
    timeoutMs: 30_000,
    validateOnly: false,
  })
  const t = res.topics[0]
  assert.equal(t?.errorCode, 0, `create topic ${name}: error ${String(t?.errorCode)} ${t?.errorMessage ?? ''}`)
}

export interface ProduceResult { errorCode: number, baseOffset: bigint, logStartOffset: bigint, errorMessage: string | null }

/** One Produce request carrying `records` (v2 batches) for one partition. */
export async function produce (client: KafkaTestClient, topic: string, partition: number, records: Buffer, acks = -1): Promise<ProduceResult> {
  const res = await client.request(Produce, PRODUCE_VERSION, {
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  })
  const p = res.responses[0]?.partitionResponses[0]
  assert.ok(p !== undefined && p.index === partition, 'produce response names another partition')
  return p
}

export interface StoredRecord {
  offset: bigint
  key: string | null
  value: string | null
  producerId: bigint
  producerEpoch: number
  /** The record's sequence number: its batch's baseSequence plus its offset delta (-1 without one). */
  sequence: number
}

export interface PartitionContents {
  records: StoredRecord[]
  /** Base offsets of the batches read, in order. */
  batchBaseOffsets: bigint[]
  highWatermark: bigint
  logStartOffset: bigint
}

export interface FetchResult {
  errorCode: number
  highWatermark: bigint
  logStartOffset: bigint
  records: Buffer | null
}

export async function fetchAt (client: KafkaTestClient, topic: string, partition: number, fetchOffset: bigint, maxBytes = READ_BACK_FETCH_BYTES): Promise<FetchResult> {
  const res = await client.request(Fetch, FETCH_VERSION, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  })
  assert.equal(res.errorCode, 0, `fetch: top-level error ${res.errorCode}`)
  const p = res.responses[0]?.partitions[0]
  assert.ok(p !== undefined && p.partitionIndex === partition, 'fetch response names another partition')
  return p
}

/**
 * Every record of the partition from `from` (default: its log start offset) to its high
 * watermark, read with as many fetches as it takes. Each fetch must make progress, so the loop
 * ends by itself; a fetch that returns nothing below the high watermark is an error.
 */
export async function readPartition (client: KafkaTestClient, topic: string, partition: number, from?: bigint): Promise<PartitionContents> {
  let next = from ?? (await listOffset(client, topic, partition, -2n)).offset
  const out: PartitionContents = { records: [], batchBaseOffsets: [], highWatermark: -1n, logStartOffset: -1n }
  for (;;) {
    const f = await fetchAt(client, topic, partition, next)
    assert.equal(f.errorCode, 0, `fetch ${topic}-${partition} at ${next}: error ${f.errorCode}`)
    out.highWatermark = f.highWatermark
    out.logStartOffset = f.logStartOffset
    if (next >= f.highWatermark) return out
    const buf = f.records ?? Buffer.alloc(0)
    const batches = buf.length === 0 ? [] : decodeRecordBatchesSync(buf, { allowTruncatedTail: true })
    const before = next
    for (const b of batches) {
      const last = b.baseOffset + BigInt(b.lastOffsetDelta)
      if (last < next) continue
      out.batchBaseOffsets.push(b.baseOffset)
      for (const r of b.records) {
        if (r.offset < next) continue
        out.records.push({
          offset: r.offset,
          key: r.key === null ? null : r.key.toString('utf8'),
          value: r.value === null ? null : r.value.toString('utf8'),
          producerId: b.producerId,
          producerEpoch: b.producerEpoch,
          sequence: b.baseSequence < 0 ? -1 : b.baseSequence + Number(r.offset - b.baseOffset),
        })
      }
      next = last + 1n
    }
    assert.ok(next > before, `fetch ${topic}-${partition} at ${before} returned no whole batch below the high watermark ${f.highWatermark}`)
  }
}

export interface ListOffsetResult { errorCode: number, offset: bigint, timestamp: bigint }

/** ListOffsets for one partition: timestamp -2n earliest, -1n latest. */
export async function listOffset (client: KafkaTestClient, topic: string, partition: number, timestamp: bigint): Promise<ListOffsetResult> {
  const res = await client.request(ListOffsets, LIST_OFFSETS_VERSION, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
  })
  const p = res.topics[0]?.partitions[0]
  assert.ok(p !== undefined && p.partitionIndex === partition, 'list offsets response names another partition')
  return p
}

/** Resolves when `cond` holds, polling; fails naming `what` after the deadline (a hang guard). */
export async function eventually (what: string, cond: () => boolean | Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`never happened within ${deadlineMs} ms: ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}
