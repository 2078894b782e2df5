import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ByteReader } from '../../../../src/protocol/records/ByteReader.ts'
import { RecordFormatError } from '../../../../src/protocol/records/RecordFormatError.ts'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../../../src/protocol/records/varint.ts'

function varint (n: number): string {
  const buf = Buffer.alloc(5)
  const end = writeVarint(buf, 0, n)
  assert.equal(end, sizeOfVarint(n))
  return buf.subarray(0, end).toString('hex')
}

function varlong (n: bigint): string {
  const buf = Buffer.alloc(10)
  const end = writeVarlong(buf, 0, n)
  assert.equal(end, sizeOfVarlong(n))
  return buf.subarray(0, end).toString('hex')
}

const INT32_MAX = 2147483647
const INT32_MIN = -2147483648
const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

test('varint encodings from the spec', () => {
  assert.equal(varint(0), '00')
  assert.equal(varint(-1), '01')
  assert.equal(varint(1), '02')
  assert.equal(varint(-64), '7f')
  assert.equal(varint(64), '8001')
  assert.equal(varint(300), 'd804')
  assert.equal(varint(INT32_MAX), 'feffffff0f')
  assert.equal(varint(INT32_MIN), 'ffffffff0f')
})

test('varlong encodings, including int64 extremes', () => {
  assert.equal(varlong(0n), '00')
  assert.equal(varlong(-1n), '01')
  assert.equal(varlong(1n), '02')
  assert.equal(varlong(-64n), '7f')
  assert.equal(varlong(64n), '8001')
  assert.equal(varlong(BigInt(INT32_MAX)), 'feffffff0f')
  assert.equal(varlong(2n ** 31n), '8080808010')
  assert.equal(varlong(INT64_MAX), 'feffffffffffffffff01')
  assert.equal(varlong(INT64_MIN), 'ffffffffffffffffff01')
})

test('varint decode of edge values', () => {
  for (const n of [0, -1, 1, -64, 64, 63, -65, 8191, -8192, INT32_MAX, INT32_MIN]) {
    const r = new ByteReader(Buffer.from(varint(n), 'hex'))
    assert.equal(r.readVarint(), n)
    assert.equal(r.remaining, 0)
  }
})

test('varlong decode of edge values', () => {
  for (const n of [0n, -1n, 1n, -64n, 64n, 2n ** 28n - 1n, 2n ** 28n, -(2n ** 27n), -(2n ** 27n) - 1n, 1_700_000_000_000n, INT64_MAX, INT64_MIN]) {
    const r = new ByteReader(Buffer.from(varlong(n), 'hex'))
    assert.equal(r.readVarlong(), n)
    assert.equal(r.remaining, 0)
  }
})

test('truncated and overlong varints are rejected as corrupt', () => {
  assert.throws(() => new ByteReader(Buffer.from('80', 'hex')).readVarint(), RecordFormatError)
  assert.throws(() => new ByteReader(Buffer.alloc(0)).readVarint(), RecordFormatError)
  assert.throws(() => new ByteReader(Buffer.from('8080808080', 'hex')).readVarint(), /longer than 5 bytes/)
  assert.throws(() => new ByteReader(Buffer.from('ffffffffffffffffff', 'hex')).readVarlong(), RecordFormatError)
  assert.throws(() => new ByteReader(Buffer.from('ffffffffffffffffffff01', 'hex')).readVarlong(), /longer than 10 bytes/)
})

test('property: varint and varlong round-trip', () => {
  fc.assert(fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), n => {
    const r = new ByteReader(Buffer.from(varint(n), 'hex'))
    assert.equal(r.readVarint(), n)
  }))
  fc.assert(fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), n => {
    const hex = varlong(n)
    const r = new ByteReader(Buffer.from(hex, 'hex'))
    assert.equal(r.readVarlong(), n)
    r.pos = 0
    r.skipVarlong()
    assert.equal(r.remaining, 0)
  }))
})

test('ByteReader refuses to slice a length past the end', () => {
  const r = new ByteReader(Buffer.from('0102', 'hex'))
  assert.throws(() => r.readBytes(3), /truncated/)
  assert.throws(() => r.readBytes(-2), /negative/)
  assert.equal(r.readBytes(2).toString('hex'), '0102')
})
