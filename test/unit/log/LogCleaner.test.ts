import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { CompressionType } from '../../../src/protocol/records/compression/CompressionType.ts'
import { Log } from '../../../src/log/Log.ts'
import { Cleaner, LogCleaningAbortedError } from '../../../src/log/LogCleaner.ts'
import { CLEANER_OFFSET_CHECKPOINT_FILE, cleanableOffsets, measure } from '../../../src/log/LogCleanerManager.ts'
import { logConfig } from '../../../src/log/LogConfig.ts'
import { LogManager } from '../../../src/log/LogManager.ts'
import { SkimpyOffsetMap } from '../../../src/log/OffsetMap.ts'
import { nullLogger } from '../../../src/Logger.ts'
import { closeLater, eventually, tempDir } from './logTestSupport.ts'
import {
  appendUpdates, cleanerFor, Clock, kvBatch, latestPerKey, openCompactedLog, readBatches, readRecords, T0, type StoredRecord,
} from './LogCleanerSupport.ts'

const KEYS = ['a', 'b', 'c']

/** The records a full cleaning must leave below `activeBase`: the last one of each key there. */
function expectedClean (before: readonly StoredRecord[], activeBase: number): StoredRecord[] {
  const below = latestPerKey(before.filter(r => r.offset < activeBase))
  return [...below.values()].sort((x, y) => x.offset - y.offset)
}

function segmentFiles (names: readonly string[], suffix: string): string[] {
  return names.filter(n => n.endsWith(suffix)).sort()
}

test('cleaning keeps the last record of each key at its original offset, leaves the active segment alone, and advances the checkpoint', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, {}, clock)
  await appendUpdates(log, KEYS, 30)
  const before = await readRecords(log)
  const active = log.activeSegment
  const activeBase = active.baseOffset
  const activeSize = active.size
  assert.ok(log.numberOfSegments >= 5, `${log.numberOfSegments} segments`)

  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const after = await readRecords(log)
  const cleanPart = after.filter(r => r.offset < activeBase)
  assert.deepEqual(cleanPart, expectedClean(before, activeBase))
  assert.deepEqual(after.filter(r => r.offset >= activeBase), before.filter(r => r.offset >= activeBase))
  assert.equal(log.activeSegment, active)
  assert.equal(active.size, activeSize)
  // every surviving record kept its offset; the latest value of every key is unchanged
  const byOffset = new Map(before.map(r => [r.offset, r]))
  for (const r of after) assert.deepEqual(r, byOffset.get(r.offset))
  assert.deepEqual([...latestPerKey(after)], [...latestPerKey(before)])
  assert.ok(after.length < before.length)
  assert.equal(log.logEndOffset, before.length)

  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 0), activeBase)
  assert.equal(await readFile(join(dir, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8'), `0\n1\norders 0 ${activeBase}\n`)
  assert.equal(await cleaner.cleanFilthiestLog(), false, 'nothing left to clean')

  // the swapped-in segments and their indexes survive a restart; fetches in the middle of gaps work
  await log.close()
  const reopened = await Log.open({ dir: log.dir, topic: 'orders', partition: 0, config: log.config, now: clock.fn })
  closeLater(t, reopened)
  assert.deepEqual(await readRecords(reopened), after)
  const mid = await reopened.read(1, 1 << 20)
  assert.equal(mid.errorCode, ErrorCode.NONE)
  assert.ok(mid.firstBatchBaseOffset > 1, 'offset 1 was cleaned away: the read starts at the next batch')
})

test('a second cleaning merges the small cleaned segments into one and keeps one record per key', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, {}, clock)
  await appendUpdates(log, KEYS, 30)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
  await cleaner.cleanFilthiestLog()
  // full segments are cleaned one by one: the first cleaning leaves small (mostly empty) ones
  const cleanBases = log.logSegments(0, log.activeSegment.baseOffset).map(s => s.baseOffset)
  assert.ok(cleanBases.length >= 5)
  await appendUpdates(log, KEYS, 30)
  const before = await readRecords(log)
  const segmentsBefore = log.numberOfSegments
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  assert.ok(log.numberOfSegments < segmentsBefore)
  for (const base of cleanBases.slice(1)) assert.ok(!log.segmentBaseOffsets.includes(base), `segment ${base} merged into segment 0`)
  const activeBase = log.activeSegment.baseOffset
  assert.deepEqual((await readRecords(log)).filter(r => r.offset < activeBase), expectedClean(before, activeBase))
})

