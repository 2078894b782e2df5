// KIP-227 session bookkeeping without a broker: kinds of fetch, epochs, what an incremental
// response lists, ordering, eviction and the slot limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { FETCH_SESSION_EVICTION_MS, FetchSessionCache, type FetchPartitionOutcome, type FetchPartitionRequest, nextEpoch } from '../../../src/broker/FetchSessionCache.ts'

const Z = 'AAAAAAAAAAAAAAAAAAAAAA'
const req = (partition: number, fetchOffset = 0n, topic = 't'): FetchPartitionRequest =>
  ({ topic, topicId: Z, partition, fetchOffset, partitionMaxBytes: 1000, logStartOffset: -1n })
const out = (hw: bigint, recordsBytes = 0, errorCode = 0): FetchPartitionOutcome =>
  ({ errorCode, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0n, recordsBytes })

test('epoch -1 is sessionless; epoch 0 creates a session whose next epoch is 1', () => {
  const cache = new FetchSessionCache(10)
  const sessionless = cache.newContext(false, 0, -1, [req(0)], [])
  assert.equal(sessionless.complete([out(0n)]).sessionId, 0)
  assert.equal(cache.size, 0)
  const full = cache.newContext(false, 0, 0, [req(0), req(1)], [])
  const { sessionId, include } = full.complete([out(5n), out(0n)])
  assert.ok(sessionId > 0)
  assert.deepEqual(include, [true, true])
  assert.equal(cache.newContext(false, sessionId, 2, [], []).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  const inc = cache.newContext(false, sessionId, 1, [], [])
  assert.equal(inc.errorCode, ErrorCode.NONE)
  assert.equal(inc.partitions.length, 2)
  assert.deepEqual(inc.complete([out(5n), out(0n)]), { sessionId, include: [false, false] })
})

test('incremental responses list partitions with records, errors or changed offsets; answered ones move last', () => {
  const cache = new FetchSessionCache(10)
  const { sessionId } = cache.newContext(false, 0, 0, [req(0), req(1), req(2)], []).complete([out(1n), out(1n), out(1n)])
  const inc = cache.newContext(false, sessionId, 1, [req(1, 1n)], [])
  assert.deepEqual(inc.partitions.map(p => [p.partition, p.fetchOffset]), [[0, 0n], [1, 1n], [2, 0n]])
  assert.deepEqual(inc.complete([out(1n, 10), out(2n), out(1n, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]).include, [true, true, true])
  const next = cache.newContext(false, sessionId, 2, [], [])
  // the error reset partition 2's cached values, so it is listed again; 0 and 1 are unchanged
  assert.deepEqual(next.partitions.map(p => p.partition), [0, 1, 2])
  assert.deepEqual(next.complete([out(1n), out(2n), out(1n)]).include, [false, false, true])
  const after = cache.newContext(false, sessionId, 3, [], [])
  assert.deepEqual(after.partitions.map(p => p.partition), [0, 1, 2])
  assert.deepEqual(after.complete([out(1n), out(3n), out(1n)]).include, [false, true, false])
  assert.deepEqual(cache.newContext(false, sessionId, 4, [], []).partitions.map(p => p.partition), [0, 2, 1])
})

test('forgotten partitions leave the session; a full fetch with an id replaces that session', () => {
  const cache = new FetchSessionCache(10)
  const { sessionId } = cache.newContext(false, 0, 0, [req(0), req(1)], []).complete([out(0n), out(0n)])
  const inc = cache.newContext(false, sessionId, 1, [req(5, 0n, 'u')], [{ topic: 't', topicId: Z, partition: 0 }])
  assert.deepEqual(inc.partitions.map(p => [p.topic, p.partition]), [['t', 1], ['u', 5]])
  const replaced = cache.newContext(false, sessionId, 0, [req(7)], []).complete([out(0n)])
  assert.notEqual(replaced.sessionId, sessionId)
  assert.equal(cache.size, 1)
  assert.equal(cache.newContext(false, sessionId, 2, [], []).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  assert.equal(cache.newContext(true, replaced.sessionId, 1, [], []).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
})

test('slots: a full cache declines new sessions until one has been idle long enough', () => {
  let now = 1_000_000
  const cache = new FetchSessionCache(1, () => now)
  const a = cache.newContext(false, 0, 0, [req(0)], []).complete([out(0n)]).sessionId
  assert.ok(a > 0)
  assert.equal(cache.newContext(false, 0, 0, [req(0)], []).complete([out(0n)]).sessionId, 0, 'declined while a is fresh and as large')
  now += FETCH_SESSION_EVICTION_MS + 1
  const b = cache.newContext(false, 0, 0, [req(0)], []).complete([out(0n)]).sessionId
  assert.ok(b > 0 && b !== a)
  assert.equal(cache.size, 1)
  assert.equal(cache.newContext(false, a, 1, [], []).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  assert.equal(new FetchSessionCache(0).newContext(false, 0, 0, [req(0)], []).complete([out(0n)]).sessionId, 0)
})

test('a larger session may evict an older smaller one', () => {
  let now = 0
  const cache = new FetchSessionCache(1, () => now)
  const small = cache.newContext(false, 0, 0, [req(0)], []).complete([out(0n)]).sessionId
  now += FETCH_SESSION_EVICTION_MS // old enough, but used recently
  assert.equal(cache.newContext(false, small, 1, [], []).errorCode, ErrorCode.NONE)
  const big = cache.newContext(false, 0, 0, [req(0), req(1), req(2)], []).complete([out(0n), out(0n), out(0n)]).sessionId
  assert.ok(big > 0)
  assert.equal(cache.newContext(false, small, 2, [], []).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
})

test('epochs wrap from 2^31-1 to 1 and stay negative when negative', () => {
  assert.equal(nextEpoch(0), 1)
  assert.equal(nextEpoch(0x7fffffff), 1)
  assert.equal(nextEpoch(-1), -1)
})
