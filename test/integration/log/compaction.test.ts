// Log compaction in a running broker: a cleanup.policy=compact topic made over CreateTopics and
// written over Produce is cleaned in the background (small segments, a short cleaner backoff, a low
// min.cleanable.ratio), Fetch from the start returns the latest value of each key at its original
// offset, and __consumer_offsets compacted after many commits still loads the latest offsets after
// a restart.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Broker } from '../../../src/index.ts'
import type { Log } from '../../../src/log/Log.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { OffsetCommit, OffsetFetch } from '../../../src/protocol/messages/index.ts'
import { decodeRecordBatches, encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, RestartableBroker } from '../broker/controllerSupport.ts'
import { batchesIn, eventually, fetchOne, produce } from '../broker/dataPathSupport.ts'
import { createTopic as createGroupTopic } from '../group/support.ts'

const CLEANER = { 'log.cleaner.backoff.ms': 10, 'log.cleaner.min.cleanable.ratio': 0.01 }

interface Stored { offset: number, key: string, value: string | null }

function logOf (broker: Broker, topic: string, partition = 0): Log {
  const p = broker.replicaManager.getPartition(topic, partition)
  assert.ok(p !== undefined, `${topic}-${partition}`)
  return p.log
}

/** Every record of the log from its start to its HW, read straight from the Log. */
async function logRecords (log: Log): Promise<Stored[]> {
  const out: Stored[] = []
  let offset = log.logStartOffset
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20)
    assert.equal(r.errorCode, ErrorCode.NONE)
    const batches = await decodeRecordBatches(r.records, { allowTruncatedTail: true })
    assert.ok(batches.length > 0, `no batch at ${offset}`)
    for (const b of batches) {
      for (const rec of b.records) if (Number(rec.offset) >= offset) out.push({ offset: Number(rec.offset), key: rec.key?.toString() ?? '', value: rec.value?.toString() ?? null })
      offset = Math.max(offset, Number(b.lastOffset) + 1)
    }
  }
  return out
}

/** Whether every key appears once below the active segment (the cleaned section). */
function cleanSectionHasOneRecordPerKey (records: readonly Stored[], activeBase: number): boolean {
  const clean = records.filter(r => r.offset < activeBase)
  return new Set(clean.map(r => r.key)).size === clean.length
}

test('a compact topic is compacted in the background; Fetch from the start returns the latest value per key at its offset', async t => {
  const { broker } = await startTestBroker(t, { 'log.segment.bytes': 1024, ...CLEANER })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(c, { name: 'prices', configs: { 'cleanup.policy': 'compact' } })
  const keys = ['apple', 'pear', 'plum', 'fig', 'kiwi']
  const n = 200
  for (let i = 0; i < n; i++) {
    const key = keys[i % keys.length] as string
    const r = await produce(c, 9, 'prices', 0, encodeRecordBatchSync({ records: [{ key, value: `${key}@${i}` }] }))
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.baseOffset, BigInt(i))
  }
  const log = logOf(broker, 'prices')
  assert.ok(log.activeSegment.baseOffset > n / 2, 'small segments: most of the log is in inactive segments')
  await eventually('the log is compacted up to its active segment', async () => {
    const records = await logRecords(log)
    return records.length < n && records.some(r => r.offset < log.activeSegment.baseOffset) && cleanSectionHasOneRecordPerKey(records, log.activeSegment.baseOffset)
  }, 30_000)

  // Fetch from offset 0, following the batches to the end
  const fetched: Stored[] = []
  let offset = 0n
  for (;;) {
    const f = await fetchOne(c, 11, 'prices', 0, offset, { partitionMaxBytes: 512 })
    assert.equal(f.errorCode, ErrorCode.NONE)
    assert.equal(f.logStartOffset, 0n)
    assert.equal(f.highWatermark, BigInt(n))
    const batches = batchesIn(f.records)
    if (batches.length === 0) break
    for (const b of batches) {
      for (const r of b.records) if (r.offset >= offset) fetched.push({ offset: Number(r.offset), key: r.key?.toString() ?? '', value: r.value?.toString() ?? null })
      offset = b.lastOffset + 1n
    }
  }
  assert.ok(fetched.length < n, `${fetched.length} records after compaction`)
  for (const r of fetched) assert.equal(r.value, `${r.key}@${r.offset}`, 'each record kept its original offset')
  const latest = new Map<string, string | null>()
  for (const r of fetched) latest.set(r.key, r.value)
  assert.deepEqual([...latest].sort(), keys.map((k, j) => [k, `${k}@${n - keys.length + j}`]).sort())
})

test('__consumer_offsets is compacted after many commits, and a restart loads the latest committed offsets', async t => {
  const rb = await RestartableBroker.start(t, { 'offsets.topic.num.partitions': 1, 'offsets.topic.segment.bytes': 2048, ...CLEANER })
  await createGroupTopic(rb.broker, 'events', 3)
  const c = await rb.client()
  const commits = 150
  for (let i = 1; i <= commits; i++) {
    const r = await c.request(OffsetCommit, 2, {
      groupId: 'billing',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [{ name: 'events', partitions: [0, 1, 2].map(p => ({ partitionIndex: p, committedOffset: BigInt(i * 10 + p), committedMetadata: `m${i}` })) }],
    })
    assert.deepEqual(r.topics[0]?.partitions.map(p => p.errorCode), [0, 0, 0])
  }
  const log = logOf(rb.broker, '__consumer_offsets')
  const written = log.logEndOffset
  assert.ok(written >= commits * 3)
  await eventually('__consumer_offsets is compacted up to its active segment', async () => {
    const records = await logRecords(log)
    return records.length < written / 2 && cleanSectionHasOneRecordPerKey(records, log.activeSegment.baseOffset)
  }, 30_000)

  const expected = [0, 1, 2].map(p => [BigInt(commits * 10 + p), `m${commits}`])
  const fetchOffsets = async (client: KafkaTestClient): Promise<Array<[bigint, string | null]>> => {
    const f = await client.request(OffsetFetch, 1, { groupId: 'billing', topics: [{ name: 'events', partitionIndexes: [0, 1, 2] }] })
    return (f.topics[0]?.partitions ?? []).map(p => [p.committedOffset, p.metadata])
  }
  assert.deepEqual(await fetchOffsets(c), expected)

  await rb.restart()
  const c2 = await rb.client()
  await eventually('the offsets are loaded again', async () => (await fetchOffsets(c2))[0]?.[0] === expected[0]?.[0])
  assert.deepEqual(await fetchOffsets(c2), expected)
  const reloaded = await logRecords(logOf(rb.broker, '__consumer_offsets'))
  assert.ok(reloaded.length < written / 2, `${reloaded.length} of ${written} records after the restart`)
})
