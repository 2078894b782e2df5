import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ByteReader } from '../../../../src/protocol/records/ByteReader.ts'
import { type DefaultRecord, decodeRecord, encodeRecord, MIN_RECORD_SIZE, readRecord, skimRecords } from '../../../../src/protocol/records/Record.ts'
import { RecordFormatError } from '../../../../src/protocol/records/RecordFormatError.ts'

const minimal: DefaultRecord = { attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: null, value: null, headers: [] }

test('the smallest record is 7 bytes: length 6, attributes, deltas, null key and value, no headers', () => {
  const b = encodeRecord(minimal)
  assert.equal(b.length, MIN_RECORD_SIZE)
  assert.equal(b.toString('hex'), '0c000000010100')
})

test('record written from the spec by hand decodes', () => {
  // length 12 | attributes 0 | timestampDelta 0 | offsetDelta 0 | key "k" | value "v1" | 1 header "h" = null
  const r = decodeRecord(Buffer.from('18000000026b0476310202' + '6801', 'hex'))
  assert.deepEqual(r, { attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v1'), headers: [{ key: 'h', value: null }] })
})

test('empty key/value differ from null ones; negative timestampDelta; unicode header keys', () => {
  const rec: DefaultRecord = {
    attributes: 0,
    timestampDelta: -1234n,
    offsetDelta: 300,
    key: Buffer.alloc(0),
    value: Buffer.alloc(0),
    headers: [{ key: 'trace-id', value: Buffer.from('abc') }, { key: 'ключ', value: Buffer.alloc(0) }, { key: '', value: null }],
  }
  assert.deepEqual(decodeRecord(encodeRecord(rec)), rec)
})

const arbBytes = fc.option(fc.uint8Array({ maxLength: 40 }).map(a => Buffer.from(a)), { nil: null })
const arbRecord: fc.Arbitrary<DefaultRecord> = fc.record({
  attributes: fc.constant(0),
  timestampDelta: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  key: arbBytes,
  value: arbBytes,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: arbBytes }).map(h => ({ ...h })), { maxLength: 4 }),
}).map(r => ({ ...r }))

test('property: records round-trip', () => {
  fc.assert(fc.property(arbRecord, rec => {
    assert.deepEqual(decodeRecord(encodeRecord(rec)), rec)
  }))
})

test('property: every truncation of a record is rejected as corrupt, never a crash', () => {
  fc.assert(fc.property(arbRecord, rec => {
    const b = encodeRecord(rec)
    for (let n = 0; n < b.length; n++) {
      assert.throws(() => readRecord(new ByteReader(b.subarray(0, n))), RecordFormatError)
    }
  }), { numRuns: 50 })
})

test('lengths are validated against the bytes left', () => {
  // record length 100 with 6 bytes following
  assert.throws(() => decodeRecord(Buffer.from('c801000000010100', 'hex')), /past the end/)
  // key length 50 inside a 7-byte record
  assert.throws(() => decodeRecord(Buffer.from('0c0000006401' + '00', 'hex')), /truncated key/)
  // header count 1,000,000 in a tiny record: refused before allocating
  assert.throws(() => decodeRecord(Buffer.from('10' + '00000001' + '01' + '80897a' + '00', 'hex')), /header count/)
  // negative header count
  assert.throws(() => decodeRecord(Buffer.from('0c000000010101', 'hex')), /negative header count/)
  // null header key
  assert.throws(() => decodeRecord(Buffer.from('100000000101020101', 'hex')), /negative header key length/)
  // record length larger than its content
  assert.throws(() => decodeRecord(Buffer.from('0e00000001010000', 'hex')), /declares 7 bytes but uses 6/)
  // key length -2
  assert.throws(() => decodeRecord(Buffer.from('0c000000030100', 'hex')), /negative key length/)
})

test('skimRecords checks boundaries and offsetDeltas without decoding', () => {
  const recs = [0, 1, 2].map(i => encodeRecord({ ...minimal, offsetDelta: i, timestampDelta: BigInt(10 - i * 3) }))
  const buf = Buffer.concat(recs)
  assert.deepEqual(skimRecords(buf, 0, buf.length, 3), { lastOffsetDelta: 2, maxTimestampDelta: 10n, contiguous: true })
  assert.throws(() => skimRecords(buf, 0, buf.length, 2), /bytes after record 1/)
  assert.throws(() => skimRecords(buf, 0, buf.length, 4), /truncated/)
  const gap = Buffer.concat([recs[0]!, encodeRecord({ ...minimal, offsetDelta: 5 })])
  assert.deepEqual(skimRecords(gap, 0, gap.length, 2), { lastOffsetDelta: 5, maxTimestampDelta: 10n, contiguous: false })
  const backwards = Buffer.concat([recs[1]!, recs[0]!])
  assert.throws(() => skimRecords(backwards, 0, backwards.length, 2), /does not increase/)
  assert.deepEqual(skimRecords(Buffer.alloc(0), 0, 0, 0), { lastOffsetDelta: -1, maxTimestampDelta: null, contiguous: true })
})
