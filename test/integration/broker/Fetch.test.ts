// Fetch over TCP: every version's layout (legacy down-conversion, topic ids), long poll, byte
// limits, offsets out of range, and incremental fetch sessions (KIP-227).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { Fetch, Produce } from '../../../src/protocol/messages/index.ts'
import { CompressionType } from '../../../src/protocol/records/compression/CompressionType.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { batchesIn, batchOf, createTopic, eventually, fetchOne, legacyIn, produce, valuesIn } from './dataPathSupport.ts'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

test('Fetch v4-v17 return the stored batches; v13+ by topic id', async t => {
  const { broker } = await startTestBroker(t)
  const topicId = await createTopic(broker, 'f', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await produce(c, 9, 'f', 0, batchOf(['a', 'b']))
  await produce(c, 9, 'f', 0, batchOf(['c'], { compression: CompressionType.GZIP }))
  for (let v = 4; v <= 17; v++) {
    const f = await fetchOne(c, v, v >= 13 ? '' : 'f', 0, 0n, { topicId })
    assert.equal(f.errorCode, ErrorCode.NONE, `v${v}`)
    assert.equal(f.highWatermark, 3n)
    assert.equal(f.lastStableOffset, 3n)
    if (v >= 5) assert.equal(f.logStartOffset, 0n)
    assert.deepEqual(valuesIn(f.records), ['a', 'b', 'c'], `v${v}`)
    const from1 = await fetchOne(c, v, v >= 13 ? '' : 'f', 0, 1n, { topicId })
    assert.equal(batchesIn(from1.records)[0]?.baseOffset, 0n, 'the batch holding the fetch offset comes whole')
    const from2 = await fetchOne(c, v, v >= 13 ? '' : 'f', 0, 2n, { topicId })
    assert.deepEqual(valuesIn(from2.records), ['c'])
  }
})

test('Fetch v0-3 down-convert to magic 0 (v0-1) and magic 1 (v2-3), keeping offsets', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'old', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const ts = BigInt(Date.now())
  await produce(c, 9, 'old', 0, batchOf(['a', 'b'], { baseTimestamp: ts }))
  await produce(c, 9, 'old', 0, batchOf(['c', 'd'], { baseTimestamp: ts, compression: CompressionType.GZIP }))
  for (let v = 0; v <= 3; v++) {
    const f = await fetchOne(c, v, 'old', 0, 0n)
    assert.equal(f.errorCode, ErrorCode.NONE)
    assert.equal(f.highWatermark, 4n)
    const records = legacyIn(f.records)
    assert.deepEqual(records.map(r => [r.offset, r.value?.toString()]), [[0n, 'a'], [1n, 'b'], [2n, 'c'], [3n, 'd']], `v${v}`)
    assert.deepEqual(records.map(r => r.magic), [v <= 1 ? 0 : 1, v <= 1 ? 0 : 1, v <= 1 ? 0 : 1, v <= 1 ? 0 : 1])
    if (v >= 2) assert.equal(records[0]?.timestamp, ts)
    assert.equal(records[2]?.compression, CompressionType.GZIP)
  }
})

