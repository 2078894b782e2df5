import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BYTES_PER_ENTRY, DEDUPE_BUFFER_LOAD_FACTOR, INITIAL_OFFSET_MAP_SLOTS, largestPrimeAtMost, SkimpyOffsetMap } from '../../../src/log/OffsetMap.ts'

const key = (s: string): Buffer => Buffer.from(s)

test('put and get: the latest offset per key, -1 for an unknown key; latestOffset follows puts and updates', () => {
  const m = new SkimpyOffsetMap(1 << 20)
  assert.equal(m.get(key('a')), -1)
  assert.equal(m.latestOffset, -1)
  m.put(key('a'), 3)
  m.put(key('b'), 4)
  m.put(key('a'), 9)
  assert.equal(m.size, 2)
  assert.equal(m.get(key('a')), 9)
  assert.equal(m.get(key('b')), 4)
  assert.equal(m.get(key('c')), -1)
  assert.equal(m.get(Buffer.alloc(0)), -1)
  m.put(Buffer.alloc(0), 10)
  assert.equal(m.get(Buffer.alloc(0)), 10, 'an empty key is a key')
  assert.equal(m.latestOffset, 10)
  m.updateLatestOffset(20)
  assert.equal(m.latestOffset, 20)
  assert.equal(m.utilization, 3 / m.slots)
})

test('the table grows past its initial size without losing keys, and clear() shrinks it back', () => {
  const m = new SkimpyOffsetMap(128 * 1024 * 1024)
  assert.equal(m.allocatedSlots, INITIAL_OFFSET_MAP_SLOTS)
  const n = 50_000
  for (let i = 0; i < n; i++) m.put(key(`key-${i}`), i * 2)
  for (let i = 0; i < n; i += 7) m.put(key(`key-${i}`), i * 2 + 1)
  assert.equal(m.size, n)
  assert.ok(m.allocatedSlots > n && m.allocatedSlots <= m.slots, `${m.allocatedSlots} slots allocated`)
  for (let i = 0; i < n; i++) assert.equal(m.get(key(`key-${i}`)), i % 7 === 0 ? i * 2 + 1 : i * 2)
  m.clear()
  assert.equal(m.size, 0)
  assert.equal(m.latestOffset, -1)
  assert.equal(m.allocatedSlots, INITIAL_OFFSET_MAP_SLOTS)
  assert.equal(m.get(key('key-1')), -1)
})

test('memory is bounded by log.cleaner.dedupe.buffer.size: a prime number of 24-byte slots, filled to the load factor', () => {
  const m = new SkimpyOffsetMap(BYTES_PER_ENTRY * 50)
  assert.equal(m.slots, 47)
  assert.equal(m.maxDesiredSize, Math.floor(47 * DEDUPE_BUFFER_LOAD_FACTOR))
  for (let i = 0; i < m.maxDesiredSize; i++) m.put(key(`k${i}`), i)
  for (let i = 0; i < m.maxDesiredSize; i++) assert.equal(m.get(key(`k${i}`)), i)
  assert.equal(m.allocatedSlots, 47)
  // a caller that ignores maxDesiredSize can still fill every slot, then gets an error
  for (let i = m.maxDesiredSize; i < 47; i++) m.put(key(`k${i}`), i)
  assert.equal(m.size, 47)
  assert.throws(() => m.put(key('one-too-many'), 99), RangeError)
  assert.equal(m.get(key('k0')), 0)
  assert.equal(m.get(key('absent')), -1, 'a full table answers a miss')
})

test('a dedupe buffer that cannot hold one key is refused', () => {
  assert.throws(() => new SkimpyOffsetMap(0), /cannot hold one key/)
  assert.throws(() => new SkimpyOffsetMap(BYTES_PER_ENTRY), /cannot hold one key/)
  assert.equal(new SkimpyOffsetMap(BYTES_PER_ENTRY * 2).maxDesiredSize, 1)
})

test('largestPrimeAtMost', () => {
  assert.deepEqual([2, 3, 4, 10, 50, 100, 4096].map(largestPrimeAtMost), [2, 3, 3, 7, 47, 97, 4093])
  // against a sieve
  const limit = 5000
  const composite = new Uint8Array(limit + 1)
  for (let i = 2; i * i <= limit; i++) if (composite[i] === 0) for (let j = i * i; j <= limit; j += i) composite[j] = 1
  let last = 2
  for (let n = 2; n <= limit; n++) {
    if (composite[n] === 0) last = n
    assert.equal(largestPrimeAtMost(n), last, `n = ${n}`)
  }
})
