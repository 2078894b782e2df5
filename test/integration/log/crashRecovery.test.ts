// kill -9 a process appending with flush.messages=1, reopen its log, and check that every
// acknowledged record is there, whole, with consecutive offsets, and that appends continue.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { Log } from '../../../src/log/Log.ts'
import { logConfig } from '../../../src/log/LogConfig.ts'
import { buildBatch, parseBatches } from '../../unit/log/recordBatches.ts'
import { closeLater, tempDir } from '../../unit/log/logTestSupport.ts'

test('acknowledged appends survive kill -9 and recovery', async t => {
  const dir = await tempDir(t, 'samsa-crash-')
  const child = spawn(process.execPath, [join(import.meta.dirname, 'crashWriter.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let maxAcked = -1
  let acks = 0
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<void>(resolve => child.on('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    let pending = ''
    const deadline = setTimeout(() => reject(new Error(`the writer acknowledged only ${acks} appends; stderr: ${stderr}`)), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const l of lines) {
        const m = /^ack (\d+)$/.exec(l)
        if (m === null) continue
        acks++
        maxAcked = Math.max(maxAcked, Number(m[1]))
      }
      if (acks >= 400) {
        clearTimeout(deadline)
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.on('exit', code => { if (acks < 400) reject(new Error(`writer exited (${String(code)}) after ${acks} acks: ${stderr}`)) })
  })
  await exited

  const log = await Log.open({ dir: join(dir, 'crash-0'), topic: 'crash', partition: 0, config: logConfig({ 'segment.bytes': 64 * 1024 }), hadCleanShutdown: false, recoveryPoint: 0 })
  closeLater(t, log)
  assert.ok(log.logEndOffset > maxAcked, `LEO ${log.logEndOffset} does not cover acknowledged offset ${maxAcked}`)
  assert.ok(log.numberOfSegments > 1)
  let next = 0
  while (next < log.highWatermark) {
    const r = await log.read(next, 1 << 20)
    assert.equal(r.errorCode, ErrorCode.NONE)
    const batches = parseBatches(r.records)
    assert.ok(batches.length > 0)
    for (const b of batches) {
      if (b.lastOffset < next) continue
      assert.equal(b.baseOffset, next)
      assert.ok(b.crcOk)
      next = b.lastOffset + 1
    }
  }
  assert.equal(next, log.logEndOffset)
  assert.equal((await log.append(buildBatch())).baseOffset, log.logEndOffset - 1)
})
