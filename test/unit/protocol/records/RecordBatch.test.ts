import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { CompressionType, compressionName } from '../../../../src/protocol/records/compression/CompressionType.ts'
import {
  assignOffsets, ATTRIBUTES, BATCH_HEADER_SIZE, BATCH_LENGTH, computeBatchCrc, CRC, decodeRecordBatch, decodeRecordBatches,
  decodeRecordBatchSync, encodeRecordBatch, encodeRecordBatchSync, LAST_OFFSET_DELTA, MAGIC, type RecordBatchInput,
  RECORDS_COUNT, setBaseOffset, setLogAppendTime, setMaxTimestamp, setPartitionLeaderEpoch, TimestampType,
  validateBatch, validateBatches,
} from '../../../../src/protocol/records/RecordBatch.ts'
import { DecompressionLimitError, RecordFormatError } from '../../../../src/protocol/records/RecordFormatError.ts'

// A batch written byte by byte from the format description; the CRC-32C was computed by an
// independent bitwise implementation, not by the code under test.
const FIXTURE = Buffer.from([
  '0000000000000005', // baseOffset 5
  '00000045', // batchLength 69
  '00000007', // partitionLeaderEpoch 7
  '02', // magic
  '8709c8e7', // crc
  '0000', // attributes: none, CreateTime
  '00000001', // lastOffsetDelta 1
  '0000018bcfe56800', // baseTimestamp 1700000000000
  '0000018bcfe56805', // maxTimestamp 1700000000005
  '00000000000003e8', // producerId 1000
  '0003', // producerEpoch 3
  '0000002a', // baseSequence 42
  '00000002', // recordsCount 2
  // record 0: length 12, attrs 0, tsDelta 0, offsetDelta 0, key "k", value "v1", 1 header h=null
  '18', '00', '00', '00', '026b', '047631', '02', '0268', '01',
  // record 1: length 6, attrs 0, tsDelta 5, offsetDelta 1, key null, value null, 0 headers
  '0c', '00', '0a', '02', '01', '01', '00',
].join(''), 'hex')

const FIXTURE_INPUT: RecordBatchInput = {
  baseOffset: 5n,
  partitionLeaderEpoch: 7,
  producerId: 1000n,
  producerEpoch: 3,
  baseSequence: 42,
  records: [
    { key: 'k', value: 'v1', headers: [{ key: 'h', value: null }], timestamp: 1700000000000n },
    { key: null, value: null, timestamp: 1700000000005n },
  ],
}

function withCrc (buf: Buffer, position = 0): Buffer {
  buf.writeUInt32BE(computeBatchCrc(buf, position), position + CRC)
  return buf
}

function rejects (buf: Buffer, code: number, pattern: RegExp, options = {}): void {
  const v = validateBatches(buf, options)
  assert.ok(v.error !== null, 'expected a validation error')
  assert.equal(v.error.errorCode, code, v.error.message)
  assert.match(v.error.message, pattern)
  assert.throws(() => validateBatch(buf, 0, options), RecordFormatError)
}

test('hand-built fixture validates and decodes', async () => {
  const v = validateBatches(FIXTURE)
  assert.equal(v.error, null)
  assert.equal(v.validBytes, FIXTURE.length)
  const [info] = v.batches
  assert.ok(info)
  assert.equal(info.position, 0)
  assert.equal(info.size, 81)
  assert.equal(info.baseOffset, 5n)
  assert.equal(info.lastOffset, 6n)
  assert.equal(info.partitionLeaderEpoch, 7)
  assert.equal(info.crc, 0x8709c8e7)
  assert.equal(info.compression, CompressionType.NONE)
  assert.equal(info.timestampType, TimestampType.CREATE_TIME)
  assert.equal(info.isTransactional, false)
  assert.equal(info.isControl, false)
  assert.equal(info.producerId, 1000n)
  assert.equal(info.producerEpoch, 3)
  assert.equal(info.baseSequence, 42)
  assert.equal(info.recordsCount, 2)
  assert.equal(info.lastOffsetDelta, 1)
  assert.equal(info.maxTimestamp, 1700000000005n)
  assert.equal(info.recordsMaxTimestamp, 1700000000005n)
  assert.equal(info.offsetDeltasContiguous, true)

  const batch = await decodeRecordBatch(FIXTURE)
  assert.equal(batch.records.length, 2)
  const [r0, r1] = batch.records
  assert.deepEqual(r0, {
    attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v1'),
    headers: [{ key: 'h', value: null }], offset: 5n, timestamp: 1700000000000n,
  })
  assert.deepEqual(r1, {
    attributes: 0, timestampDelta: 5n, offsetDelta: 1, key: null, value: null, headers: [], offset: 6n, timestamp: 1700000000005n,
  })
})