test('zstd batches go to Fetch v4+ as stored (Kafka 4 too); v0-3 cannot carry them: UNSUPPORTED_COMPRESSION_TYPE', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'zs', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await produce(c, 9, 'zs', 0, batchOf(['z'], { compression: CompressionType.ZSTD }))
  assert.equal((await fetchOne(c, 2, 'zs', 0, 0n)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
  assert.equal((await fetchOne(c, 0, 'zs', 0, 0n)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
  for (const v of [4, 9, 10, 17]) assert.deepEqual(valuesIn((await fetchOne(c, v, v >= 13 ? '' : 'zs', 0, 0n, { topicId: broker.metadata.topic('zs')?.topicId })).records), ['z'], `v${v}`)
})

test('unknown topics, topic ids, partitions and offsets out of range', async t => {
  const { broker } = await startTestBroker(t)
  const topicId = await createTopic(broker, 'u', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await produce(c, 9, 'u', 0, batchOf(['a', 'b', 'c']))
  assert.equal((await fetchOne(c, 12, 'nope', 0, 0n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await fetchOne(c, 12, 'u', 3, 0n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await fetchOne(c, 13, '', 0, 0n, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })).errorCode, ErrorCode.UNKNOWN_TOPIC_ID)
  assert.equal((await fetchOne(c, 13, '', 0, 0n, { topicId })).errorCode, ErrorCode.NONE)
  const past = await fetchOne(c, 12, 'u', 0, 4n)
  assert.equal(past.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal(past.highWatermark, 3n)
  const atEnd = await fetchOne(c, 12, 'u', 0, 3n)
  assert.equal(atEnd.errorCode, ErrorCode.NONE)
  assert.equal(atEnd.records?.length ?? 0, 0)
  assert.equal((await fetchOne(c, 12, 'u', 0, -1n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
})

test('long poll: a parked fetch returns with the data produced meanwhile, on any of its partitions', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'lp', 2)
  await using consumer = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await using producer = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const pending = consumer.request(Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 30_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'lp', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }, { partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
  })
  await eventually('the fetch is parked', () => broker.replicaManager.purgatory.size === 1)
  assert.equal((await produce(producer, 9, 'lp', 1, batchOf(['wake']))).errorCode, ErrorCode.NONE)
  const res = await pending
  const parts = res.responses[0]?.partitions ?? []
  assert.deepEqual(parts.map(p => [p.partitionIndex, p.highWatermark]), [[0, 0n], [1, 1n]])
  assert.deepEqual(valuesIn(parts[1]?.records ?? null), ['wake'])
  assert.equal(broker.replicaManager.purgatory.size, 0)
  assert.equal(broker.replicaManager.purgatory.watchedPartitions, 0)
})

test('long poll: minBytes not reached by a small append keeps waiting until enough arrives', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'mb', 1)
  await using consumer = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await using producer = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const small = batchOf(['s'])
  const pending = fetchOne(consumer, 12, 'mb', 0, 0n, { maxWaitMs: 30_000, minBytes: small.length * 3 })
  await eventually('the fetch is parked', () => broker.replicaManager.purgatory.size === 1)
  await produce(producer, 9, 'mb', 0, small)
  assert.equal(broker.replicaManager.purgatory.size, 1, 'one small batch is below minBytes')
  await produce(producer, 9, 'mb', 0, batchOf(['t']))
  await produce(producer, 9, 'mb', 0, batchOf(['u']))
  const f = await pending
  assert.deepEqual(valuesIn(f.records), ['s', 't', 'u'])
})

test('an empty fetch with maxWaitMs answers empty once the wait is over', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'empty', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const f = await fetchOne(c, 12, 'empty', 0, 0n, { maxWaitMs: 20 })
  assert.equal(f.errorCode, ErrorCode.NONE)
  assert.equal(f.highWatermark, 0n)
  assert.equal(f.records?.length ?? 0, 0)
  assert.equal(broker.replicaManager.purgatory.size, 0)
})

test('a fetch parked at shutdown is answered or dropped: the broker closes and nothing hangs', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'sd', 1)
  const c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const pending = fetchOne(c, 12, 'sd', 0, 0n, { maxWaitMs: 600_000 }).then(() => 'answered', () => 'dropped')
  await eventually('the fetch is parked', () => broker.replicaManager.purgatory.size === 1)
  await broker.close()
  assert.ok(['answered', 'dropped'].includes(await pending))
  assert.equal(broker.replicaManager.purgatory.size, 0)
  await c.close()
})

test('byte limits: the first batch comes whole past partitionMaxBytes (v3+); response maxBytes spans partitions', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'lim', 2)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const big = 'x'.repeat(1000)
  for (let i = 0; i < 3; i++) await produce(c, 9, 'lim', 0, batchOf([`${i}${big}`]))
  await produce(c, 9, 'lim', 1, batchOf([`p${big}`]))
  const batchSize = batchOf([`0${big}`]).length

  const small = await fetchOne(c, 12, 'lim', 0, 0n, { partitionMaxBytes: 100 })
  assert.equal(small.records?.length, batchSize, 'exactly the first batch, although larger than partitionMaxBytes')
  const two = await fetchOne(c, 12, 'lim', 0, 0n, { partitionMaxBytes: batchSize * 2 + 10 })
  assert.equal(two.records?.length, batchSize * 2 + 10, 'cut at the limit: two batches and part of the third')
  assert.equal(valuesIn(two.records).length, 2)
  const hard = await fetchOne(c, 2, 'lim', 0, 0n, { partitionMaxBytes: 100 })
  assert.equal(legacyIn(hard.records).length, 0, 'v0-2 limits are hard: no whole message fits')

  const both = await c.request(Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: batchSize + 10,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'lim', partitions: [{ partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }, { partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
  })
  const [p1, p0] = both.responses[0]?.partitions ?? []
  assert.equal(p1?.records?.length, batchSize)
  assert.equal(p0?.records?.length, 10, 'the rest of the response limit')
  assert.equal(valuesIn(p0?.records ?? null).length, 0)

  const first = await c.request(Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 10,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'lim', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 10 }, { partition: 1, fetchOffset: 0n, partitionMaxBytes: 10 }] }],
    forgottenTopicsData: [],
  })
  const sizes = first.responses[0]?.partitions.map(p => p.records?.length ?? 0)
  assert.deepEqual(sizes, [batchSize, 0], 'only the first partition with data gets its first batch whole')

  // Partition limits within the response limit (read concurrently): same outcome as in order.
  const roomy = await c.request(Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'lim', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 10 }, { partition: 1, fetchOffset: 0n, partitionMaxBytes: 10 }] }],
    forgottenTopicsData: [],
  })
  assert.deepEqual(roomy.responses[0]?.partitions.map(p => p.records?.length ?? 0), [batchSize, 10])
})

