import assert from 'node:assert/strict'
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { decodeSnapshot, encodeSnapshot, ProducerStateEntry, CorruptSnapshotError } from '../../../src/log/ProducerStateManager.ts'
import { buildBatch } from './recordBatches.ts'
import { closeLater, openLog, tempDir } from './logTestSupport.ts'

const PID = 4000

function idem (producerEpoch: number, baseSequence: number, count = 1, producerId = PID): Buffer {
  return buildBatch({ count, producerId, producerEpoch, baseSequence, baseTimestamp: Date.now() })
}

test('a retried batch is not appended again and gets its original offsets', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  await log.append(buildBatch({ count: 2 }))
  const first = await log.append(idem(0, 0, 5))
  assert.deepEqual([first.errorCode, first.baseOffset, first.lastOffset, first.duplicate], [0, 2, 6, false])
  const second = await log.append(idem(0, 5, 3))
  assert.equal(second.baseOffset, 7)
  const retry = await log.append(idem(0, 0, 5))
  assert.deepEqual([retry.errorCode, retry.baseOffset, retry.lastOffset, retry.duplicate], [0, 2, 6, true])
  assert.equal(log.logEndOffset, 10)
  const retry2 = await log.append(idem(0, 5, 3))
  assert.deepEqual([retry2.baseOffset, retry2.duplicate], [7, true])
})

test('only the last 5 batches are remembered', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  for (let s = 0; s < 6; s++) await log.append(idem(0, s))
  assert.equal((await log.append(idem(0, 1))).duplicate, true)
  const old = await log.append(idem(0, 0))
  assert.equal(old.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
})

test('gaps and reordering are OUT_OF_ORDER_SEQUENCE_NUMBER; nothing is appended', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  await log.append(idem(0, 0, 2))
  const gap = await log.append(idem(0, 5))
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal(gap.baseOffset, -1)
  assert.notEqual(gap.errorMessage, null)
  assert.equal(log.logEndOffset, 2)
  assert.equal((await log.append(idem(0, 2))).baseOffset, 2)
})

test('an older epoch is INVALID_PRODUCER_EPOCH; a new epoch must start at sequence 0', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  await log.append(idem(3, 0))
  assert.equal((await log.append(idem(2, 1))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  assert.equal((await log.append(idem(4, 7))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await log.append(idem(4, 0))).errorCode, ErrorCode.NONE)
  assert.equal((await log.append(idem(3, 1))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
})

test('an unknown producer may start at any sequence; sequences wrap at 2^31-1', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  assert.equal((await log.append(idem(0, 2147483646, 2))).errorCode, ErrorCode.NONE)
  assert.equal((await log.append(idem(0, 0, 1))).errorCode, ErrorCode.NONE)
  assert.equal((await log.append(idem(0, 1, 1))).errorCode, ErrorCode.NONE)
  const wrapped = buildBatch({ count: 3, producerId: 77, producerEpoch: 0, baseSequence: 2147483646 })
  assert.equal((await log.append(wrapped)).errorCode, ErrorCode.NONE)
  assert.equal((await log.append(idem(0, 1, 1, 77))).errorCode, ErrorCode.NONE)
})

test('pipelined batches (5 in flight) are checked against each other within one write', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  const rs = await Promise.all([0, 1, 2, 3, 4].map(s => log.append(idem(0, s * 2, 2))))
  assert.deepEqual(rs.map(r => [r.errorCode, r.baseOffset]), [[0, 0], [0, 2], [0, 4], [0, 6], [0, 8]])
  const mixed = await Promise.all([log.append(idem(0, 10, 2)), log.append(idem(0, 10, 2)), log.append(idem(0, 13, 1))])
  assert.deepEqual(mixed.map(r => [r.errorCode, r.baseOffset, r.duplicate]), [[0, 10, false], [0, 10, true], [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1, false]])
  assert.equal(log.logEndOffset, 12)
})

test('producer state survives close and reopen (snapshot), and a rebuild from the log without snapshot', async t => {
  const dir = await tempDir(t)
  const log = await openLog(dir, { 'segment.bytes': 400 })
  for (let s = 0; s < 8; s++) await log.append(idem(1, s, 1))
  await log.close()
  const part = join(dir, 'orders-0')
  const snaps = (await readdir(part)).filter(f => f.endsWith('.snapshot'))
  assert.ok(snaps.includes('00000000000000000008.snapshot'), snaps.join())
  assert.ok(snaps.length >= 2, 'a snapshot per roll plus one at close')

  const again = await openLog(dir, { 'segment.bytes': 400 }, { hadCleanShutdown: true })
  const dup = await again.append(idem(1, 7, 1))
  assert.deepEqual([dup.duplicate, dup.baseOffset], [true, 7])
  assert.equal((await again.append(idem(1, 9, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await again.append(idem(0, 8, 1))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  await again.close()

  for (const f of (await readdir(part)).filter(f => f.endsWith('.snapshot'))) await unlink(join(part, f))
  const rebuilt = await openLog(dir, { 'segment.bytes': 400 }, { hadCleanShutdown: false })
  closeLater(t, rebuilt)
  const dup2 = await rebuilt.append(idem(1, 7, 1))
  assert.deepEqual([dup2.duplicate, dup2.baseOffset], [true, 7])
  assert.equal((await rebuilt.append(idem(1, 8, 1))).baseOffset, 8)
})

test('truncation rebuilds producer state to what remains', async t => {
  const log = await openLog(await tempDir(t))
  closeLater(t, log)
  for (let s = 0; s < 4; s++) await log.append(idem(0, s, 1))
  await log.truncateTo(2)
  assert.equal((await log.append(idem(0, 3, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await log.append(idem(0, 2, 1))).baseOffset, 2)
})

test('idle producers expire after producer.id.expiration.ms; then any sequence is accepted', async t => {
  let clock = Date.now()
  const log = await openLog(await tempDir(t), { 'producer.id.expiration.ms': 60_000 }, { now: () => clock })
  closeLater(t, log)
  await log.append(buildBatch({ producerId: PID, producerEpoch: 0, baseSequence: 0, baseTimestamp: clock }))
  assert.equal(log.removeExpiredProducers(clock + 59_000), 0)
  assert.equal((await log.append(idem(0, 9))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  clock += 120_000
  assert.equal(log.removeExpiredProducers(clock), 1)
  assert.equal(log.producerStateManager.producerIdCount, 0)
  assert.equal((await log.append(idem(0, 9))).errorCode, ErrorCode.NONE)
})

test('snapshot encoding round-trips and rejects corruption', () => {
  const e = new ProducerStateEntry(12345678901, 7, [{ firstSeq: 10, lastSeq: 14, firstOffset: 100, lastOffset: 104, timestamp: 1_700_000_000_000 }], 3, -1, 1_700_000_000_000)
  const buf = encodeSnapshot([e], 1)
  assert.equal(buf.length, 10 + 46)
  const [d] = decodeSnapshot(buf)
  assert.ok(d !== undefined)
  assert.equal(d.producerId, 12345678901)
  assert.equal(d.producerEpoch, 7)
  assert.deepEqual(d.batches, e.batches)
  assert.equal(d.coordinatorEpoch, 3)
  const bad = Buffer.from(buf)
  bad[20] = (bad[20] as number) ^ 1
  assert.throws(() => decodeSnapshot(bad), CorruptSnapshotError)
  assert.throws(() => decodeSnapshot(buf.subarray(0, 30)), CorruptSnapshotError)
})