test('encoder reproduces the hand-built fixture byte for byte', async () => {
  assert.equal(encodeRecordBatchSync(FIXTURE_INPUT).toString('hex'), FIXTURE.toString('hex'))
  assert.equal((await encodeRecordBatch(FIXTURE_INPUT)).toString('hex'), FIXTURE.toString('hex'))
})

const mixed: RecordBatchInput['records'] = [
  { key: 'user-1', value: '{"temp":21.5}', headers: [{ key: 'content-type', value: 'application/json' }, { key: 'null-header' }], timestamp: 1700000001000n },
  { key: null, value: 'no key', timestamp: 1700000000990n }, // earlier than the first: negative delta
  { key: 'user-1', value: null, timestamp: 1700000001500n }, // tombstone
  { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [], timestamp: 1700000001200n },
  { key: 'big', value: Buffer.alloc(100_000, 7), timestamp: 1700000001300n },
]

for (const compression of [0, 1, 2, 3, 4] as const) {
  test(`round trip with ${compressionName(compression)}: keys, values, headers, null key, tombstones`, async () => {
    const input: RecordBatchInput = { baseOffset: 100n, compression, producerId: 9n, producerEpoch: 1, baseSequence: 0, isTransactional: true, records: mixed }
    for (const buf of [await encodeRecordBatch(input), encodeRecordBatchSync(input)]) {
      const v = validateBatches(buf, { client: false })
      assert.equal(v.error, null)
      const info = v.batches[0]!
      assert.equal(info.compression, compression)
      assert.equal(info.isTransactional, true)
      assert.equal(info.recordsCount, 5)
      assert.equal(info.lastOffsetDelta, 4)
      assert.equal(info.baseTimestamp, 1700000001000n)
      assert.equal(info.maxTimestamp, 1700000001500n)
      assert.equal(info.offsetDeltasContiguous, compression === 0 ? true : null)
      if (compression !== 0) assert.ok(buf.length < 50_000, 'the 100 KB value compressed')
      for (const batch of [await decodeRecordBatch(buf), decodeRecordBatchSync(buf)]) {
        assert.equal(batch.records.length, mixed.length)
        batch.records.forEach((r, i) => {
          const want = mixed[i]!
          assert.equal(r.offset, 100n + BigInt(i))
          assert.equal(r.timestamp, want.timestamp)
          assert.deepEqual(r.key, want.key == null ? null : Buffer.from(want.key))
          assert.deepEqual(r.value, want.value == null ? null : Buffer.from(want.value))
          assert.deepEqual(r.headers, (want.headers ?? []).map(h => ({ key: h.key, value: h.value == null ? null : Buffer.from(h.value) })))
        })
      }
    }
  })
}

test('empty batch (as compaction leaves) and offset gaps', async () => {
  const empty = encodeRecordBatchSync({ baseOffset: 10n, lastOffsetDelta: 4, records: [] })
  const info = validateBatch(empty)
  assert.equal(info.recordsCount, 0)
  assert.equal(info.lastOffset, 14n)
  assert.equal(info.recordsMaxTimestamp, null)
  assert.equal((await decodeRecordBatch(empty)).records.length, 0)
  const gaps = encodeRecordBatchSync({ records: [{ value: 'a', offsetDelta: 1, timestamp: 1 }, { value: 'b', offsetDelta: 3, timestamp: 2 }], lastOffsetDelta: 5 })
  const g = validateBatch(gaps)
  assert.equal(g.offsetDeltasContiguous, false)
  assert.deepEqual((await decodeRecordBatch(gaps)).records.map(r => r.offset), [1n, 3n])
  rejects(gaps, 87, /recordsCount 2 inconsistent/, { client: true })
})

test('validateBatches walks concatenated batches and reports each', () => {
  const a = encodeRecordBatchSync({ records: [{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 2 }] })
  const b = encodeRecordBatchSync({ compression: CompressionType.GZIP, records: [{ value: 'c', timestamp: 3 }] })
  const c = encodeRecordBatchSync({ records: [{ value: 'd', timestamp: 4 }] })
  const all = Buffer.concat([a, b, c])
  const v = validateBatches(all)
  assert.equal(v.error, null)
  assert.deepEqual(v.batches.map(x => [x.position, x.size, x.recordsCount, x.compression]), [
    [0, a.length, 2, 0], [a.length, b.length, 1, 1], [a.length + b.length, c.length, 1, 0],
  ])
  assert.deepEqual(validateBatches(Buffer.alloc(0)), { batches: [], validBytes: 0, error: null, truncated: false })
})

