import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CorruptIndexError } from '../../../src/log/AbstractIndex.ts'
import { OffsetIndex } from '../../../src/log/OffsetIndex.ts'

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-oi-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('lookup returns the largest entry <= target, or (base, 0)', async t => {
  const dir = await tempDir(t)
  const idx = new OffsetIndex(join(dir, 'x.index'), 100, 1024)
  idx.reset()
  assert.deepEqual(idx.lookup(150), { offset: 100, position: 0 })
  for (let i = 1; i <= 10; i++) assert.equal(idx.append(100 + i * 10, i * 1000), true)
  assert.deepEqual(idx.lookup(99), { offset: 100, position: 0 })
  assert.deepEqual(idx.lookup(105), { offset: 100, position: 0 })
  assert.deepEqual(idx.lookup(110), { offset: 110, position: 1000 })
  assert.deepEqual(idx.lookup(155), { offset: 150, position: 5000 })
  assert.deepEqual(idx.lookup(10_000), { offset: 200, position: 10000 })
  assert.equal(idx.lastOffset, 200)
})

test('append refuses non-increasing offsets (a bug) and reports a full index', async t => {
  const dir = await tempDir(t)
  const idx = new OffsetIndex(join(dir, 'x.index'), 0, 8 * 3)
  idx.reset()
  assert.equal(idx.append(1, 10), true)
  assert.throws(() => idx.append(1, 20), assert.AssertionError)
  assert.equal(idx.append(2, 20), true)
  assert.equal(idx.append(3, 30), true)
  assert.equal(idx.isFull, true)
  assert.equal(idx.append(4, 40), false)
  assert.equal(idx.entries, 3)
})

test('truncateTo removes entries at and above the offset', async t => {
  const dir = await tempDir(t)
  const idx = new OffsetIndex(join(dir, 'x.index'), 0, 1024)
  idx.reset()
  for (let i = 1; i <= 5; i++) idx.append(i * 10, i * 100)
  idx.truncateTo(30)
  assert.equal(idx.entries, 2)
  idx.truncateTo(25)
  assert.equal(idx.entries, 2)
  idx.truncateTo(0)
  assert.equal(idx.entries, 0)
})

test('write mirrors memory to the file exactly; load reads it back; truncation shrinks the file', async t => {
  const dir = await tempDir(t)
  const path = join(dir, '00000000000000000000.index')
  const idx = new OffsetIndex(path, 0, 1 << 20)
  idx.reset()
  for (let i = 1; i <= 300; i++) idx.append(i * 3, i * 4096)
  await idx.write({ sync: true })
  assert.equal((await stat(path)).size, 300 * 8)
  idx.truncateTo(3 * 200)
  for (let i = 200; i <= 210; i++) idx.append(i * 3 + 1, i * 4096 + 1)
  await idx.write({ close: true })
  assert.equal((await stat(path)).size, (199 + 11) * 8)

  const again = new OffsetIndex(path, 0, 1 << 20)
  await again.load(1 << 30)
  assert.equal(again.entries, 210)
  assert.deepEqual(again.lookup(601), { offset: 601, position: 200 * 4096 + 1 })
  assert.deepEqual(again.lookup(599), { offset: 597, position: 199 * 4096 })
  const bytes = await readFile(path)
  assert.equal(bytes.readInt32BE(0), 3)
  assert.equal(bytes.readInt32BE(4), 4096)
})

test('sanity check rejects torn files, disorder and positions past the log', async t => {
  const dir = await tempDir(t)
  const path = join(dir, 'bad.index')
  await writeFile(path, Buffer.alloc(13))
  await assert.rejects(new OffsetIndex(path, 0, 1024).load(1000), CorruptIndexError)

  const disordered = Buffer.alloc(16)
  disordered.writeInt32BE(5, 0); disordered.writeInt32BE(100, 4)
  disordered.writeInt32BE(4, 8); disordered.writeInt32BE(200, 12)
  await writeFile(path, disordered)
  await assert.rejects(new OffsetIndex(path, 0, 1024).load(1000), CorruptIndexError)

  const pastEnd = Buffer.alloc(8)
  pastEnd.writeInt32BE(5, 0); pastEnd.writeInt32BE(5000, 4)
  await writeFile(path, pastEnd)
  await assert.rejects(new OffsetIndex(path, 0, 1024).load(1000), CorruptIndexError)
  await new OffsetIndex(path, 0, 1024).load(6000)
})
