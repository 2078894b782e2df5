import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CorruptIndexError } from '../../../src/log/AbstractIndex.ts'
import { TimeIndex } from '../../../src/log/TimeIndex.ts'

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-ti-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('maybeAppend keeps timestamps strictly increasing; lookup finds the floor entry', async t => {
  const dir = await tempDir(t)
  const idx = new TimeIndex(join(dir, 'x.timeindex'), 1000, 1024)
  idx.reset()
  assert.deepEqual(idx.lastEntry(), { timestamp: -1, offset: 1000 })
  assert.equal(idx.maybeAppend(5_000, 1010), true)
  assert.equal(idx.maybeAppend(5_000, 1020), false)
  assert.equal(idx.maybeAppend(4_000, 1030), false)
  assert.equal(idx.maybeAppend(9_000, 1040), true)
  assert.throws(() => idx.maybeAppend(10_000, 1000), assert.AssertionError)
  assert.deepEqual(idx.lookup(4_999), { timestamp: -1, offset: 1000 })
  assert.deepEqual(idx.lookup(5_000), { timestamp: 5_000, offset: 1010 })
  assert.deepEqual(idx.lookup(8_999), { timestamp: 5_000, offset: 1010 })
  assert.deepEqual(idx.lookup(1e15), { timestamp: 9_000, offset: 1040 })
  assert.deepEqual(idx.lastEntry(), { timestamp: 9_000, offset: 1040 })
})

test('one slot is reserved for the final entry of an inactive segment', async t => {
  const dir = await tempDir(t)
  const idx = new TimeIndex(join(dir, 'x.timeindex'), 0, 12 * 3)
  idx.reset()
  assert.equal(idx.maybeAppend(1, 1), true)
  assert.equal(idx.maybeAppend(2, 2), true)
  assert.equal(idx.isFull, true)
  assert.equal(idx.maybeAppend(3, 3), false)
  assert.equal(idx.maybeAppend(3, 3, true), true)
  assert.equal(idx.maybeAppend(4, 4, true), false)
})

test('truncate, write, reload', async t => {
  const dir = await tempDir(t)
  const path = join(dir, 'x.timeindex')
  const idx = new TimeIndex(path, 0, 1 << 20)
  idx.reset()
  for (let i = 1; i <= 100; i++) idx.maybeAppend(1_700_000_000_000 + i, i * 2)
  idx.truncateTo(101)
  assert.equal(idx.entries, 50)
  await idx.write({ close: true })
  assert.equal((await stat(path)).size, 50 * 12)
  const again = new TimeIndex(path, 0, 1 << 20)
  await again.load(0)
  assert.deepEqual(again.lastEntry(), { timestamp: 1_700_000_000_050, offset: 100 })
})

test('sanity check rejects torn and disordered files', async t => {
  const dir = await tempDir(t)
  const path = join(dir, 'bad.timeindex')
  await writeFile(path, Buffer.alloc(20))
  await assert.rejects(new TimeIndex(path, 0, 1024).load(0), CorruptIndexError)
  const b = Buffer.alloc(24)
  b.writeBigInt64BE(10n, 0); b.writeInt32BE(1, 8)
  b.writeBigInt64BE(5n, 12); b.writeInt32BE(2, 20)
  await writeFile(path, b)
  await assert.rejects(new TimeIndex(path, 0, 1024).load(0), CorruptIndexError)
})
