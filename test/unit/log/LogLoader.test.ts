import assert from 'node:assert/strict'
import { open, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import type { Log } from '../../../src/log/Log.ts'
import { buildBatch, parseBatches } from './recordBatches.ts'
import { closeLater, openLog, recordingLogger, tempDir } from './logTestSupport.ts'

const SEG0 = '00000000000000000000'

async function allBatches (log: Log): Promise<ReturnType<typeof parseBatches>> {
  const out: ReturnType<typeof parseBatches> = []
  let offset = log.logStartOffset
  while (offset < log.highWatermark) {
    const bs = parseBatches((await log.read(offset, 1 << 20)).records)
    for (const b of bs) if (b.lastOffset >= offset) out.push(b)
    offset = (bs.at(-1) as { lastOffset: number }).lastOffset + 1
  }
  return out
}

/** Writes `n` batches of 3 records and closes the log cleanly; returns the partition dir. */
async function writeLog (dir: string, n: number, config = {}): Promise<string> {
  const log = await openLog(dir, config)
  for (let i = 0; i < n; i++) await log.append(buildBatch({ values: [120, 'b' + i, null] }))
  await log.close()
  return join(dir, 'orders-0')
}

test('recovery truncates a torn tail (the .log cut mid-batch) and logs one warning with counts', async t => {
  const dir = await tempDir(t)
  const part = await writeLog(dir, 10)
  const logPath = join(part, SEG0 + '.log')
  const full = (await stat(logPath)).size
  const batchSize = full / 10
  await truncate(logPath, full - Math.floor(batchSize / 2))

  const logger = recordingLogger()
  const log = await openLog(dir, {}, { logger, hadCleanShutdown: false, recoveryPoint: 0 })
  closeLater(t, log)
  assert.equal(log.logEndOffset, 27)
  assert.equal((await stat(logPath)).size, batchSize * 9)
  const warns = logger.lines.filter(l => l.level === 'warn')
  assert.equal(warns.length, 1)
  assert.match(warns[0]?.msg ?? '', /truncated/)
  assert.equal((warns[0]?.obj as { truncatedBytes: number }).truncatedBytes, batchSize - Math.floor(batchSize / 2))
  assert.equal((warns[0]?.obj as { validBatches: number }).validBatches, 9)
  assert.equal((await log.append(buildBatch())).baseOffset, 27)
  assert.equal((await allBatches(log)).length, 10)
})

test('recovery drops a last batch whose CRC-32C does not match', async t => {
  const dir = await tempDir(t)
  const part = await writeLog(dir, 5)
  const logPath = join(part, SEG0 + '.log')
  const size = (await stat(logPath)).size
  const fh = await open(logPath, 'r+')
  await fh.write(Buffer.from([0xff]), 0, 1, size - 5)
  await fh.close()

  const logger = recordingLogger()
  const log = await openLog(dir, {}, { logger })
  closeLater(t, log)
  assert.equal(log.logEndOffset, 12)
  const warn = logger.lines.find(l => l.level === 'warn')
  assert.match(String((warn?.obj as { problem: string }).problem), /CRC/)
  assert.deepEqual((await allBatches(log)).map(b => b.baseOffset), [0, 3, 6, 9])
})

test('a corrupt batch in an earlier segment truncates there and deletes every later segment', async t => {
  const dir = await tempDir(t)
  const part = await writeLog(dir, 12, { 'segment.bytes': 700 })
  const segs = (await readdir(part)).filter(f => f.endsWith('.log')).sort()
  assert.ok(segs.length >= 3)
  const victim = join(part, segs[1] as string)
  const fh = await open(victim, 'r+')
  await fh.write(Buffer.from([0x7f]), 0, 1, 70)
  await fh.close()
  const log = await openLog(dir, { 'segment.bytes': 700 }, { recoveryPoint: 0 })
  closeLater(t, log)
  assert.equal(log.logEndOffset, Number((segs[1] as string).slice(0, 20)))
  assert.equal((await readdir(part)).filter(f => f.endsWith('.log')).length, 2)
})

test('a clean shutdown skips validation (the marker is trusted), an unclean one does not', async t => {
  const dir = await tempDir(t)
  const part = await writeLog(dir, 4)
  const logPath = join(part, SEG0 + '.log')
  const size = (await stat(logPath)).size
  const fh = await open(logPath, 'r+')
  await fh.write(Buffer.from([0xee]), 0, 1, size - 3)
  await fh.close()
  const clean = await openLog(dir, {}, { hadCleanShutdown: true })
  assert.equal(clean.logEndOffset, 12)
  await clean.closeHandles()
  const unclean = await openLog(dir, {}, { hadCleanShutdown: false, recoveryPoint: 12 })
  closeLater(t, unclean)
  assert.equal(unclean.logEndOffset, 9)
})

test('missing or corrupt indexes are rebuilt from the log, with the same entries', async t => {
  const dir = await tempDir(t)
  const config = { 'segment.bytes': 2000, 'index.interval.bytes': 200 }
  const part = await writeLog(dir, 30, config)
  const indexes = (await readdir(part)).filter(f => f.endsWith('.index')).sort()
  assert.ok(indexes.length >= 3)
  const firstIdx = join(part, indexes[0] as string)
  const secondIdx = join(part, indexes[1] as string)
  const original = await readFile(firstIdx)
  const originalTime = await readFile(firstIdx.replace('.index', '.timeindex'))
  assert.ok(original.length > 0)
  await unlink(firstIdx)
  await unlink(firstIdx.replace('.index', '.timeindex'))
  await writeFile(secondIdx, Buffer.from('garbage!!'))

  const logger = recordingLogger()
  const log = await openLog(dir, config, { hadCleanShutdown: true, logger })
  closeLater(t, log)
  const batches = await allBatches(log)
  assert.equal(batches.length, 30)
  for (let o = 0; o < 90; o += 7) assert.equal(parseBatches((await log.read(o, 1)).records)[0]?.baseOffset, o - (o % 3))
  assert.equal(logger.lines.filter(l => l.msg === 'rebuilding segment indexes').length, 2)
  await log.close()
  assert.deepEqual(await readFile(firstIdx), original)
  assert.deepEqual(await readFile(firstIdx.replace('.index', '.timeindex')), originalTime)
  assert.equal((await readFile(secondIdx)).length % 8, 0)
})

test('leftover .deleted, .cleaned, .swap and orphan index files are removed on load', async t => {
  const dir = await tempDir(t)
  const part = await writeLog(dir, 2)
  for (const f of ['00000000000000000099.log.deleted', '00000000000000000099.index.deleted', '00000000000000000000.log.cleaned', '00000000000000000000.log.swap', '00000000000000000500.index', '00000000000000000500.timeindex']) {
    await writeFile(join(part, f), 'x')
  }
  const log = await openLog(dir, {}, { hadCleanShutdown: true })
  closeLater(t, log)
  const files = (await readdir(part)).sort()
  assert.deepEqual(files.filter(f => !f.endsWith('.snapshot')), [SEG0 + '.index', SEG0 + '.log', SEG0 + '.timeindex'])
  assert.equal(log.logEndOffset, 6)
})

test('log start offset comes back from the checkpoint but never below the first segment', async t => {
  const dir = await tempDir(t)
  await writeLog(dir, 5)
  const a = await openLog(dir, {}, { hadCleanShutdown: true, logStartOffset: 7 })
  assert.equal(a.logStartOffset, 7)
  assert.equal((await a.read(6, 100)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  await a.close()
  const b = await openLog(dir, {}, { hadCleanShutdown: true, logStartOffset: 0 })
  closeLater(t, b)
  assert.equal(b.logStartOffset, 0)
})