test('rejects a bad CRC', () => {
  const buf = Buffer.from(FIXTURE)
  buf.writeUInt8(buf.readUInt8(buf.length - 3) ^ 0x01, buf.length - 3)
  rejects(buf, 2, /CRC mismatch/)
  const hdr = Buffer.from(FIXTURE)
  hdr[LAST_OFFSET_DELTA + 3] = 2 // inside the CRC range
  rejects(hdr, 2, /CRC mismatch/)
})

test('rejects a truncated batch, reporting the valid prefix', () => {
  const two = Buffer.concat([FIXTURE, FIXTURE])
  for (const cut of [two.length - 1, FIXTURE.length + 40, FIXTURE.length + 16, FIXTURE.length + 11, FIXTURE.length + 1]) {
    const v = validateBatches(two.subarray(0, cut))
    assert.equal(v.batches.length, 1)
    assert.equal(v.validBytes, FIXTURE.length)
    assert.equal(v.truncated, true)
    assert.equal(v.error?.errorCode, 2)
  }
})

test('rejects batchLength beyond the buffer or below the header', () => {
  const buf = Buffer.from(FIXTURE)
  buf.writeInt32BE(1_000_000, BATCH_LENGTH)
  rejects(buf, 2, /runs past the end/)
  assert.equal(validateBatches(buf).truncated, true)
  const small = Buffer.from(FIXTURE)
  small.writeInt32BE(48, BATCH_LENGTH)
  rejects(small, 2, /below the 49-byte header/)
  const neg = Buffer.from(FIXTURE)
  neg.writeInt32BE(-1, BATCH_LENGTH)
  rejects(neg, 2, /batchLength -1/)
})

test('rejects bad magic: legacy messages as INVALID_RECORD, unknown as CORRUPT_MESSAGE', () => {
  for (const [magic, code] of [[0, 87], [1, 87], [3, 2], [-1, 2]] as const) {
    const buf = Buffer.from(FIXTURE)
    buf.writeInt8(magic, MAGIC)
    rejects(buf, code, /magic/)
  }
})

test('rejects compression codecs 5-7 with UNSUPPORTED_COMPRESSION_TYPE', () => {
  for (const codec of [5, 6, 7]) {
    const buf = Buffer.from(FIXTURE)
    buf.writeInt16BE(codec, ATTRIBUTES)
    rejects(withCrc(buf), 76, new RegExp(`compression type ${codec}`))
  }
})

test('rejects negative or impossible counts', () => {
  const negCount = Buffer.from(FIXTURE)
  negCount.writeInt32BE(-1, RECORDS_COUNT)
  rejects(withCrc(negCount), 2, /negative recordsCount/)
  const negDelta = Buffer.from(FIXTURE)
  negDelta.writeInt32BE(-1, LAST_OFFSET_DELTA)
  rejects(withCrc(negDelta), 2, /negative lastOffsetDelta/)
  const tooMany = Buffer.from(FIXTURE)
  tooMany.writeInt32BE(1_000_000, RECORDS_COUNT)
  tooMany.writeInt32BE(1_000_000, LAST_OFFSET_DELTA)
  rejects(withCrc(tooMany), 2, /cannot fit/)
  const spanTooShort = Buffer.from(FIXTURE)
  spanTooShort.writeInt32BE(0, LAST_OFFSET_DELTA)
  rejects(withCrc(spanTooShort), 2, /exceeds the 1 offsets/)
  const countMismatch = Buffer.from(FIXTURE)
  countMismatch.writeInt32BE(1, RECORDS_COUNT)
  rejects(withCrc(countMismatch), 2, /bytes after record 0/)
  const deltaTooSmall = encodeRecordBatchSync({ records: [{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 1, offsetDelta: 7 }], lastOffsetDelta: 7 })
  deltaTooSmall.writeInt32BE(6, LAST_OFFSET_DELTA)
  rejects(withCrc(deltaTooSmall), 2, /beyond lastOffsetDelta/)
})

test('maxBatchSize gives MESSAGE_TOO_LARGE', () => {
  rejects(FIXTURE, 10, /exceeds the 80-byte limit/, { maxBatchSize: 80 })
  assert.equal(validateBatches(FIXTURE, { maxBatchSize: 81 }).error, null)
})