test('tombstones: kept with a delete horizon at the first cleaning, removed by a cleaning after delete.retention.ms', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, { 'delete.retention.ms': 1000 }, clock)
  await log.append(kvBatch([['gone', 'v1'], ['kept', 'k1']]))
  await log.append(kvBatch([['gone', null]], { timestamp: T0 + 5 }))
  await appendUpdates(log, ['filler'], 30)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)

  assert.equal(await cleaner.cleanFilthiestLog(), true)
  let batches = await readBatches(log)
  const tombstoneBatch = batches.find(b => b.records.some(r => r.key?.toString() === 'gone'))
  assert.ok(tombstoneBatch !== undefined, 'the tombstone survives the first cleaning')
  assert.deepEqual(tombstoneBatch.records.map(r => [r.key?.toString(), r.value, Number(r.offset), Number(r.timestamp)]), [['gone', null, 2, T0 + 5]])
  assert.equal(tombstoneBatch.hasDeleteHorizon, true)
  assert.equal(tombstoneBatch.baseTimestamp, BigInt(T0 + 1000), 'horizon = cleaning time + delete.retention.ms')
  assert.equal(tombstoneBatch.maxTimestamp, BigInt(T0 + 5))
  assert.deepEqual((await readRecords(log)).filter(r => r.key !== 'filler').map(r => [r.key, r.value]), [['kept', 'k1'], ['gone', null]])

  // before the horizon: a cleaning keeps it (and its horizon)
  clock.now = T0 + 999
  await appendUpdates(log, ['filler'], 20, clock.now)
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  batches = await readBatches(log)
  assert.equal(batches.find(b => b.records.some(r => r.key?.toString() === 'gone'))?.baseTimestamp, BigInt(T0 + 1000))

  // past the horizon: gone; the other key stays
  clock.now = T0 + 1000
  await appendUpdates(log, ['filler'], 20, clock.now)
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const left = await readRecords(log)
  assert.deepEqual(left.filter(r => r.key !== 'filler').map(r => [r.key, r.value, r.offset]), [['kept', 'k1', 1]])
})

test('min.compaction.lag.ms: segments younger than the lag stay dirty until they are old enough', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, { 'min.compaction.lag.ms': 10_000 }, clock)
  await appendUpdates(log, KEYS, 20, T0 - 20_000)
  const firstYoung = log.logEndOffset
  await appendUpdates(log, KEYS, 20, T0)
  const before = await readRecords(log)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)

  const offsets = await cleanableOffsets(log, undefined, clock.now)
  const youngSegment = log.logSegments(firstYoung, firstYoung + 1)[0]
  assert.ok(youngSegment !== undefined)
  assert.equal(offsets.firstUncleanableDirtyOffset, youngSegment.baseOffset)

  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const bound = youngSegment.baseOffset
  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 0), bound)
  const after = await readRecords(log)
  assert.deepEqual(after.filter(r => r.offset >= bound), before.filter(r => r.offset >= bound), 'young records untouched')
  assert.deepEqual(after.filter(r => r.offset < bound), expectedClean(before, bound))

  clock.now = T0 + 10_001
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const activeBase = log.activeSegment.baseOffset
  assert.deepEqual((await readRecords(log)).filter(r => r.offset < activeBase), expectedClean(before, activeBase))
})

