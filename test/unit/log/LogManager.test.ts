import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { CheckpointFile } from '../../../src/log/CheckpointFile.ts'
import { CLEAN_SHUTDOWN_FILE, LogManager, MetaPropertiesError, parseTopicPartitionName } from '../../../src/log/LogManager.ts'
import { buildBatch, parseBatches } from './recordBatches.ts'
import { closeLater, eventually, recordingLogger, tempDir } from './logTestSupport.ts'

test('open writes meta.properties in every log dir, spreads new logs, and close leaves checkpoints and the clean marker', async t => {
  const a = await tempDir(t)
  const b = await tempDir(t)
  const mgr = await LogManager.open({ config: { 'log.dirs': `${a},${b}`, 'node.id': 3 }, clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' })
  assert.equal(mgr.clusterId, 'AAAAAAAAAAAAAAAAAAAAAA')
  for (const d of [a, b]) {
    const meta = await readFile(join(d, 'meta.properties'), 'utf8')
    assert.match(meta, /^cluster\.id=AAAAAAAAAAAAAAAAAAAAAA$/m)
    assert.match(meta, /^node\.id=3$/m)
    assert.match(meta, /^version=1$/m)
  }
  const logs = await Promise.all([0, 1, 2, 3].map(p => mgr.getOrCreateLog('orders', p)))
  assert.equal(await mgr.getOrCreateLog('orders', 1), logs[1])
  assert.equal(new Set(logs.map(l => mgr.logDirFor(l))).size, 2)
  for (const [i, log] of logs.entries()) for (let n = 0; n <= i; n++) await log.append(buildBatch({ count: 2 }))
  await mgr.close()

  for (const d of [a, b]) {
    await stat(join(d, CLEAN_SHUTDOWN_FILE))
    const rp = await new CheckpointFile(join(d, 'recovery-point-offset-checkpoint')).read()
    const lso = await new CheckpointFile(join(d, 'log-start-offset-checkpoint')).read()
    assert.equal(rp.length, 2)
    assert.equal(lso.length, 2)
    for (const e of rp) assert.equal(e.offset, (e.partition + 1) * 2)
  }

  const again = await LogManager.open({ config: { 'log.dirs': [a, b], 'node.id': 3 } })
  closeLater(t, again)
  assert.equal(again.clusterId, 'AAAAAAAAAAAAAAAAAAAAAA')
  assert.equal([...again.allLogs()].length, 4)
  for (let p = 0; p < 4; p++) {
    const log = again.getLog('orders', p)
    assert.ok(log !== undefined)
    assert.equal(log.logEndOffset, (p + 1) * 2)
    assert.equal(log.recoveryPoint, (p + 1) * 2)
    assert.equal(parseBatches((await log.read(0, 1 << 20)).records).length, p + 1)
  }
  for (const d of [a, b]) await assert.rejects(stat(join(d, CLEAN_SHUTDOWN_FILE)), { code: 'ENOENT' })
})

test('without the clean marker the logs are recovered; with a wrong node.id the dir is refused', async t => {
  const dir = await tempDir(t)
  const mgr = await LogManager.open({ config: { 'log.dirs': dir } })
  const log = await mgr.getOrCreateLog('t', 0)
  for (let i = 0; i < 3; i++) await log.append(buildBatch({ count: 1 }))
  await mgr.checkpointRecoveryPoints()
  await mgr.checkpointLogStartOffsets()
  await log.flush()
  await log.closeHandles()
  const segment = join(dir, 't-0', '00000000000000000000.log')
  const size = (await stat(segment)).size
  await writeFile(segment, Buffer.concat([await readFile(segment), Buffer.alloc(30, 1)]))

  const logger = recordingLogger()
  const again = await LogManager.open({ config: { 'log.dirs': dir }, logger })
  closeLater(t, again)
  assert.equal(again.getLog('t', 0)?.logEndOffset, 3)
  assert.equal((await stat(segment)).size, size)
  assert.ok(logger.lines.some(l => l.level === 'warn' && /truncated/.test(l.msg ?? '')))
  await assert.rejects(LogManager.open({ config: { 'log.dirs': dir, 'node.id': 9 } }), MetaPropertiesError)
})

test('deleteLog renames the partition directory to *-delete and removes it', async t => {
  const dir = await tempDir(t)
  const mgr = await LogManager.open({ config: { 'log.dirs': dir } })
  closeLater(t, mgr)
  const log = await mgr.getOrCreateLog('gone', 0)
  await log.append(buildBatch())
  assert.equal(await mgr.deleteLog('gone', 0), true)
  assert.equal(mgr.getLog('gone', 0), undefined)
  assert.equal(await mgr.deleteLog('gone', 0), false)
  await eventually('the deleted partition directory is removed', async () => !(await readdir(dir)).some(n => n.startsWith('gone-0')))
  const fresh = await mgr.getOrCreateLog('gone', 0)
  assert.equal(fresh.logEndOffset, 0)
})

test('a leftover *-delete directory from before a restart is removed at start-up', async t => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'old-0.0123456789abcdef0123456789abcdef-delete'), { recursive: true })
  await writeFile(join(dir, 'old-0.0123456789abcdef0123456789abcdef-delete', '00000000000000000000.log'), 'x')
  const mgr = await LogManager.open({ config: { 'log.dirs': dir } })
  closeLater(t, mgr)
  assert.equal([...mgr.allLogs()].length, 0)
  await eventually('the -delete directory is removed', async () => !(await readdir(dir)).some(n => n.endsWith('-delete')))
})

test('the retention task runs on its interval and deletes expired segments', async t => {
  const dir = await tempDir(t)
  const mgr = await LogManager.open({
    config: { 'log.dirs': dir, 'log.retention.check.interval.ms': 10 },
    defaultLogConfig: { 'segment.bytes': 300, 'retention.ms': 60_000, 'file.delete.delay.ms': 0 },
  })
  closeLater(t, mgr)
  const log = await mgr.getOrCreateLog('old', 0)
  for (let i = 0; i < 6; i++) await log.append(buildBatch({ values: [150], baseTimestamp: Date.now() - 3_600_000 }))
  await eventually('retention advanced the log start offset', () => log.logStartOffset === 6)
  assert.deepEqual(log.segmentBaseOffsets, [6])
})

test('topic configs apply to new logs and to existing ones when updated', async t => {
  const dir = await tempDir(t)
  const mgr = await LogManager.open({ config: { 'log.dirs': dir }, topicConfig: topic => topic === 'small' ? { 'segment.bytes': 500 } : undefined })
  closeLater(t, mgr)
  const small = await mgr.getOrCreateLog('small', 0)
  const other = await mgr.getOrCreateLog('other', 0, { 'retention.ms': 1000 })
  assert.equal(small.config['segment.bytes'], 500)
  assert.equal(other.config['segment.bytes'], 1073741824)
  assert.equal(other.config['retention.ms'], 1000)
  mgr.updateTopicConfig('small', { 'segment.bytes': 800 })
  assert.equal(small.config['segment.bytes'], 800)
})

test('partition directory names parse as Kafka names them', () => {
  assert.deepEqual(parseTopicPartitionName('orders-0'), ['orders', 0])
  assert.deepEqual(parseTopicPartitionName('my-topic-12'), ['my-topic', 12])
  assert.equal(parseTopicPartitionName('orders'), null)
  assert.equal(parseTopicPartitionName('orders-01'), null)
  assert.equal(parseTopicPartitionName('-3'), null)
  assert.equal(parseTopicPartitionName('bad topic-1'), null)
})
