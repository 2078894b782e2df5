// Produce over TCP: every version's round trip into the log, acks, validation errors, timestamps,
// legacy message sets, idempotent producers and what survives a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '../../../src/index.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { InitProducerId, Produce } from '../../../src/protocol/messages/index.ts'
import { encodeMessageSetSync } from '../../../src/protocol/records/MessageSet.ts'
import { CompressionType } from '../../../src/protocol/records/compression/CompressionType.ts'
import { CRC, encodeRecordBatchSync, TimestampType } from '../../../src/protocol/records/RecordBatch.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker, testLogger } from '../../helpers/broker.ts'
import { batchesIn, batchOf, createTopic, eventually, fetchOne, produce, valuesIn } from './dataPathSupport.ts'

test('Produce v3-v11 appends one batch each, offsets follow on, and Fetch returns the records', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'p', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  let expected = 0n
  const all: string[] = []
  for (let v = 3; v <= 11; v++) {
    const values = [`v${v}-a`, `v${v}-b`]
    const r = await produce(c, v, 'p', 0, batchOf(values))
    assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`)
    assert.equal(r.baseOffset, expected, `v${v} base offset`)
    assert.equal(r.logAppendTimeMs, -1n)
    if (v >= 5) assert.equal(r.logStartOffset, 0n)
    expected += 2n
    all.push(...values)
  }
  const f = await fetchOne(c, 11, 'p', 0, 0n)
  assert.equal(f.highWatermark, expected)
  assert.deepEqual(valuesIn(f.records), all)
  assert.equal(batchesIn(f.records)[1]?.baseOffset, 2n)
})

test('Produce v0-2 up-converts legacy message sets (plain and gzip) into v2 batches', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'legacy', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const ts = BigInt(Date.now())
  const sets: Array<[number, Buffer]> = [
    [0, encodeMessageSetSync({ magic: 0, records: [{ offset: 0n, value: 'm0' }, { offset: 1n, value: 'm1' }] })],
    [1, encodeMessageSetSync({ magic: 0, compression: CompressionType.GZIP, records: [{ offset: 0n, value: 'g0' }, { offset: 1n, value: 'g1' }] })],
    [2, encodeMessageSetSync({ magic: 1, records: [{ offset: 0n, timestamp: ts, key: 'k', value: 'n0' }] })],
    [2, encodeMessageSetSync({ magic: 1, compression: CompressionType.GZIP, records: [{ offset: 0n, timestamp: ts, value: 'z0' }, { offset: 1n, timestamp: ts + 1n, value: 'z1' }] })],
  ]
  let expected = 0n
  for (const [v, set] of sets) {
    const r = await produce(c, v, 'legacy', 0, set, 1)
    assert.equal(r.errorCode, ErrorCode.NONE, `v${v}: ${r.errorMessage ?? ''}`)
    assert.equal(r.baseOffset, expected)
    expected = (await fetchOne(c, 4, 'legacy', 0, 0n)).highWatermark
  }
  assert.equal(expected, 7n)
  const batches = batchesIn((await fetchOne(c, 4, 'legacy', 0, 0n)).records)
  assert.deepEqual(batches.flatMap(b => b.records.map(r => r.value?.toString())), ['m0', 'm1', 'g0', 'g1', 'n0', 'z0', 'z1'])
  assert.deepEqual(batches.map(b => b.compression), [0, 1, 0, 1])
  assert.equal(batches[2]?.records[0]?.timestamp, ts)
  assert.equal(batches[2]?.records[0]?.key?.toString(), 'k')
  assert.equal(batches[3]?.records[1]?.timestamp, ts + 1n)
  assert.equal(batches[0]?.records[0]?.timestamp, -1n, 'magic 0 has no timestamps')
})

test('a corrupt legacy message is CORRUPT_MESSAGE; a legacy set in Produce v3+ is INVALID_RECORD', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'legacy-bad', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const set = encodeMessageSetSync({ magic: 1, records: [{ offset: 0n, timestamp: 1n, value: 'x' }] })
  const corrupt = Buffer.from(set)
  corrupt.writeUInt8((corrupt.at(-1) as number) ^ 0xff, corrupt.length - 1)
  assert.equal((await produce(c, 2, 'legacy-bad', 0, corrupt)).errorCode, ErrorCode.CORRUPT_MESSAGE)
  assert.equal((await produce(c, 3, 'legacy-bad', 0, set)).errorCode, ErrorCode.INVALID_RECORD)
  assert.equal((await fetchOne(c, 4, 'legacy-bad', 0, 0n)).highWatermark, 0n)
})

test('acks=0 gets no response but is appended in order; acks=0 with an error closes the connection', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'a0', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (let i = 0; i < 3; i++) {
    await c.sendNoResponse(Produce, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'a0', partitionData: [{ index: 0, records: batchOf([`x${i}`]) }] }] })
  }
  // The next response on this connection comes after the three acks=0 requests were handled.
  const r = await produce(c, 9, 'a0', 0, batchOf(['after']), 1)
  assert.equal(r.errorCode, ErrorCode.NONE)
  assert.equal(r.baseOffset, 3n)
  assert.deepEqual(valuesIn((await fetchOne(c, 12, 'a0', 0, 0n)).records), ['x0', 'x1', 'x2', 'after'])

  await using bad = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await bad.sendNoResponse(Produce, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: batchOf(['x']) }] }] })
  await eventually('the broker closes the acks=0 connection', () => bad.closed)
})

test('acks other than -1, 0, 1 answer INVALID_REQUIRED_ACKS and append nothing', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'acks', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const acks of [2, -2, 5]) {
    const r = await produce(c, 9, 'acks', 0, batchOf(['x']), acks)
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUIRED_ACKS)
    assert.equal(r.baseOffset, -1n)
  }
  assert.equal((await fetchOne(c, 12, 'acks', 0, 0n)).highWatermark, 0n)
})

test('validation: CRC, size, framing, batch count, zstd before v7, unknown topic or partition', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'v', 1, { 'max.message.bytes': '2000' })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const good = batchOf(['hello'])

  const badCrc = Buffer.from(good)
  badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC) ^ 1) >>> 0, CRC)
  assert.equal((await produce(c, 9, 'v', 0, badCrc)).errorCode, ErrorCode.CORRUPT_MESSAGE)

  const flipped = Buffer.from(good)
  flipped.writeUInt8((flipped.at(-1) as number) ^ 0x55, flipped.length - 1)
  assert.equal((await produce(c, 9, 'v', 0, flipped)).errorCode, ErrorCode.CORRUPT_MESSAGE)

  const large = await produce(c, 9, 'v', 0, batchOf(['x'.repeat(3000)]))
  assert.equal(large.errorCode, ErrorCode.MESSAGE_TOO_LARGE)

  assert.equal((await produce(c, 9, 'v', 0, good.subarray(0, good.length - 3))).errorCode, ErrorCode.CORRUPT_MESSAGE)
  assert.equal((await produce(c, 9, 'v', 0, Buffer.concat([good, batchOf(['two'])]))).errorCode, ErrorCode.INVALID_RECORD)
  assert.equal((await produce(c, 9, 'v', 0, Buffer.alloc(0))).errorCode, ErrorCode.INVALID_RECORD)
  assert.equal((await produce(c, 9, 'v', 0, null)).errorCode, ErrorCode.INVALID_RECORD)
  const nonZeroBase = batchOf(['b'], { baseOffset: 7n })
  assert.equal((await produce(c, 9, 'v', 0, nonZeroBase)).errorCode, ErrorCode.INVALID_RECORD)

  const zstd = batchOf(['z'], { compression: CompressionType.ZSTD })
  assert.equal((await produce(c, 6, 'v', 0, zstd)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
  assert.equal((await produce(c, 7, 'v', 0, zstd)).errorCode, ErrorCode.NONE)

  assert.equal((await produce(c, 9, 'nope', 0, good)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await produce(c, 9, 'v', 1, good)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const ok = await produce(c, 9, 'v', 0, good)
  assert.equal(ok.errorCode, ErrorCode.NONE)
  assert.equal(ok.baseOffset, 1n, 'only the zstd batch was appended before')
  const res = await c.request(Produce, 8, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'v', partitionData: [{ index: 0, records: badCrc }] }] })
  assert.match(res.responses[0]?.partitionResponses[0]?.errorMessage ?? '', /CRC/)
})

test('a produce with several topics and partitions answers each in request order', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'm1', 2)
  await createTopic(broker, 'm2', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const res = await c.request(Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      { name: 'm1', partitionData: [{ index: 1, records: batchOf(['a']) }, { index: 0, records: batchOf(['b', 'c']) }, { index: 5, records: batchOf(['d']) }] },
      { name: 'm2', partitionData: [{ index: 0, records: batchOf(['e']) }] },
    ],
  })
  assert.deepEqual(res.responses.map(t => [t.name, t.partitionResponses.map(p => [p.index, p.errorCode, p.baseOffset])]), [
    ['m1', [[1, 0, 0n], [0, 0, 0n], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]],
    ['m2', [[0, 0, 0n]]],
  ])
})

test('compacted topics need keys; min.insync.replicas above 1 refuses acks=all only', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'compact', 1, { 'cleanup.policy': 'compact' })
  await createTopic(broker, 'isr2', 1, { 'min.insync.replicas': '2' })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const keyless = encodeRecordBatchSync({ records: [{ key: 'k', value: 'a' }, { key: null, value: 'b' }] })
  assert.equal((await produce(c, 9, 'compact', 0, keyless)).errorCode, ErrorCode.INVALID_RECORD)
  const gz = encodeRecordBatchSync({ compression: CompressionType.GZIP, records: [{ key: null, value: 'b' }] })
  assert.equal((await produce(c, 9, 'compact', 0, gz)).errorCode, ErrorCode.INVALID_RECORD)
  assert.equal((await produce(c, 9, 'compact', 0, batchOf(['keyed']))).errorCode, ErrorCode.NONE)
  assert.equal((await produce(c, 9, 'isr2', 0, batchOf(['x']), -1)).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS)
  assert.equal((await produce(c, 9, 'isr2', 0, batchOf(['x']), 1)).errorCode, ErrorCode.NONE)
})

test('a topic compression.type other than producer recompresses batches, keeping their fields', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'gz', 1, { 'compression.type': 'gzip' })
  await createTopic(broker, 'plain', 1, { 'compression.type': 'uncompressed' })
  await createTopic(broker, 'keep', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const ts = BigInt(Date.now())
  const input = encodeRecordBatchSync({ producerId: 7n, producerEpoch: 0, baseSequence: 0, baseTimestamp: ts, records: [{ key: 'a', value: 'x', timestamp: ts, headers: [{ key: 'h', value: 'v' }] }, { key: 'b', value: 'y', timestamp: ts + 5n }] })
  assert.equal((await produce(c, 9, 'gz', 0, Buffer.from(input))).errorCode, ErrorCode.NONE)
  const [gz] = batchesIn((await fetchOne(c, 12, 'gz', 0, 0n)).records)
  assert.equal(gz?.compression, CompressionType.GZIP)
  assert.deepEqual([gz?.producerId, gz?.producerEpoch, gz?.baseSequence, gz?.maxTimestamp], [7n, 0, 0, ts + 5n])
  assert.deepEqual(gz?.records.map(r => [r.key?.toString(), r.value?.toString(), r.timestamp, r.headers.length]), [['a', 'x', ts, 1], ['b', 'y', ts + 5n, 0]])
  assert.equal((await produce(c, 9, 'gz', 0, Buffer.from(input))).baseOffset, 0n, 'the recompressed batch is still recognised as a retry')

  const zipped = encodeRecordBatchSync({ compression: CompressionType.GZIP, records: [{ value: 'z' }] })
  assert.equal((await produce(c, 9, 'plain', 0, zipped)).errorCode, ErrorCode.NONE)
  assert.equal(batchesIn((await fetchOne(c, 12, 'plain', 0, 0n)).records)[0]?.compression, CompressionType.NONE)
  assert.equal((await produce(c, 9, 'keep', 0, zipped)).errorCode, ErrorCode.NONE)
  assert.equal(batchesIn((await fetchOne(c, 12, 'keep', 0, 0n)).records)[0]?.compression, CompressionType.GZIP)
})

test('CreateTime: timestamps too far in the future are INVALID_TIMESTAMP; a wrong header maxTimestamp is corrected', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'ts', 1, { 'message.timestamp.after.max.ms': '60000', 'message.timestamp.before.max.ms': '3600000' })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const now = Date.now()
  const future = batchOf(['f'], { baseTimestamp: BigInt(now + 3_600_000) })
  assert.equal((await produce(c, 9, 'ts', 0, future)).errorCode, ErrorCode.INVALID_TIMESTAMP)
  const past = batchOf(['p'], { baseTimestamp: BigInt(now - 7_200_000) })
  assert.equal((await produce(c, 9, 'ts', 0, past)).errorCode, ErrorCode.INVALID_TIMESTAMP)
  const wrongMax = batchOf(['w'], { baseTimestamp: BigInt(now), maxTimestamp: 5n })
  assert.equal((await produce(c, 9, 'ts', 0, wrongMax)).errorCode, ErrorCode.NONE)
  const [b] = batchesIn((await fetchOne(c, 12, 'ts', 0, 0n)).records)
  assert.equal(b?.maxTimestamp, BigInt(now))
  assert.equal(b?.timestampType, TimestampType.CREATE_TIME)
})

test('LogAppendTime topics stamp the batch with the broker time and return it', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'lat', 1, { 'message.timestamp.type': 'LogAppendTime' })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const before = BigInt(Date.now())
  const r = await produce(c, 9, 'lat', 0, batchOf(['x', 'y'], { baseTimestamp: 1000n }))
  const after = BigInt(Date.now())
  assert.equal(r.errorCode, ErrorCode.NONE)
  assert.ok(r.logAppendTimeMs >= before && r.logAppendTimeMs <= after, `${r.logAppendTimeMs} within [${before}, ${after}]`)
  const [b] = batchesIn((await fetchOne(c, 12, 'lat', 0, 0n)).records) // decoding checks the new CRC
  assert.equal(b?.timestampType, TimestampType.LOG_APPEND_TIME)
  assert.equal(b?.maxTimestamp, r.logAppendTimeMs)
  assert.deepEqual(b?.records.map(x => x.timestamp), [r.logAppendTimeMs, r.logAppendTimeMs])
})

test('transactional produce is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'tx', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  assert.equal((await produce(c, 9, 'tx', 0, batchOf(['x']), -1, 'my-txn')).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  const txBatch = batchOf(['x'], { producerId: 1n, producerEpoch: 0, baseSequence: 0, isTransactional: true })
  assert.equal((await produce(c, 9, 'tx', 0, txBatch)).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  assert.equal((await fetchOne(c, 12, 'tx', 0, 0n)).highWatermark, 0n)
})

test('idempotent producer: a retried batch gets its original offset; gaps and stale epochs are rejected', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'idem', 1)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const init = await c.request(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 })
  assert.equal(init.errorCode, ErrorCode.NONE)
  const producerId = init.producerId
  const b = (seq: number, values: string[], producerEpoch = 0): Buffer => batchOf(values, { producerId, producerEpoch, baseSequence: seq })

  assert.equal((await produce(c, 9, 'idem', 0, batchOf(['plain']))).baseOffset, 0n)
  const first = await produce(c, 9, 'idem', 0, b(0, ['a', 'b', 'c']))
  assert.equal(first.baseOffset, 1n)
  const second = await produce(c, 9, 'idem', 0, b(3, ['d']))
  assert.equal(second.baseOffset, 4n)
  const retry = await produce(c, 9, 'idem', 0, b(0, ['a', 'b', 'c']))
  assert.equal(retry.errorCode, ErrorCode.NONE)
  assert.equal(retry.baseOffset, 1n, 'duplicate answered with the original offset')
  const gap = await produce(c, 9, 'idem', 0, b(10, ['x']))
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  const bumped = await produce(c, 9, 'idem', 0, b(0, ['e'], 1))
  assert.equal(bumped.errorCode, ErrorCode.NONE)
  const newEpochNotZero = await produce(c, 9, 'idem', 0, b(5, ['x'], 2))
  assert.equal(newEpochNotZero.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  const stale = await produce(c, 9, 'idem', 0, b(1, ['x'], 0))
  assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  const f = await fetchOne(c, 12, 'idem', 0, 0n)
  assert.deepEqual(valuesIn(f.records), ['plain', 'a', 'b', 'c', 'd', 'e'])
})

test('data and producer state survive a restart on the same log dir', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-test-'))
  let second: Awaited<ReturnType<typeof startBroker>> | undefined
  t.after(async () => {
    await second?.close()
    await rm(dir, { recursive: true, force: true })
  })
  const config = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir }
  let producerId: bigint
  {
    const broker = await startBroker({ config, logger: testLogger() })
    try {
      await createTopic(broker, 'durable', 1)
      await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
      producerId = (await c.request(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 })).producerId
      const r = await produce(c, 9, 'durable', 0, batchOf(['a', 'b'], { producerId, producerEpoch: 0, baseSequence: 0 }))
      assert.equal(r.baseOffset, 0n)
      assert.equal((await produce(c, 9, 'durable', 0, batchOf(['c'], { producerId, producerEpoch: 0, baseSequence: 2 }))).baseOffset, 2n)
    } finally {
      await broker.close()
    }
  }
  const broker = second = await startBroker({ config, logger: testLogger() })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const f = await fetchOne(c, 12, 'durable', 0, 0n)
  assert.equal(f.highWatermark, 3n)
  assert.deepEqual(valuesIn(f.records), ['a', 'b', 'c'])
  const retry = await produce(c, 9, 'durable', 0, batchOf(['c'], { producerId, producerEpoch: 0, baseSequence: 2 }))
  assert.equal(retry.errorCode, ErrorCode.NONE)
  assert.equal(retry.baseOffset, 2n, 'the last batch is still known as a duplicate after the restart')
  assert.equal((await produce(c, 9, 'durable', 0, batchOf(['x'], { producerId, producerEpoch: 0, baseSequence: 7 }))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  const next = await produce(c, 9, 'durable', 0, batchOf(['d'], { producerId, producerEpoch: 0, baseSequence: 3 }))
  assert.equal(next.baseOffset, 3n)
  const init = await c.request(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 })
  assert.ok(init.producerId > producerId, `a new id after the restart (${init.producerId} > ${producerId})`)
})