for (const [name, codec] of [['gzip', CompressionType.GZIP], ['snappy', CompressionType.SNAPPY], ['lz4', CompressionType.LZ4], ['zstd', CompressionType.ZSTD]] as const) {
  test(`${name} batches are decompressed, filtered and recompressed with ${name}`, async t => {
    const clock = new Clock()
    const dir = await tempDir(t)
    const { log } = await openCompactedLog(t, dir, { 'segment.bytes': 2048 }, clock)
    // each batch: two shared keys and one key of its own, so most batches keep some records
    for (let i = 0; i < 60; i++) {
      await log.append(kvBatch([[KEYS[i % 3] as string, `s${i}`], [KEYS[(i + 1) % 3] as string, `t${i}`], [`own${i}`, `o${i}`]], { compression: codec }))
    }
    const before = await readRecords(log)
    const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
    assert.equal(await cleaner.cleanFilthiestLog(), true)
    const activeBase = log.activeSegment.baseOffset
    const after = await readRecords(log)
    assert.deepEqual(after.filter(r => r.offset < activeBase), expectedClean(before, activeBase))
    const cleanedBatches = (await readBatches(log)).filter(b => Number(b.baseOffset) < activeBase)
    assert.ok(cleanedBatches.some(b => b.records.length > 0 && b.records.length < 3), 'some batches were rebuilt with fewer records')
    for (const b of cleanedBatches) {
      if (b.records.length > 0) assert.equal(b.compression, codec)
      assert.equal(Number(b.lastOffset) - Number(b.baseOffset), 2, 'lastOffsetDelta kept')
    }
  })
}

test('the last batch of an active producer stays (empty) so its sequence survives; its earlier batches go', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log, partDir } = await openCompactedLog(t, dir, {}, clock)
  const pid = 7
  for (let seq = 0; seq < 3; seq++) {
    const r = await log.append(kvBatch([['p', `idempotent${seq}`]], { producerId: pid, producerEpoch: 0, baseSequence: seq }))
    assert.equal(r.errorCode, ErrorCode.NONE)
  }
  const lastBatchOffset = 2
  await appendUpdates(log, ['p', 'q'], 20)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
  assert.equal(await cleaner.cleanFilthiestLog(), true)

  const producerBatches = (await readBatches(log)).filter(b => b.producerId === BigInt(pid))
  assert.equal(producerBatches.length, 1)
  const kept = producerBatches[0]
  assert.ok(kept !== undefined)
  assert.deepEqual([Number(kept.baseOffset), Number(kept.lastOffset), kept.baseSequence, kept.producerEpoch, kept.recordsCount, kept.records.length],
    [lastBatchOffset, lastBatchOffset, 2, 0, 0, 0])
  assert.equal(cleaner.lastStats?.emptyBatchesRetained, 1)

  // the producer state rebuilt from the cleaned log alone (no snapshot) still knows sequence 2
  await log.close()
  for (const f of await readdir(partDir)) if (f.endsWith('.snapshot')) await unlink(join(partDir, f))
  const reopened = await Log.open({ dir: partDir, topic: 'orders', partition: 0, config: log.config, now: clock.fn })
  closeLater(t, reopened)
  const gap = await reopened.append(kvBatch([['p', 'x']], { producerId: pid, producerEpoch: 0, baseSequence: 5 }))
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  const next = await reopened.append(kvBatch([['p', 'y']], { producerId: pid, producerEpoch: 0, baseSequence: 3 }))
  assert.equal(next.errorCode, ErrorCode.NONE)
})

test('transactional batches and control batches are kept as they are, and their keys do not clean older records', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, {}, clock)
  await log.append(kvBatch([['t', 'plain']]))
  await log.append(kvBatch([['t', 'in-txn'], ['t', 'in-txn-2']], { producerId: 9, producerEpoch: 0, baseSequence: 0, transactional: true }))
  await appendUpdates(log, ['f'], 30)
  const before = await readRecords(log)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const after = await readRecords(log)
  assert.deepEqual(after.filter(r => r.key === 't'), before.filter(r => r.key === 't'))
  assert.ok(after.filter(r => r.key === 'f').length < before.filter(r => r.key === 'f').length)
})

