import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BufferPool, POOL_MAX_CLASS, POOL_MAX_IDLE_BYTES, POOL_MIN_CLASS } from '../../../src/log/BufferPool.ts'

test('buffers come in power-of-two classes and are reused once given back', () => {
  const pool = new BufferPool()
  const a = pool.acquire(POOL_MIN_CLASS + 1)
  assert.equal(a.length, POOL_MIN_CLASS * 2)
  pool.release(a)
  const b = pool.acquire(POOL_MIN_CLASS * 2)
  assert.equal(b, a)
  assert.equal(pool.reused, 1)
})

test('a buffer given back twice is handed out once only', () => {
  const pool = new BufferPool()
  const a = pool.acquire(POOL_MIN_CLASS)
  pool.release(a)
  pool.release(a)
  const b = pool.acquire(POOL_MIN_CLASS)
  const c = pool.acquire(POOL_MIN_CLASS)
  assert.equal(b, a)
  assert.notEqual(c, a)
})

test('sizes outside the classes are plain allocations, never pooled', () => {
  const pool = new BufferPool()
  const small = pool.acquire(100)
  const big = pool.acquire(POOL_MAX_CLASS + 1)
  assert.equal(small.length, 100)
  assert.equal(big.length, POOL_MAX_CLASS + 1)
  pool.release(small)
  pool.release(big)
  assert.equal(pool.idleBytes, 0)
})

test('idle buffers are kept only up to POOL_MAX_IDLE_BYTES', () => {
  const pool = new BufferPool()
  const held = Array.from({ length: POOL_MAX_IDLE_BYTES / POOL_MAX_CLASS + 2 }, () => pool.acquire(POOL_MAX_CLASS))
  for (const b of held) pool.release(b)
  assert.equal(pool.idleBytes, POOL_MAX_IDLE_BYTES)
})

test('a lease hands out exact-size views and gives every buffer back on release, once', () => {
  const pool = new BufferPool()
  const lease = pool.lease()
  const v = lease.alloc(20_000)
  assert.equal(v.length, 20_000)
  lease.alloc(50)
  lease.release()
  lease.release()
  assert.equal(pool.idleBytes, 32 * 1024)
  assert.throws(() => lease.alloc(10), /after release/)
  const again = pool.acquire(20_000)
  assert.equal(again.buffer, v.buffer)
})
