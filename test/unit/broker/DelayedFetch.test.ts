// The long-poll purgatory without a broker: wake-ups by bytes, changes, timeouts and shutdown,
// and its bound.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DelayedFetchPurgatory } from '../../../src/broker/DelayedFetch.ts'

test('appends to watched partitions wake a fetch once enough bytes arrived', async () => {
  const p = new DelayedFetchPurgatory(10)
  let woke: string | null = null
  const parked = p.park(['a', 'b'], 100, 60_000).then(r => { woke = r })
  p.onAppend('c', 1000)
  p.onAppend('a', 60)
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(woke, null)
  assert.equal(p.size, 1)
  p.onAppend('b', 40)
  await parked
  assert.equal(woke, 'data')
  assert.equal(p.size, 0)
  assert.equal(p.watchedPartitions, 0)
})

test('a change, the timeout and close each answer parked fetches', async () => {
  const p = new DelayedFetchPurgatory(10)
  const changed = p.park(['x'], 1, 60_000)
  p.onChange('x')
  assert.equal(await changed, 'changed')
  assert.equal(await p.park(['y'], 1, 1), 'timeout')
  const a = p.park(['z'], 1, 60_000)
  const b = p.park(['z', 'w'], 1, 60_000)
  p.close()
  assert.deepEqual(await Promise.all([a, b]), ['shutdown', 'shutdown'])
  assert.equal(await p.park(['z'], 1, 60_000), 'shutdown')
  assert.equal(p.watchedPartitions, 0)
})

test('beyond maxParked a fetch is not parked', async () => {
  const p = new DelayedFetchPurgatory(1)
  const first = p.park(['a'], 1, 60_000)
  assert.equal(await p.park(['a'], 1, 60_000), 'full')
  p.onAppend('a', 1)
  assert.equal(await first, 'data')
})