test('dirty ratio: the dirtiest log is cleaned first; a log under min.cleanable.dirty.ratio waits unless max.compaction.lag.ms is exceeded', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log: a } = await openCompactedLog(t, dir, {}, clock)
  await mkdir(join(dir, 'orders-1'))
  const b = await Log.open({ dir: join(dir, 'orders-1'), topic: 'orders', partition: 1, config: logConfig({ 'cleanup.policy': 'compact', 'segment.bytes': 1024 }), now: clock.fn })
  closeLater(t, b)
  const cleaner = await cleanerFor(t, [{ log: a, logDir: dir }, { log: b, logDir: dir }], clock)

  // a: a large clean section of distinct keys, then a little dirt
  for (let i = 0; i < 60; i++) await a.append(kvBatch([[`u${i}`, 'x']]))
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const aCheckpoint = cleaner.manager.cleanerCheckpoint(dir, 'orders', 0)
  await appendUpdates(a, ['d'], 15)
  await a.append(kvBatch([['d', 'last']]))
  a.updateConfig(logConfig({ ...a.config, 'min.cleanable.dirty.ratio': 0.5 }))
  // b: everything dirty
  await appendUpdates(b, KEYS, 30)

  const ratioA = measure(a, dir, aCheckpoint ?? 0, a.activeSegment.baseOffset, false).cleanableRatio
  const ratioB = measure(b, dir, 0, b.activeSegment.baseOffset, false).cleanableRatio
  assert.ok(ratioA > 0 && ratioA < 0.5, `ratio of a ${ratioA}`)
  assert.equal(ratioB, 1)

  assert.equal(await cleaner.cleanFilthiestLog(), true)
  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 1), b.activeSegment.baseOffset, 'b, the dirtiest, went first')
  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 0), aCheckpoint)
  assert.equal(await cleaner.cleanFilthiestLog(), false, 'a stays under its ratio')

  a.updateConfig(logConfig({ ...a.config, 'max.compaction.lag.ms': 60_000 }))
  assert.equal(await cleaner.cleanFilthiestLog(), false, 'not overdue yet')
  clock.now = T0 + 60_001
  assert.equal(await cleaner.cleanFilthiestLog(), true, 'overdue: cleaned whatever the ratio')
  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 0), a.activeSegment.baseOffset)
})

test('a dedupe buffer too small for the dirty section cleans in several rounds, each up to where the map got', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, { 'segment.bytes': 4096 }, clock)
  for (let round = 0; round < 2; round++) for (let i = 0; i < 100; i++) await log.append(kvBatch([[`k${i}`, `v${round}`]]))
  await appendUpdates(log, ['z'], 60)
  const before = await readRecords(log)
  // 47 slots (the largest prime <= 50): at most 42 keys per round
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock, { 'log.cleaner.dedupe.buffer.size': 24 * 50 })
  assert.equal(cleaner.cleaner.offsetMap.maxDesiredSize, 42)

  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const first = cleaner.manager.cleanerCheckpoint(dir, 'orders', 0) ?? -1
  assert.ok(first > 0 && first < log.activeSegment.baseOffset, `first round stopped at ${first}`)
  let rounds = 1
  while (await cleaner.cleanFilthiestLog()) {
    rounds++
    assert.ok(rounds < 20, 'cleaning converges')
  }
  assert.ok(rounds >= 3, `${rounds} rounds`)
  const activeBase = log.activeSegment.baseOffset
  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 0), activeBase)
  assert.deepEqual((await readRecords(log)).filter(r => r.offset < activeBase), expectedClean(before, activeBase))
})

