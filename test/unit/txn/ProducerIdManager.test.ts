// Producer id blocks: unique ids, one durable write per block, no reuse after a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PRODUCER_ID_BLOCK_SIZE, PRODUCER_IDS_FILE, ProducerIdManager } from '../../../src/txn/ProducerIdManager.ts'

test('ids are unique, concurrent callers share one block write, a restart starts at the next block', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-pid-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const m = new ProducerIdManager(dir)
  const ids = await Promise.all(Array.from({ length: PRODUCER_ID_BLOCK_SIZE + 5 }, () => m.generateProducerId()))
  assert.equal(new Set(ids).size, ids.length)
  assert.deepEqual(ids.slice(0, 3), [0, 1, 2])
  assert.equal(Math.max(...ids), PRODUCER_ID_BLOCK_SIZE + 4)
  assert.deepEqual(JSON.parse(await readFile(join(dir, PRODUCER_IDS_FILE), 'utf8')), { version: 1, nextBlockStart: 2 * PRODUCER_ID_BLOCK_SIZE })
  const again = new ProducerIdManager(dir)
  assert.equal(await again.generateProducerId(), 2 * PRODUCER_ID_BLOCK_SIZE)
})

test('a damaged file is refused rather than risking reused ids', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-pid-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, PRODUCER_IDS_FILE), '{"version":1,"nextBlockStart":-5}')
  assert.throws(() => new ProducerIdManager(dir), /not a valid producer id block file/)
})
