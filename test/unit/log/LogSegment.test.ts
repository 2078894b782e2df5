import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nullLogger } from '../../../src/Logger.ts'
import { logConfig } from '../../../src/log/LogConfig.ts'
import { AppendedBatches, LogSegment } from '../../../src/log/LogSegment.ts'
import { buildBatch, parseBatches } from './recordBatches.ts'
import { closeLater, tempDir } from './logTestSupport.ts'

const T0 = 1_700_000_000_000

/** Stamps offsets into `batches` from `base` and appends them as one write. */
async function appendAt (seg: LogSegment, base: number, batches: Buffer[]): Promise<number> {
  const meta = new AppendedBatches()
  let offset = base
  for (const b of batches) {
    b.writeBigInt64BE(BigInt(offset), 0)
    const last = offset + b.readInt32BE(23)
    meta.add(offset, last, Number(b.readBigInt64BE(35)), b.length)
    offset = last + 1
  }
  await seg.append(batches, batches.reduce((n, b) => n + b.length, 0), meta, Date.now())
  return offset
}

test('append then read by offset: translate via the index and a header scan, maxPosition and minOneMessage', async t => {
  const dir = await tempDir(t)
  const seg = await LogSegment.create({ dir, baseOffset: 1000, config: logConfig({ 'index.interval.bytes': 300 }), now: Date.now, logger: nullLogger })
  closeLater(t, seg)
  await seg.becomeActive()
  let next = 1000
  for (let i = 0; i < 30; i++) next = await appendAt(seg, next, [buildBatch({ values: [100, 100], baseTimestamp: T0 + i * 10 })])
  assert.equal(next, 1060)
  assert.ok(seg.offsetIndex.entries > 5)
  const size = (parseBatches((await seg.read(1000, 1, seg.size, true))?.records ?? Buffer.alloc(0))[0] as { size: number }).size
  assert.equal(seg.size, size * 30)
  for (const o of [1000, 1001, 1017, 1030, 1059]) {
    const r = await seg.read(o, 1, seg.size, true)
    assert.ok(r !== null)
    assert.equal(r.firstBatchBaseOffset, o - (o % 2))
    assert.equal(r.records.length, size)
  }
  assert.equal(await seg.read(1060, 100, seg.size, true), null)
  const capped = await seg.read(1000, 1 << 20, size * 3, true)
  assert.equal(capped?.records.length, size * 3)
  const none = await seg.read(1010, 1 << 20, size * 5, true)
  assert.equal(none?.records.length, 0)
  const loc = await seg.translateOffset(1031)
  assert.deepEqual(loc, { baseOffset: 1030, lastOffset: 1031, position: size * 15, size })
  assert.equal(seg.maxTimestampSoFar, T0 + 290 + 1)
  const byTime = await seg.findOffsetByTimestamp(T0 + 101, 1000, seg.size)
  assert.deepEqual(byTime, { timestamp: T0 + 101, offset: 1021, leaderEpoch: -1 })
})

test('truncateTo removes the batch holding the offset and everything after, keeping indexes consistent', async t => {
  const dir = await tempDir(t)
  const seg = await LogSegment.create({ dir, baseOffset: 0, config: logConfig({ 'index.interval.bytes': 200 }), now: Date.now, logger: nullLogger })
  closeLater(t, seg)
  await seg.becomeActive()
  let next = 0
  for (let i = 0; i < 20; i++) next = await appendAt(seg, next, [buildBatch({ count: 3, values: [80, 80, 80], baseTimestamp: T0 + i })])
  const before = seg.size
  const removed = await seg.truncateTo(31)
  assert.equal(await seg.readNextOffset(), 30)
  assert.equal(seg.size, before - removed)
  assert.ok(seg.offsetIndex.lastOffset < 30)
  assert.ok(seg.timeIndex.lastEntry().offset < 30)
  assert.equal(seg.maxTimestampSoFar, T0 + 9 + 2)
  assert.equal(await appendAt(seg, 30, [buildBatch({ count: 1 })]), 31)
  assert.equal((await seg.read(30, 1, seg.size, true))?.firstBatchBaseOffset, 30)
})

test('recover() rebuilds the same indexes the appends produced', async t => {
  const dir = await tempDir(t)
  const config = logConfig({ 'index.interval.bytes': 150 })
  const seg = await LogSegment.create({ dir, baseOffset: 0, config, now: Date.now, logger: nullLogger })
  await seg.becomeActive()
  let next = 0
  for (let i = 0; i < 25; i++) next = await appendAt(seg, next, [buildBatch({ values: [40 + i * 3], baseTimestamp: T0 + (i % 7) * 100 })])
  const entries = Array.from({ length: seg.offsetIndex.entries }, (_, i) => seg.offsetIndex.entry(i))
  const times = Array.from({ length: seg.timeIndex.entries }, (_, i) => seg.timeIndex.entry(i))
  await seg.close()
  const again = await LogSegment.open({ dir, baseOffset: 0, config, now: Date.now, logger: nullLogger })
  closeLater(t, again)
  const r = await again.recover()
  assert.deepEqual([r.batches, r.truncatedBytes, r.nextOffset], [25, 0, 25])
  assert.deepEqual(Array.from({ length: again.offsetIndex.entries }, (_, i) => again.offsetIndex.entry(i)), entries)
  assert.deepEqual(Array.from({ length: again.timeIndex.entries }, (_, i) => again.timeIndex.entry(i)), times)
})
