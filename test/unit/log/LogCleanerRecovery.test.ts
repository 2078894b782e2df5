// Crash safety of the cleaner's swap: the files a crash can leave (.cleaned, .swap, old segments
// half renamed .deleted) give a consistent log at the next start. Two identical logs are built; one
// is cleaned, and its cleaned segments, laid down as `.swap` in the other's directory, stand for a
// crash in the middle of Log.replaceSegments.

import assert from 'node:assert/strict'
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { Log } from '../../../src/log/Log.ts'
import { filenamePrefixFromOffset } from '../../../src/log/LogSegment.ts'
import { closeLater, recordingLogger, tempDir, type TestContext } from './logTestSupport.ts'
import { appendUpdates, cleanerFor, Clock, latestPerKey, openCompactedLog, readRecords, type StoredRecord } from './LogCleanerSupport.ts'

const KEYS = ['a', 'b', 'c']

interface Pair {
  clock: Clock
  /** The cleaned log's records, and the bytes of its cleaned segments below the active one, concatenated. */
  cleanedRecords: StoredRecord[]
  cleanedBytes: Buffer
  activeBase: number
  /** The uncleaned twin (closed), its records, and its partition directory. */
  originalRecords: StoredRecord[]
  partDir: string
  config: Log['config']
}

async function pair (t: TestContext): Promise<Pair> {
  const clock = new Clock()
  const dirA = await tempDir(t)
  const dirB = await tempDir(t)
  const a = await openCompactedLog(t, dirA, {}, clock)
  const b = await openCompactedLog(t, dirB, {}, clock)
  await appendUpdates(a.log, KEYS, 30)
  await appendUpdates(b.log, KEYS, 30)
  const originalRecords = await readRecords(b.log)
  await b.log.close()
  const cleaner = await cleanerFor(t, [{ log: a.log, logDir: dirA }], clock)
  assert.equal(await cleaner.cleanFilthiestLog(), true)
  const activeBase = a.log.activeSegment.baseOffset
  const parts: Buffer[] = []
  for (const s of a.log.logSegments(0, activeBase)) parts.push(await s.log.read(0, s.size))
  return {
    clock,
    cleanedRecords: await readRecords(a.log),
    cleanedBytes: Buffer.concat(parts),
    activeBase,
    originalRecords,
    partDir: b.partDir,
    config: b.log.config,
  }
}

/** Opens the twin after a crash; `recoveryPoint` as checkpointed (default 0: everything is recovered). */
async function reopen (t: TestContext, p: Pair, logger = recordingLogger(), recoveryPoint = 0): Promise<Log> {
  const log = await Log.open({ dir: p.partDir, topic: 'orders', partition: 0, config: p.config, now: p.clock.fn, logger, recoveryPoint })
  closeLater(t, log)
  return log
}

const SEG0 = filenamePrefixFromOffset(0)

test('a .swap written before the crash (old segments still there) is swapped in at start-up', async t => {
  const p = await pair(t)
  await writeFile(join(p.partDir, `${SEG0}.log.swap`), p.cleanedBytes)
  const logger = recordingLogger()
  // recovery point at the end: the swapped-in segment is not re-validated, its indexes load lazily
  const log = await reopen(t, p, logger, p.originalRecords.length)
  assert.deepEqual(await readRecords(log), p.cleanedRecords)
  assert.deepEqual(log.segmentBaseOffsets, [0, p.activeBase])
  const names = await readdir(p.partDir)
  assert.deepEqual(names.filter(n => n.includes('.swap') || n.includes('.cleaned') || n.includes('.deleted')), [])
  assert.ok(logger.lines.some(l => l.msg === 'completed an interrupted compaction swap'))
  // the recovered segment's indexes were rebuilt from its .log
  await log.close()
  const again = await reopen(t, p)
  assert.deepEqual(await readRecords(again), p.cleanedRecords)
  assert.ok((await stat(join(p.partDir, `${SEG0}.index`))).isFile())
})

