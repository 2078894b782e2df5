import assert from 'node:assert/strict'
import { test } from 'node:test'
import { crc32, crc32c } from '../../../../src/protocol/records/crc32c.ts'

const check = Buffer.from('123456789', 'ascii')

test('crc32c check value for "123456789" is 0xE3069283', () => {
  assert.equal(crc32c(check), 0xe3069283)
})

test('crc32 (IEEE) check value for "123456789" is 0xCBF43926', () => {
  assert.equal(crc32(check), 0xcbf43926)
})

test('crc32c of nothing is 0 and results are unsigned', () => {
  assert.equal(crc32c(Buffer.alloc(0)), 0)
  const v = crc32c(Buffer.from([0xff, 0xff, 0xff, 0xff]))
  assert.ok(v >= 0 && v <= 0xffffffff)
})

test('crc32c chains across pieces', () => {
  const a = check.subarray(0, 4)
  const b = check.subarray(4)
  assert.equal(crc32c(b, crc32c(a)), 0xe3069283)
  assert.equal(crc32(b, crc32(a)), 0xcbf43926)
})

test('crc32c of 32 zero bytes matches the RFC 3720 vector 0x8A9136AA', () => {
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa)
})