test('a cleaning stopped at any slice leaves no .cleaned file and a log with the same latest values', async t => {
  const run = async (stopAt: number): Promise<number> => {
    const clock = new Clock()
    const dir = await tempDir(t)
    const { log, partDir } = await openCompactedLog(t, dir, {}, clock)
    await appendUpdates(log, KEYS, 30)
    const before = await readRecords(log)
    let calls = 0
    const cleaner = new Cleaner({
      offsetMap: new SkimpyOffsetMap(1 << 20),
      ioBufferSize: 1024,
      logger: nullLogger,
      checkDone: () => { if (++calls === stopAt) throw new LogCleaningAbortedError('test stop') },
    })
    const offsets = await cleanableOffsets(log, undefined, clock.now)
    const ltc = measure(log, dir, offsets.firstDirtyOffset, offsets.firstUncleanableDirtyOffset, false)
    const cleaning = cleaner.clean(ltc, clock.now)
    if (stopAt > 0) await assert.rejects(cleaning, LogCleaningAbortedError)
    else await cleaning
    const files = await readdir(partDir)
    assert.deepEqual(files.filter(f => f.endsWith('.cleaned') || f.endsWith('.swap')), [], `stop at ${stopAt}`)
    const after = await readRecords(log)
    assert.deepEqual([...latestPerKey(after)], [...latestPerKey(before)], `stop at ${stopAt}`)
    const byOffset = new Map(before.map(r => [r.offset, r]))
    for (const r of after) assert.deepEqual(r, byOffset.get(r.offset))
    return calls
  }
  // a run that is not stopped counts the slices (and abort checks before each swap)
  const total = await run(0)
  assert.ok(total >= 10, `${total} checks`)
  const stops = new Set([1, 2, 3, Math.floor(total / 3), Math.floor(total / 2), Math.floor(2 * total / 3), total - 1, total])
  for (const stopAt of stops) await run(stopAt)
})

test('shutdown abandons a cleaning in progress: no checkpoint, no .cleaned files, the log unchanged', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log, partDir } = await openCompactedLog(t, dir, {}, clock)
  await appendUpdates(log, KEYS, 30)
  const before = await readRecords(log)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
  const pass = cleaner.cleanFilthiestLog()
  await cleaner.shutdown()
  assert.equal(await pass, false)
  assert.deepEqual(await readRecords(log), before)
  const files = await readdir(partDir)
  assert.deepEqual(files.filter(f => f.endsWith('.cleaned') || f.endsWith('.swap')), [])
  assert.equal(cleaner.manager.cleanerCheckpoint(dir, 'orders', 0), undefined)
  assert.equal((await readdir(dir)).includes(CLEANER_OFFSET_CHECKPOINT_FILE), false)
})

test('reads and appends carry on while a log is cleaned; a read inside a replaced segment finishes on its old files', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, {}, clock)
  await appendUpdates(log, KEYS, 30)
  const before = await readRecords(log)
  const oldFirst = log.logSegments(0, 1)[0]
  assert.ok(oldFirst !== undefined)
  const oldBytes = await oldFirst.log.read(0, oldFirst.size)
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)

  let cleaning = true
  const pass = cleaner.cleanFilthiestLog().finally(() => { cleaning = false })
  const appended: number[] = []
  const reads: number[] = []
  const appender = (async () => {
    for (let i = 0; cleaning || i < 5; i++) {
      const r = await log.append(kvBatch([['live', `l${i}`]]))
      assert.equal(r.errorCode, ErrorCode.NONE)
      appended.push(r.baseOffset)
    }
  })()
  const reader = (async () => {
    while (cleaning) {
      const r = await log.read(0, 1 << 20)
      assert.equal(r.errorCode, ErrorCode.NONE)
      reads.push(r.records.length)
    }
  })()
  assert.equal(await pass, true)
  await Promise.all([appender, reader])
  assert.ok(reads.length > 0)
  assert.deepEqual(appended, appended.map((_, i) => before.length + i), 'appends got consecutive offsets')
  // the replaced segment's files still serve a read that had started on them
  assert.deepEqual(await oldFirst.log.read(0, oldFirst.size), oldBytes)
  assert.match(oldFirst.log.path, /\.log\.deleted$/)
  const after = await readRecords(log)
  assert.equal(latestPerKey(after).get('live')?.value, `l${appended.length - 1}`)
  for (const k of KEYS) assert.deepEqual(latestPerKey(after).get(k), latestPerKey(before).get(k))
})

