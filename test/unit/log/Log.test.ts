import assert from 'node:assert/strict'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { LOG_APPEND_QUEUE_MAX_OPS, ListOffsetsTimestamp, type Log } from '../../../src/log/Log.ts'
import { FileHandleCache } from '../../../src/log/FileHandleCache.ts'
import { buildBatch, parseBatches } from './recordBatches.ts'
import { closeLater, eventually, openLog, tempDir } from './logTestSupport.ts'

const T0 = 1_700_000_000_000

async function readAll (log: Log, from = log.logStartOffset): Promise<ReturnType<typeof parseBatches>> {
  const out: ReturnType<typeof parseBatches> = []
  let offset = from
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20)
    assert.equal(r.errorCode, ErrorCode.NONE)
    const batches = parseBatches(r.records)
    assert.ok(batches.length > 0, `no batch at ${offset}`)
    for (const b of batches) if (b.lastOffset >= offset) out.push(b)
    offset = (batches.at(-1) as { lastOffset: number }).lastOffset + 1
  }
  return out
}

test('append assigns consecutive offsets across many batches, in call order, and stamps the leader epoch', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  const counts = Array.from({ length: 300 }, (_, i) => 1 + (i % 7))
  const results = await Promise.all(counts.map(n => log.append(buildBatch({ count: n }), { leaderEpoch: 3 })))
  let expected = 0
  for (const [i, r] of results.entries()) {
    assert.equal(r.errorCode, ErrorCode.NONE)
    assert.equal(r.baseOffset, expected)
    assert.equal(r.lastOffset, expected + (counts[i] as number) - 1)
    assert.equal(r.logAppendTime, -1)
    expected += counts[i] as number
  }
  assert.equal(log.logEndOffset, expected)
  assert.equal(log.highWatermark, expected)
  const stored = await readAll(log)
  assert.equal(stored.length, 300)
  let next = 0
  for (const b of stored) {
    assert.equal(b.baseOffset, next)
    assert.equal(b.partitionLeaderEpoch, 3)
    assert.ok(b.crcOk)
    next = b.lastOffset + 1
  }
})

test('more appends than the queue holds all complete, in order', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  const n = LOG_APPEND_QUEUE_MAX_OPS + 200
  const results = await Promise.all(Array.from({ length: n }, () => log.append(buildBatch({ count: 1 }))))
  assert.deepEqual(results.map(r => r.baseOffset), Array.from({ length: n }, (_, i) => i))
})

test('read honours maxBytes and minOneMessage and returns stored bytes from the batch holding the offset', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  for (let i = 0; i < 10; i++) await log.append(buildBatch({ values: [900, 900] }))
  const one = (await log.read(0, 1 << 20)).records
  const first = parseBatches(one)[0] as { size: number }

  const whole = await log.read(0, 100)
  assert.equal(whole.records.length, first.size)
  assert.equal(parseBatches(whole.records).length, 1)

  const cut = await log.read(0, 100, { minOneMessage: false })
  assert.equal(cut.records.length, 100)
  assert.equal(parseBatches(cut.records).length, 0)

  const two = await log.read(0, first.size * 2 + 10)
  assert.equal(two.records.length, first.size * 2 + 10)
  assert.equal(parseBatches(two.records).length, 2)

  // a batch larger than the speculative read window is still returned whole
  const big = await log.append(buildBatch({ values: [30_000] }))
  await log.append(buildBatch({ count: 1 }))
  const bigRead = await log.read(big.baseOffset, 10)
  assert.equal(parseBatches(bigRead.records).length, 1)
  assert.ok(bigRead.records.length > 30_000)
  assert.equal(parseBatches((await log.read(big.baseOffset, 10, { minOneMessage: false })).records).length, 0)

  const mid = await log.read(5, 1 << 20)
  assert.equal(mid.firstBatchBaseOffset, 4)
  assert.equal(parseBatches(mid.records)[0]?.baseOffset, 4)
  assert.deepEqual(mid.records.subarray(0, 61), one.subarray(first.size * 2, first.size * 2 + 61))
})