test('read_committed: lastStableOffset equals the high watermark and abortedTransactions is empty', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'rc', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await produce(c, 9, 'rc', 0, batchOf(['a']))
  const res = await c.request(Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'rc', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  })
  const p = res.responses[0]?.partitions[0]
  assert.equal(p?.lastStableOffset, 1n)
  assert.equal(p?.highWatermark, 1n)
  assert.deepEqual(p?.abortedTransactions, [])
  assert.equal(p?.preferredReadReplica, -1)
  assert.deepEqual(valuesIn(p?.records ?? null), ['a'])
})

interface SessionFetch { sessionId: number, epoch: number, partitions?: Array<{ partition: number, fetchOffset: bigint }>, forgotten?: number[], version?: number, topicId?: string }

async function sessionFetch (c: KafkaTestClient, topic: string, s: SessionFetch): Promise<{ errorCode: number, sessionId: number, parts: Array<{ partition: number, values: string[], hw: bigint, errorCode: number }> }> {
  const v = s.version ?? 12
  const res = await c.request(Fetch, v, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    sessionId: s.sessionId,
    sessionEpoch: s.epoch,
    topics: s.partitions === undefined || s.partitions.length === 0
      ? []
      : [{ topic, topicId: s.topicId ?? ZERO_UUID, partitions: s.partitions.map(p => ({ partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: s.forgotten === undefined ? [] : [{ topic, topicId: s.topicId ?? ZERO_UUID, partitions: s.forgotten }],
  })
  return {
    errorCode: res.errorCode,
    sessionId: res.sessionId,
    parts: res.responses.flatMap(t => t.partitions.map(p => ({ partition: p.partitionIndex, values: valuesIn(p.records), hw: p.highWatermark, errorCode: p.errorCode }))),
  }
}

test('fetch sessions: a full fetch opens one, incremental fetches list only what changed', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 's', 2)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await produce(c, 9, 's', 0, batchOf(['a']))

  const full = await sessionFetch(c, 's', { sessionId: 0, epoch: 0, partitions: [{ partition: 0, fetchOffset: 0n }, { partition: 1, fetchOffset: 0n }] })
  assert.equal(full.errorCode, ErrorCode.NONE)
  assert.ok(full.sessionId > 0, 'a session was created')
  assert.deepEqual(full.parts.map(p => [p.partition, p.values]), [[0, ['a']], [1, []]])
  const id = full.sessionId

  // The client moved partition 0 past 'a'; nothing new anywhere: an empty incremental response.
  const quiet = await sessionFetch(c, 's', { sessionId: id, epoch: 1, partitions: [{ partition: 0, fetchOffset: 1n }] })
  assert.equal(quiet.errorCode, ErrorCode.NONE)
  assert.equal(quiet.sessionId, id)
  assert.deepEqual(quiet.parts, [])

  await produce(c, 9, 's', 1, batchOf(['b']))
  const changed = await sessionFetch(c, 's', { sessionId: id, epoch: 2 })
  assert.deepEqual(changed.parts.map(p => [p.partition, p.values, p.hw]), [[1, ['b'], 1n]], 'only the partition with new data')

  // Partition 1's position stays at 0 in the session until the client says otherwise: same data again.
  const again = await sessionFetch(c, 's', { sessionId: id, epoch: 3 })
  assert.deepEqual(again.parts.map(p => [p.partition, p.values]), [[1, ['b']]])
  const moved = await sessionFetch(c, 's', { sessionId: id, epoch: 4, partitions: [{ partition: 1, fetchOffset: 1n }] })
  assert.deepEqual(moved.parts, [])

  // Forgetting partition 1: data there is no longer reported.
  const forgot = await sessionFetch(c, 's', { sessionId: id, epoch: 5, forgotten: [1] })
  assert.deepEqual(forgot.parts, [])
  await produce(c, 9, 's', 1, batchOf(['c']))
  await produce(c, 9, 's', 0, batchOf(['d']))
  const after = await sessionFetch(c, 's', { sessionId: id, epoch: 6 })
  assert.deepEqual(after.parts.map(p => [p.partition, p.values]), [[0, ['d']]])
  assert.equal(broker.replicaManager.fetchSessions.sessionPartitions(id), 1)

  // Wrong epoch, unknown id, names vs ids.
  assert.equal((await sessionFetch(c, 's', { sessionId: id, epoch: 9 })).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  assert.equal((await sessionFetch(c, 's', { sessionId: id + 1, epoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  assert.equal((await sessionFetch(c, 's', { sessionId: id, epoch: 7, version: 13 })).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)

  // Epoch -1 closes the session and answers as a sessionless full fetch.
  const closed = await sessionFetch(c, 's', { sessionId: id, epoch: -1, partitions: [{ partition: 0, fetchOffset: 0n }] })
  assert.equal(closed.sessionId, 0)
  assert.deepEqual(closed.parts.map(p => p.values), [['a', 'd']])
  assert.equal((await sessionFetch(c, 's', { sessionId: id, epoch: 7 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
})

test('fetch sessions by topic id (v13+) and sessionless fetches below v7', async t => {
  const { broker } = await startTestBroker(t)
  const topicId = await createTopic(broker, 'sid', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const full = await sessionFetch(c, '', { sessionId: 0, epoch: 0, version: 17, topicId, partitions: [{ partition: 0, fetchOffset: 0n }] })
  assert.ok(full.sessionId > 0)
  await produce(c, 9, 'sid', 0, batchOf(['x']))
  const inc = await sessionFetch(c, '', { sessionId: full.sessionId, epoch: 1, version: 17, topicId })
  assert.deepEqual(inc.parts.map(p => p.values), [['x']])
  const res = await c.request(Fetch, 6, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    topics: [{ topic: 'sid', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  })
  assert.deepEqual(valuesIn(res.responses[0]?.partitions[0]?.records ?? null), ['x'])
  assert.equal(broker.replicaManager.fetchSessions.size, 1)
})

test('fetch sessions are bounded by max.incremental.fetch.session.cache.slots; 0 disables them', async t => {
  const { broker } = await startTestBroker(t, { 'max.incremental.fetch.session.cache.slots': 0 })
  await createTopic(broker, 'ns', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const full = await sessionFetch(c, 'ns', { sessionId: 0, epoch: 0, partitions: [{ partition: 0, fetchOffset: 0n }] })
  assert.equal(full.errorCode, ErrorCode.NONE)
  assert.equal(full.sessionId, 0, 'declined: the client keeps sending full fetches')
  assert.deepEqual(full.parts.map(p => p.partition), [0])
})

test('pipelined produce and fetch on one connection are answered in order', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'pipe', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const ops: Array<Promise<unknown>> = []
  for (let i = 0; i < 20; i++) {
    ops.push(c.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'pipe', partitionData: [{ index: 0, records: batchOf([`m${i}`]) }] }] }))
  }
  const results = await Promise.all(ops) as Array<{ responses: Array<{ partitionResponses: Array<{ baseOffset: bigint }> }> }>
  assert.deepEqual(results.map(r => r.responses[0]?.partitionResponses[0]?.baseOffset), Array.from({ length: 20 }, (_, i) => BigInt(i)))
  const f = await fetchOne(c, 12, 'pipe', 0, 0n)
  assert.equal(valuesIn(f.records).length, 20)
})

test('a parked fetch gives its queued.max.requests slot back: other requests proceed while it waits', async t => {
  const { broker } = await startTestBroker(t, { 'queued.max.requests': 1 })
  await createTopic(broker, 'slot', 1)
  await using waiting = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await using other = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const parked = fetchOne(waiting, 12, 'slot', 0, 0n, { maxWaitMs: 60_000 })
  await eventually('the fetch is parked', () => broker.replicaManager.purgatory.size === 1)
  // With the only slot held by the parked fetch, this produce could never run.
  const p = await produce(other, 9, 'slot', 0, batchOf(['wake']))
  assert.equal(p.errorCode, ErrorCode.NONE)
  const f = await parked
  assert.deepEqual(valuesIn(f.records), ['wake'])
})

test('fetch buffers are pooled: reused across fetches, and concurrent consumers always get their own data', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'pool', 2)
  await using producer = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const big = (p: number, i: number): string => `p${p}-r${i}-` + String(p).repeat(40_000) // > 16 KiB: pooled sizes
  for (let i = 0; i < 6; i++) {
    for (const p of [0, 1]) assert.equal((await produce(producer, 9, 'pool', p, batchOf([big(p, i)]))).errorCode, ErrorCode.NONE)
  }
  const consume = async (p: number): Promise<void> => {
    await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 6; i++) {
        const f = await fetchOne(c, 12, 'pool', p, BigInt(i), { maxBytes: 60_000 })
        assert.equal(valuesIn(f.records)[0], big(p, i), `partition ${p} offset ${i} round ${round}`)
      }
    }
  }
  await Promise.all([consume(0), consume(1), consume(0)])
  const pool = broker.replicaManager.fetchBuffers
  assert.ok(pool.acquired >= 90, `pooled reads: ${pool.acquired}`)
  assert.ok(pool.reused > 0, 'buffers were reused')
})