test('LogManager runs the cleaner in the background for compacted logs, and log.cleaner.enable=false turns it off', async t => {
  const dir = await tempDir(t)
  const off = await LogManager.open({ config: { 'log.dirs': dir, 'log.cleaner.enable': false } })
  assert.equal(off.cleaner, null)
  await off.close()

  const mgr = await LogManager.open({ config: { 'log.dirs': dir, 'log.cleaner.backoff.ms': 5 } })
  closeLater(t, mgr)
  assert.ok(mgr.cleaner !== null)
  const log = await mgr.getOrCreateLog('compacted', 0, { 'cleanup.policy': 'compact', 'segment.bytes': 1024, 'min.cleanable.dirty.ratio': 0.1 })
  const plain = await mgr.getOrCreateLog('plain', 0, { 'segment.bytes': 1024 })
  await appendUpdates(log, KEYS, 30)
  await appendUpdates(plain, KEYS, 30)
  const activeBase = log.activeSegment.baseOffset
  await eventually('the compacted log is cleaned up to its active segment', () => mgr.cleaner?.manager.cleanerCheckpoint(dir, 'compacted', 0) === activeBase)
  const records = await readRecords(log)
  assert.equal(records.filter(r => r.offset < activeBase).length, KEYS.length)
  assert.equal((await readRecords(plain)).length, 90, 'a delete-policy log is never compacted')

  await mgr.deleteLog('compacted', 0)
  assert.equal(mgr.cleaner?.manager.cleanerCheckpoint(dir, 'compacted', 0), undefined)
  assert.equal(await readFile(join(dir, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8'), '0\n0\n')
})

test('an invalid checkpoint (past the log end, or below the log start) is reset to the log start offset', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log } = await openCompactedLog(t, dir, {}, clock)
  await appendUpdates(log, KEYS, 10)
  const past = await cleanableOffsets(log, 1_000_000, clock.now)
  assert.deepEqual([past.firstDirtyOffset, past.forceUpdateCheckpoint], [0, true])
  await log.deleteRecordsBefore(5)
  const below = await cleanableOffsets(log, 2, clock.now)
  assert.deepEqual([below.firstDirtyOffset, below.forceUpdateCheckpoint], [5, true])
  const fine = await cleanableOffsets(log, 7, clock.now)
  assert.deepEqual([fine.firstDirtyOffset, fine.forceUpdateCheckpoint, fine.firstUncleanableDirtyOffset], [7, false, log.activeSegment.baseOffset])
})

test('segment files after cleaning: one .log per segment, the replaced ones renamed .deleted until the delete delay', async t => {
  const clock = new Clock()
  const dir = await tempDir(t)
  const { log, partDir } = await openCompactedLog(t, dir, { 'file.delete.delay.ms': 60_000 }, clock)
  await appendUpdates(log, KEYS, 30)
  const bases = log.segmentBaseOffsets
  const cleaner = await cleanerFor(t, [{ log, logDir: dir }], clock)
  await cleaner.cleanFilthiestLog()
  const names = await readdir(partDir)
  assert.deepEqual(segmentFiles(names, '.log').map(n => Number(n.slice(0, 20))), log.segmentBaseOffsets)
  // a cleaned segment carries the modification time of the segment it replaced (retention by time)
  for (const s of log.logSegments(0, log.activeSegment.baseOffset)) {
    assert.equal(s.lastModifiedMs, T0)
    const { mtimeMs } = await stat(s.log.path)
    assert.ok(Math.abs(mtimeMs - T0) < 1000, `${s.log.path} mtime ${mtimeMs}`)
  }
  assert.deepEqual(segmentFiles(names, '.log.deleted').map(n => Number(n.slice(0, 20))), bases.slice(0, -1))
  await log.close()
  assert.deepEqual(segmentFiles(await readdir(partDir), '.deleted'), [], 'close deletes them at once')
})