test('fetch offsets outside [logStartOffset, LEO] are OFFSET_OUT_OF_RANGE; the end reads empty', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  await log.append(buildBatch({ count: 5 }))
  const past = await log.read(6, 1000)
  assert.equal(past.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal(past.logEndOffset, 5)
  const end = await log.read(5, 1000)
  assert.equal(end.errorCode, ErrorCode.NONE)
  assert.equal(end.records.length, 0)
  assert.equal(end.highWatermark, 5)
  assert.equal((await log.deleteRecordsBefore(3)).lowWatermark, 3)
  assert.equal((await log.read(2, 1000)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal((await log.read(3, 1000)).errorCode, ErrorCode.NONE)
})

test('segments roll by size, with Kafka file names, and reads cross segment boundaries', async t => {
  const dir = await tempDir(t)
  const log = await openLog(dir, { 'segment.bytes': 2000, 'index.interval.bytes': 100 })
  closeLater(t, log)
  for (let i = 0; i < 40; i++) await log.append(buildBatch({ values: [150, 150] }))
  assert.ok(log.numberOfSegments > 5, `only ${log.numberOfSegments} segments`)
  const files = await readdir(join(dir, 'orders-0'))
  for (const base of log.segmentBaseOffsets) {
    const stem = String(base).padStart(20, '0')
    assert.ok(files.includes(stem + '.log'), stem + '.log')
    assert.ok(files.includes(stem + '.index'), stem + '.index')
    assert.ok(files.includes(stem + '.timeindex'), stem + '.timeindex')
  }
  for (const base of log.segmentBaseOffsets.slice(0, -1)) {
    assert.ok((await stat(join(dir, 'orders-0', String(base).padStart(20, '0') + '.log'))).size <= 2000)
  }
  const stored = await readAll(log)
  assert.equal(stored.length, 40)
  assert.deepEqual(stored.map(b => b.baseOffset), Array.from({ length: 40 }, (_, i) => i * 2))
  // every offset, including ones inside batches, maps to its batch
  for (let o = 0; o < 80; o++) {
    const r = await log.read(o, 1)
    assert.equal(parseBatches(r.records)[0]?.baseOffset, o - (o % 2))
  }
})

test('segments roll by segment.ms, measured on record timestamps from the first batch', async t => {
  const log = await openLog(await tempDir(t), { 'segment.ms': 60_000 })
  closeLater(t, log)
  await log.append(buildBatch({ baseTimestamp: T0 }))
  await log.append(buildBatch({ baseTimestamp: T0 + 30_000 }))
  assert.equal(log.numberOfSegments, 1)
  await log.append(buildBatch({ baseTimestamp: T0 + 61_000 }))
  assert.deepEqual(log.segmentBaseOffsets, [0, 2])
  await log.append(buildBatch({ baseTimestamp: T0 + 62_000 }))
  assert.deepEqual(log.segmentBaseOffsets, [0, 2])
})

test('offsetForTimestamp: earliest, latest, max timestamp, and the first record at or after a time', async t => {
  const log = await openLog(await tempDir(t), { 'segment.bytes': 200 })
  closeLater(t, log)
  // offsets 0-2 @ T0+0..2, 3-5 @ T0+100..102, 6 @ T0+50 (out of order), 7-9 @ T0+200..202
  await log.append(buildBatch({ count: 3, baseTimestamp: T0 }))
  await log.append(buildBatch({ count: 3, baseTimestamp: T0 + 100 }))
  await log.append(buildBatch({ count: 1, baseTimestamp: T0 + 50 }))
  await log.append(buildBatch({ count: 3, baseTimestamp: T0 + 200 }))
  assert.ok(log.numberOfSegments > 1)
  assert.deepEqual(await log.offsetForTimestamp(ListOffsetsTimestamp.EARLIEST), { errorCode: 0, timestamp: -1, offset: 0, leaderEpoch: -1 })
  assert.equal((await log.offsetForTimestamp(ListOffsetsTimestamp.LATEST)).offset, 10)
  const max = await log.offsetForTimestamp(ListOffsetsTimestamp.MAX_TIMESTAMP)
  assert.equal(max.offset, 9)
  assert.equal(max.timestamp, T0 + 202)
  assert.equal((await log.offsetForTimestamp(T0 - 5)).offset, 0)
  assert.equal((await log.offsetForTimestamp(T0 + 1)).offset, 1)
  const mid = await log.offsetForTimestamp(T0 + 3)
  assert.equal(mid.offset, 3)
  assert.equal(mid.timestamp, T0 + 100)
  assert.equal((await log.offsetForTimestamp(T0 + 101)).offset, 4)
  assert.equal((await log.offsetForTimestamp(T0 + 150)).offset, 7)
  assert.equal((await log.offsetForTimestamp(T0 + 202)).offset, 9)
  assert.equal((await log.offsetForTimestamp(T0 + 203)).offset, -1)
  await log.deleteRecordsBefore(2)
  assert.equal((await log.offsetForTimestamp(T0)).offset, 2)
  assert.equal((await log.offsetForTimestamp(ListOffsetsTimestamp.EARLIEST)).offset, 2)
})

test('retention by time deletes old segments, advances logStartOffset and removes the files after the delay', async t => {
  const dir = await tempDir(t)
  const now = Date.now()
  const day = 86_400_000
  const log = await openLog(dir, { 'segment.bytes': 600, 'retention.ms': day, 'file.delete.delay.ms': 0 })
  closeLater(t, log)
  for (let i = 0; i < 10; i++) await log.append(buildBatch({ values: [200], baseTimestamp: now - 3 * day + i }))
  for (let i = 0; i < 4; i++) await log.append(buildBatch({ values: [200], baseTimestamp: now - 1000 + i }))
  const before = log.segmentBaseOffsets
  assert.ok(before.length >= 5)
  const deleted = await log.deleteOldSegments()
  assert.ok(deleted > 0)
  assert.ok(log.logStartOffset >= 8 && log.logStartOffset <= 10, `logStartOffset ${log.logStartOffset}`)
  assert.equal(log.logStartOffset, log.segmentBaseOffsets[0])
  assert.equal((await log.read(0, 1000)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  const kept = await readAll(log)
  assert.equal((kept.at(-1) as { lastOffset: number }).lastOffset, 13)
  const partDir = join(dir, 'orders-0')
  await eventually('the deleted segment files are gone', async () => {
    const files = await readdir(partDir)
    return !files.some(f => f.endsWith('.deleted')) && !files.includes('00000000000000000000.log')
  })
})

test('retention by time rolls and deletes an expired active segment, but never past the data', async t => {
  const now = Date.now()
  const log = await openLog(await tempDir(t), { 'retention.ms': 1000 })
  closeLater(t, log)
  for (let i = 0; i < 3; i++) await log.append(buildBatch({ baseTimestamp: now - 10_000 }))
  assert.equal(await log.deleteOldSegments(), 1)
  assert.equal(log.logStartOffset, 3)
  assert.equal(log.logEndOffset, 3)
  assert.deepEqual(log.segmentBaseOffsets, [3])
  assert.equal(await log.deleteOldSegments(), 0)
  assert.equal((await log.append(buildBatch())).baseOffset, 3)
})

test('retention by size keeps the partition at or above retention.bytes, deleting oldest first', async t => {
  const log = await openLog(await tempDir(t), { 'segment.bytes': 1000, 'retention.bytes': 2500 })
  closeLater(t, log)
  for (let i = 0; i < 30; i++) await log.append(buildBatch({ values: [200], baseTimestamp: Date.now() }))
  const sizeBefore = log.size
  assert.ok(sizeBefore > 5000)
  await log.deleteOldSegments()
  assert.ok(log.size >= 2500, `size ${log.size}`)
  assert.ok(log.size < 2500 + 1000, `size ${log.size}`)
  assert.equal(log.logStartOffset, log.segmentBaseOffsets[0])
  assert.ok(log.logStartOffset > 0)
})

test('deleteRecordsBefore moves logStartOffset, refuses offsets past the HW, deletes whole segments below', async t => {
  const log = await openLog(await tempDir(t), { 'segment.bytes': 500 })
  closeLater(t, log)
  for (let i = 0; i < 20; i++) await log.append(buildBatch({ values: [100] }))
  assert.equal((await log.deleteRecordsBefore(21)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  const r = await log.deleteRecordsBefore(9)
  assert.deepEqual(r, { errorCode: 0, lowWatermark: 9 })
  assert.ok((log.segmentBaseOffsets[0] as number) <= 9)
  assert.ok((log.segmentBaseOffsets[1] as number) > 9)
  assert.equal((await log.deleteRecordsBefore(-1)).lowWatermark, 20)
  assert.equal(log.logStartOffset, 20)
})

test('reopening after close gives the same offsets and bytes, and appends continue from the LEO', async t => {
  const dir = await tempDir(t)
  const log = await openLog(dir, { 'segment.bytes': 1500 })
  for (let i = 0; i < 25; i++) await log.append(buildBatch({ values: [100, 50, 't' + i] }))
  const before = await readAll(log)
  const bytesBefore = (await log.read(0, 1 << 20)).records
  await log.close()
  assert.equal((await log.append(buildBatch())).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)

  const again = await openLog(dir, { 'segment.bytes': 1500 }, { hadCleanShutdown: true })
  closeLater(t, again)
  assert.equal(again.logEndOffset, 75)
  assert.equal(again.highWatermark, 75)
  assert.deepEqual(await readAll(again), before)
  assert.deepEqual((await again.read(0, 1 << 20)).records, bytesBefore)
  assert.equal((await again.append(buildBatch())).baseOffset, 75)
})

test('LogAppendTime stamps the broker clock into the batch and keeps its CRC valid', async t => {
  let clock = T0 + 5_000
  const log = await openLog(await tempDir(t), { 'message.timestamp.type': 'LogAppendTime' }, { now: () => clock })
  closeLater(t, log)
  const r = await log.append(buildBatch({ count: 2, baseTimestamp: T0 }))
  assert.equal(r.logAppendTime, T0 + 5_000)
  clock += 10
  await log.append(buildBatch({ count: 2, baseTimestamp: T0 }))
  const [a, b] = parseBatches((await log.read(0, 1 << 20)).records)
  assert.ok(a !== undefined && b !== undefined)
  assert.equal(a.maxTimestamp, T0 + 5_000)
  assert.equal(b.maxTimestamp, T0 + 5_010)
  assert.equal(a.attributes & 0x08, 0x08)
  assert.ok(a.crcOk && b.crcOk)
  assert.equal((await log.offsetForTimestamp(T0 + 5_001)).offset, 2)
})

test('flush.messages=1 fsyncs before acknowledging: the recovery point follows every append', async t => {
  const log = await openLog(await tempDir(t), { 'flush.messages': 1 })
  closeLater(t, log)
  for (let i = 0; i < 5; i++) {
    const r = await log.append(buildBatch({ count: 2 }))
    assert.equal(log.recoveryPoint, r.lastOffset + 1)
  }
  const lazy = await openLog(await tempDir(t))
  closeLater(t, lazy)
  await lazy.append(buildBatch({ count: 2 }))
  assert.equal(lazy.recoveryPoint, 0)
  await lazy.flush()
  assert.equal(lazy.recoveryPoint, 2)
})

test('malformed or oversized input is answered with an error code and changes nothing', async t => {
  const log = await openLog(await tempDir(t), { 'segment.bytes': 1000 })
  closeLater(t, log)
  const torn = buildBatch({ count: 3 }).subarray(0, 70)
  assert.equal((await log.append(torn)).errorCode, ErrorCode.CORRUPT_MESSAGE)
  const tornHeader = Buffer.concat([buildBatch(), buildBatch().subarray(0, 40)])
  assert.equal((await log.append(tornHeader)).errorCode, ErrorCode.CORRUPT_MESSAGE)
  const badMagic = buildBatch()
  badMagic.writeInt8(1, 16)
  assert.equal((await log.append(badMagic)).errorCode, ErrorCode.CORRUPT_MESSAGE)
  assert.equal((await log.append(Buffer.alloc(0))).errorCode, ErrorCode.CORRUPT_MESSAGE)
  assert.equal((await log.append(buildBatch({ values: [2000] }))).errorCode, ErrorCode.RECORD_LIST_TOO_LARGE)
  assert.equal(log.logEndOffset, 0)
  assert.equal((await log.append(buildBatch())).baseOffset, 0)
})

test('a request holding several batches gets consecutive offsets for all of them', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  await log.append(buildBatch({ count: 2 }))
  const r = await log.append(Buffer.concat([buildBatch({ count: 3 }), buildBatch({ count: 4 })]))
  assert.equal(r.baseOffset, 2)
  assert.equal(r.lastOffset, 8)
  assert.deepEqual(parseBatches((await log.read(0, 1 << 20)).records).map(b => b.baseOffset), [0, 2, 5])
})

test('the high watermark listener fires after each completed write', async t => {
  const seen: number[] = []
  const log = await openLog(await tempDir(t), {}, { onHighWatermarkUpdated: l => seen.push(l.highWatermark) })
  closeLater(t, log)
  await log.append(buildBatch({ count: 2 }))
  await log.append(buildBatch({ count: 1 }))
  assert.deepEqual(seen, [2, 3])
})

test('truncateTo drops the batches at and after an offset, across segments, and appends resume there', async t => {
  const log = await openLog(await tempDir(t), { 'segment.bytes': 600 })
  closeLater(t, log)
  for (let i = 0; i < 20; i++) await log.append(buildBatch({ values: [100, 100] }))
  const segsBefore = log.numberOfSegments
  await log.truncateTo(17)
  assert.equal(log.logEndOffset, 16)
  assert.equal(log.highWatermark, 16)
  assert.ok(log.numberOfSegments < segsBefore)
  assert.equal((await log.read(16, 100)).records.length, 0)
  assert.equal((await log.append(buildBatch())).baseOffset, 16)
  const stored = await readAll(log)
  assert.deepEqual(stored.map(b => b.baseOffset), [...Array.from({ length: 8 }, (_, i) => i * 2), 16])
  await log.truncateTo(0)
  assert.equal(log.logEndOffset, 0)
  assert.equal((await log.append(buildBatch())).baseOffset, 0)
})

test('read maxOffset below the HW stops at that batch boundary', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  for (let i = 0; i < 5; i++) await log.append(buildBatch({ count: 2 }))
  const r = await log.read(0, 1 << 20, { maxOffset: 6 })
  assert.deepEqual(parseBatches(r.records).map(b => b.baseOffset), [0, 2, 4])
  assert.equal(r.records.length, parseBatches(r.records).reduce((n, b) => n + b.size, 0))
})

test('offsetForTimestamp finds the exact record inside a compressed batch', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  await log.append(buildBatch({ count: 4, timestamps: [T0, T0 + 10, T0 + 5, T0 + 20], gzip: true }))
  assert.equal((await log.offsetForTimestamp(T0 + 6)).offset, 1)
  assert.equal((await log.offsetForTimestamp(T0 + 11)).offset, 3)
  const max = await log.offsetForTimestamp(ListOffsetsTimestamp.MAX_TIMESTAMP)
  assert.deepEqual([max.offset, max.timestamp], [3, T0 + 20])
})

test('a full index rolls the segment', async t => {
  const log = await openLog(await tempDir(t), { 'segment.index.bytes': 48, 'index.interval.bytes': 0 })
  closeLater(t, log)
  for (let i = 0; i < 12; i++) await log.append(buildBatch({ baseTimestamp: T0 + i }))
  assert.ok(log.numberOfSegments >= 3, `${log.numberOfSegments} segments`)
  assert.deepEqual((await readAll(log)).map(b => b.baseOffset), Array.from({ length: 12 }, (_, i) => i))
})

test('segment files beyond the open-file cap are closed when idle and reopened on demand', async t => {
  const cache = new FileHandleCache(2)
  const log = await openLog(await tempDir(t), { 'segment.bytes': 300 }, { cache })
  closeLater(t, log)
  for (let i = 0; i < 12; i++) await log.append(buildBatch({ values: [150] }))
  assert.ok(log.numberOfSegments >= 10)
  assert.ok(cache.size <= 3, `${cache.size} open`)
  assert.equal((await readAll(log)).length, 12)
  assert.ok(cache.size <= 3, `${cache.size} open`)
})

test('after a full truncation the log restarts at the offset and what is appended then survives a reopen', async t => {
  const dir = await tempDir(t)
  const log = await openLog(dir)
  for (let i = 0; i < 3; i++) await log.append(buildBatch({ count: 2 }))
  await log.truncateTo(0)
  assert.deepEqual([log.logStartOffset, log.highWatermark, log.logEndOffset], [0, 0, 0])
  assert.equal((await log.append(buildBatch({ values: ['after'] }))).baseOffset, 0)
  await log.close()
  const again = await openLog(dir, {}, { hadCleanShutdown: false })
  closeLater(t, again)
  assert.equal(again.logEndOffset, 1)
  const [b] = parseBatches((await again.read(0, 1 << 20)).records)
  assert.equal(b?.baseOffset, 0)
  assert.ok(b?.crcOk)
})

test('after a reopen (no recent-batch cache) reads find their batch through the index, large ones whole', async t => {
  const dir = await tempDir(t)
  const log = await openLog(dir, { 'index.interval.bytes': 64 })
  for (let i = 0; i < 20; i++) await log.append(buildBatch({ values: [i === 10 ? 30_000 : 200] }))
  await log.close()
  const again = await openLog(dir, { 'index.interval.bytes': 64 }, { hadCleanShutdown: true })
  closeLater(t, again)
  for (let o = 0; o < 20; o++) {
    const r = await again.read(o, 10)
    const [b] = parseBatches(r.records)
    assert.equal(b?.baseOffset, o)
    assert.equal(r.records.length, b?.size)
  }
  const cut = await again.read(10, 500, { minOneMessage: false })
  assert.equal(cut.records.length, 500)
})