test('client rules give INVALID_RECORD', () => {
  const client = (input: Partial<RecordBatchInput>): Buffer => encodeRecordBatchSync({ records: [{ value: 'x', timestamp: 1 }], ...input })
  assert.equal(validateBatches(client({ producerId: 5n, producerEpoch: 0, baseSequence: 0 }), { client: true }).error, null)
  rejects(FIXTURE, 87, /baseOffset 5 from a client/, { client: true })
  rejects(client({ isControl: true }), 87, /control/, { client: true })
  rejects(client({ records: [], lastOffsetDelta: 0 }), 87, /at least one record/, { client: true })
  rejects(client({ producerId: 5n, baseSequence: -1 }), 87, /baseSequence -1/, { client: true })
  const oneAtOne = client({ records: [{ value: 'x', timestamp: 1, offsetDelta: 1 }] })
  oneAtOne.writeInt32BE(0, LAST_OFFSET_DELTA)
  rejects(withCrc(oneAtOne), 2, /beyond lastOffsetDelta/, { client: true })
  const twoGap = client({ records: [{ value: 'x', timestamp: 1, offsetDelta: 0 }, { value: 'y', timestamp: 1, offsetDelta: 2 }] })
  twoGap.writeInt32BE(1, LAST_OFFSET_DELTA)
  rejects(withCrc(twoGap), 2, /beyond lastOffsetDelta/, { client: true })
  const reversed = client({ records: [{ value: 'x', timestamp: 1, offsetDelta: 0 }, { value: 'y', timestamp: 1, offsetDelta: 1 }] })
  reversed.writeInt32BE(1, RECORDS_COUNT)
  reversed.writeInt32BE(0, LAST_OFFSET_DELTA)
  rejects(withCrc(reversed), 2, /bytes after record 0/, { client: true })
  const shifted = client({ records: [{ value: 'x', timestamp: 1, offsetDelta: 1 }, { value: 'y', timestamp: 1, offsetDelta: 2 }] })
  shifted.writeInt32BE(1, LAST_OFFSET_DELTA)
  rejects(withCrc(shifted), 2, /beyond lastOffsetDelta/, { client: true })
})

test('setBaseOffset and setPartitionLeaderEpoch rewrite in place outside the CRC', () => {
  const buf = Buffer.from(FIXTURE)
  setBaseOffset(buf, 123456789012n)
  setPartitionLeaderEpoch(buf, 42)
  const info = validateBatch(buf)
  assert.equal(info.crc, 0x8709c8e7)
  assert.equal(info.baseOffset, 123456789012n)
  assert.equal(info.partitionLeaderEpoch, 42)
  assert.deepEqual(decodeRecordBatchSync(buf).records.map(r => r.offset), [123456789012n, 123456789013n])
})

test('setLogAppendTime sets bit 3 and maxTimestamp and recomputes the CRC', async () => {
  for (const compression of [0, 3] as const) {
    const buf = encodeRecordBatchSync({ ...FIXTURE_INPUT, compression })
    const before = validateBatch(buf).crc
    setLogAppendTime(buf, 1800000000000n)
    const info = validateBatch(buf)
    assert.notEqual(info.crc, before)
    assert.equal(info.timestampType, TimestampType.LOG_APPEND_TIME)
    assert.equal(info.attributes & 0x08, 0x08)
    assert.equal(info.maxTimestamp, 1800000000000n)
    const batch = await decodeRecordBatch(buf)
    assert.deepEqual(batch.records.map(r => r.timestamp), [1800000000000n, 1800000000000n])
    assert.deepEqual(batch.records.map(r => r.timestampDelta), [0n, 5n], 'deltas untouched')
    setMaxTimestamp(buf, TimestampType.CREATE_TIME, 1700000000005n)
    if (compression === 0) assert.deepEqual(buf, FIXTURE)
    assert.equal(validateBatch(buf).crc, before)
  }
})

test('assignOffsets rewrites each batch from the log end offset', () => {
  const a = encodeRecordBatchSync({ records: [{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 2 }] })
  const b = encodeRecordBatchSync({ records: [{ value: 'c', timestamp: 3 }] })
  const buf = Buffer.concat([a, b])
  const v = validateBatches(buf, { client: true })
  assert.equal(v.error, null)
  assert.equal(assignOffsets(buf, v.batches, 1000n, 3), 1003n)
  const after = validateBatches(buf)
  assert.equal(after.error, null)
  assert.deepEqual(after.batches.map(x => [x.baseOffset, x.lastOffset, x.partitionLeaderEpoch]), [[1000n, 1001n, 3], [1002n, 1002n, 3]])
})