test('a .swap with some old segments already renamed .deleted is swapped in at start-up', async t => {
  const p = await pair(t)
  await writeFile(join(p.partDir, `${SEG0}.log.swap`), p.cleanedBytes)
  await writeFile(join(p.partDir, `${SEG0}.index.swap`), Buffer.alloc(8, 0xff))
  const olds = (await readdir(p.partDir)).filter(n => /^\d{20}\.(log|index|timeindex)$/.test(n) && Number(n.slice(0, 20)) < p.activeBase).sort()
  for (const n of olds.slice(0, Math.ceil(olds.length / 2))) await rename(join(p.partDir, n), join(p.partDir, n + '.deleted'))
  const log = await reopen(t, p)
  assert.deepEqual(await readRecords(log), p.cleanedRecords)
  assert.deepEqual(log.segmentBaseOffsets, [0, p.activeBase])
})

test('a .swap from an unfinished rename (a .cleaned file at its base) is discarded with the .cleaned files', async t => {
  const p = await pair(t)
  await writeFile(join(p.partDir, `${SEG0}.log.swap`), p.cleanedBytes)
  await writeFile(join(p.partDir, `${SEG0}.index.cleaned`), Buffer.alloc(0))
  await writeFile(join(p.partDir, `${SEG0}.timeindex.cleaned`), Buffer.alloc(0))
  const log = await reopen(t, p)
  assert.deepEqual(await readRecords(log), p.originalRecords)
  assert.deepEqual((await readdir(p.partDir)).filter(n => n.includes('.swap') || n.includes('.cleaned')), [])
})

test('a .swap that does not validate (cut inside a batch) is discarded', async t => {
  const p = await pair(t)
  await writeFile(join(p.partDir, `${SEG0}.log.swap`), p.cleanedBytes.subarray(0, p.cleanedBytes.length - 3))
  const logger = recordingLogger()
  const log = await reopen(t, p, logger)
  assert.deepEqual(await readRecords(log), p.originalRecords)
  assert.ok(logger.lines.some(l => l.level === 'warn' && l.msg === 'discarding a swap file that does not validate'))
})

test('leftover .cleaned files (a crash before the swap) are deleted and the log is unchanged', async t => {
  const p = await pair(t)
  for (const suffix of ['.log.cleaned', '.index.cleaned', '.timeindex.cleaned']) await writeFile(join(p.partDir, SEG0 + suffix), p.cleanedBytes)
  const log = await reopen(t, p)
  assert.deepEqual(await readRecords(log), p.originalRecords)
  assert.deepEqual((await readdir(p.partDir)).filter(n => n.includes('.cleaned')), [])
  assert.deepEqual([...latestPerKey(await readRecords(log))], [...latestPerKey(p.cleanedRecords)])
})

test('an empty .swap (a group the cleaner emptied) replaces the segment of its name, stale indexes included', async t => {
  const p = await pair(t)
  const bases = (await readdir(p.partDir)).filter(n => n.endsWith('.log')).map(n => Number(n.slice(0, 20))).sort((x, y) => x - y)
  const second = bases[1] as number
  const third = bases[2] as number
  const name = filenamePrefixFromOffset(second)
  const staleTimeIndex = await readFile(join(p.partDir, `${name}.timeindex`))
  assert.ok(staleTimeIndex.length > 0, 'the rolled segment has a time index entry')
  await writeFile(join(p.partDir, `${name}.log.swap`), Buffer.alloc(0))
  // the recovery point is past the swapped segment: recovery does not rebuild its indexes
  const log = await reopen(t, p, recordingLogger(), p.originalRecords.length)
  assert.deepEqual(await readRecords(log), p.originalRecords.filter(r => r.offset < second || r.offset >= third))
  assert.equal((await stat(join(p.partDir, `${name}.log`))).size, 0)
  const seg = log.logSegments(second, second + 1)[0]
  assert.ok(seg !== undefined && seg.baseOffset === second)
  await seg.ensureIndexes()
  assert.equal(seg.timeIndex.entries, 0, 'the old segment\'s time index is gone')
  assert.equal(seg.maxTimestampSoFar, -1)
})
