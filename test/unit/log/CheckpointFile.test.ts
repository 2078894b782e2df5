import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { CheckpointFile, CheckpointFormatError } from '../../../src/log/CheckpointFile.ts'
import { tempDir } from './logTestSupport.ts'

test('checkpoints round-trip in Kafka\'s text format, atomically', async t => {
  const dir = await tempDir(t)
  const path = join(dir, 'recovery-point-offset-checkpoint')
  const f = new CheckpointFile(path)
  assert.deepEqual(await f.read(), [])
  const entries = [{ topic: 'orders', partition: 0, offset: 1234 }, { topic: '__consumer_offsets', partition: 49, offset: 0 }, { topic: 'a.b-c_d', partition: 2147483647, offset: 9007199254740991 }]
  await f.write(entries)
  assert.equal(await readFile(path, 'utf8'), '0\n3\norders 0 1234\n__consumer_offsets 49 0\na.b-c_d 2147483647 9007199254740991\n')
  assert.deepEqual(await f.read(), entries)
  await f.write([])
  assert.equal(await readFile(path, 'utf8'), '0\n0\n')
  assert.deepEqual(await readdir(dir), ['recovery-point-offset-checkpoint'])
})

test('malformed checkpoints are reported, not guessed at', async t => {
  const dir = await tempDir(t)
  const path = join(dir, 'log-start-offset-checkpoint')
  for (const text of ['1\n0\n', '0\n2\nt 0 1\n', '0\n1\nt x 1\n', '0\n1\nt 0\n', '']) {
    await writeFile(path, text)
    await assert.rejects(new CheckpointFile(path).read(), CheckpointFormatError, JSON.stringify(text))
  }
})