test('decoding a compressed batch honours maxDecompressedBytes', async () => {
  const buf = await encodeRecordBatch({ compression: CompressionType.ZSTD, records: [{ value: Buffer.alloc(1_000_000), timestamp: 1 }] })
  assert.ok(buf.length < 1000)
  await assert.rejects(decodeRecordBatch(buf, { maxDecompressedBytes: 64 * 1024 }), DecompressionLimitError)
  assert.throws(() => decodeRecordBatchSync(buf, { maxDecompressedBytes: 64 * 1024 }), DecompressionLimitError)
  assert.equal((await decodeRecordBatch(buf, { maxDecompressedBytes: 2_000_000 })).records[0]!.value!.length, 1_000_000)
})

test('a compressed batch whose count disagrees with its records is corrupt', async () => {
  const buf = await encodeRecordBatch({ compression: CompressionType.GZIP, records: [{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 1 }] })
  const fewer = Buffer.from(buf)
  fewer.writeInt32BE(1, RECORDS_COUNT)
  await assert.rejects(decodeRecordBatch(withCrc(fewer)), /bytes after the last of 1 records/)
  const more = Buffer.from(buf)
  more.writeInt32BE(2, RECORDS_COUNT)
  more.writeInt32BE(5, LAST_OFFSET_DELTA)
  more.writeInt32BE(5, RECORDS_COUNT)
  await assert.rejects(decodeRecordBatch(withCrc(more)), /cannot fit|truncated/)
})

test('decodeRecordBatches decodes all and can drop a cut-off tail', async () => {
  const all = Buffer.concat([FIXTURE, encodeRecordBatchSync({ compression: CompressionType.SNAPPY, records: [{ value: 'z', timestamp: 9 }] }), FIXTURE.subarray(0, 30)])
  await assert.rejects(decodeRecordBatches(all), RecordFormatError)
  const batches = await decodeRecordBatches(all, { allowTruncatedTail: true })
  assert.deepEqual(batches.map(b => b.records.length), [2, 1])
  assert.equal(batches[1]!.records[0]!.value!.toString(), 'z')
})

const arbInput: fc.Arbitrary<RecordBatchInput> = fc.record({
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  compression: fc.constantFrom(0, 1, 2, 3, 4) as fc.Arbitrary<CompressionType>,
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  records: fc.array(fc.record({
    key: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 200 }).map(a => Buffer.from(a)), { nil: null }),
    timestamp: fc.bigInt({ min: 0n, max: 2n ** 50n }),
    headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.string({ maxLength: 8 }), { nil: null }) }).map(h => ({ ...h })), { maxLength: 3 }),
  }).map(r => ({ ...r })), { minLength: 1, maxLength: 20 }),
}).map(r => ({ ...r }))

test('property: encode -> validate -> decode preserves every record', () => {
  fc.assert(fc.property(arbInput, input => {
    const buf = encodeRecordBatchSync(input)
    const info = validateBatch(buf)
    assert.equal(info.recordsCount, input.records.length)
    const batch = decodeRecordBatchSync(buf)
    batch.records.forEach((r, i) => {
      const want = input.records[i]!
      assert.equal(r.offset, input.baseOffset! + BigInt(i))
      assert.equal(r.timestamp, want.timestamp)
      assert.equal(r.key?.toString() ?? null, want.key)
      assert.deepEqual(r.value, want.value)
      assert.deepEqual(r.headers.map(h => [h.key, h.value?.toString() ?? null]), (want.headers ?? []).map(h => [h.key, h.value]))
    })
  }), { numRuns: 60 })
})

test('property: corrupting any byte of a batch is caught or harmless, never a crash', () => {
  const buf = encodeRecordBatchSync({ records: [{ key: 'a', value: 'hello', headers: [{ key: 'h', value: 'v' }], timestamp: 5 }, { value: 'b', timestamp: 6 }] })
  fc.assert(fc.property(fc.integer({ min: 0, max: buf.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
    const bad = Buffer.from(buf)
    bad.writeUInt8(bad.readUInt8(i) ^ x, i)
    const v = validateBatches(bad)
    // bytes outside the CRC (baseOffset, partitionLeaderEpoch) may change freely, magic and batchLength may not
    if (i >= MAGIC || (i >= BATCH_LENGTH && i < 12)) assert.ok(v.error instanceof RecordFormatError)
    try { decodeRecordBatchSync(bad) } catch (err) { assert.ok(err instanceof RecordFormatError) }
  }), { numRuns: 500 })
  assert.ok(BATCH_HEADER_SIZE === 61)
})
