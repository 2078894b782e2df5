import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { crc32 } from '../../../../src/protocol/records/crc32c.ts'
import { decompressSync } from '../../../../src/protocol/records/compression/compress.ts'
import { CompressionType, compressionName } from '../../../../src/protocol/records/compression/CompressionType.ts'
import { xxh32 } from '../../../../src/protocol/records/compression/lz4.ts'
import { encodeEndTxnMarkerBatch } from '../../../../src/protocol/records/ControlRecord.ts'
import {
  decodeMessageSet, decodeMessageSetSync, encodeMessageSet, encodeMessageSetSync, type LegacyRecordInput,
  messageSetToRecordBatch, messageSetToRecordBatchSync, recordBatchesToMessageSet, recordBatchesToMessageSetSync,
} from '../../../../src/protocol/records/MessageSet.ts'
import { decodeRecordBatches, encodeRecordBatch, encodeRecordBatchSync, setLogAppendTime, TimestampType, validateBatches } from '../../../../src/protocol/records/RecordBatch.ts'
import { DecompressionLimitError, RecordFormatError } from '../../../../src/protocol/records/RecordFormatError.ts'

// Fixtures written from the format description; CRC-32s and the gzip stream were produced by
// Python's zlib/gzip, not by the code under test.
const V0 = Buffer.from('0000000000000003' + '00000013' + '87a77ab2' + '00' + '00' + 'ffffffff' + '0000000568656c6c6f', 'hex')
const V1 = Buffer.from('000000000000000a' + '00000018' + '39268c33' + '01' + '00' + '0000018bcfe56800' + '000000016b' + '0000000176', 'hex')
// v1 gzip wrapper at offset 21 holding inner offsets 0 and 1: ("a","x",ts ...001) and (null,"y",ts ...002)
const V1_GZIP = Buffer.from('000000000000001500000051a1d7f6a101010000018bcfe56802ffffffff0000003b1f8b080000000000020363608003897dddb19318810cc6eef34f33c08c441051019507898887ea3ecf84ab61fa0f04204e25005db6386347000000', 'hex')

function setAttributes (entry: Buffer, attributes: number): Buffer {
  const b = Buffer.from(entry)
  b[17] = attributes
  b.writeUInt32BE(crc32(b.subarray(16)), 12)
  return b
}

test('hand-built v0 and v1 messages decode', async () => {
  assert.deepEqual(await decodeMessageSet(V0), [{
    offset: 3n, magic: 0, attributes: 0, timestampType: 0, timestamp: -1n, key: null, value: Buffer.from('hello'), compression: 0,
  }])
  assert.deepEqual(decodeMessageSetSync(V1), [{
    offset: 10n, magic: 1, attributes: 0, timestampType: 0, timestamp: 1700000000000n, key: Buffer.from('k'), value: Buffer.from('v'), compression: 0,
  }])
  assert.equal(decodeMessageSetSync(Buffer.concat([V0, V1])).length, 2)
})

test('hand-built v1 gzip wrapper: relative inner offsets resolve against the last', async () => {
  const records = await decodeMessageSet(V1_GZIP)
  assert.deepEqual(records.map(r => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp, r.compression]), [
    [20n, 'a', 'x', 1700000000001n, CompressionType.GZIP],
    [21n, null, 'y', 1700000000002n, CompressionType.GZIP],
  ])
})

test('encoder reproduces the hand-built v0 and v1 messages', () => {
  assert.deepEqual(encodeMessageSetSync({ magic: 0, records: [{ offset: 3n, key: null, value: 'hello' }] }), V0)
  assert.deepEqual(encodeMessageSetSync({ magic: 1, records: [{ offset: 10n, timestamp: 1700000000000n, key: 'k', value: 'v' }] }), V1)
})

const sample: LegacyRecordInput[] = [
  { offset: 40n, timestamp: 1000n, key: 'a', value: 'first' },
  { offset: 41n, timestamp: 1003n, key: null, value: 'second' },
  { offset: 42n, timestamp: 1001n, key: 'a', value: null },
  { offset: 45n, timestamp: 1002n, key: '', value: Buffer.alloc(20_000, 1) },
]

for (const magic of [0, 1] as const) {
  for (const compression of [0, 1, 2, 3] as const) {
    test(`legacy v${magic} round trip with ${compressionName(compression)}`, async () => {
      const input = { magic, compression, records: sample }
      for (const buf of [await encodeMessageSet(input), encodeMessageSetSync(input)]) {
        const records = await decodeMessageSet(buf)
        assert.deepEqual(records, decodeMessageSetSync(buf))
        assert.equal(records.length, sample.length)
        records.forEach((r, i) => {
          const want = sample[i]!
          assert.equal(r.magic, magic)
          assert.equal(r.offset, want.offset)
          assert.equal(r.timestamp, magic === 1 ? want.timestamp : -1n)
          assert.deepEqual(r.key, want.key == null ? null : Buffer.from(want.key))
          assert.deepEqual(r.value, want.value == null ? null : Buffer.from(want.value))
          assert.equal(r.compression, compression)
        })
        if (compression !== 0) {
          // one wrapper whose offset is the last inner offset; inner offsets absolute (v0) or relative (v1)
          assert.equal(buf.readBigInt64BE(0), 45n)
          assert.equal(buf.length, 12 + buf.readInt32BE(8))
          const keyLenAt = magic === 1 ? 26 : 18
          const inner = decompressSync(compression, buf.subarray(keyLenAt + 8), 1 << 20)
          const offsets: bigint[] = []
          for (let p = 0; p < inner.length; p += 12 + inner.readInt32BE(p + 8)) offsets.push(inner.readBigInt64BE(p))
          assert.deepEqual(offsets, magic === 1 ? [0n, 1n, 2n, 5n] : [40n, 41n, 42n, 45n])
          if (magic === 1) assert.equal(buf.readBigInt64BE(18), 1003n, 'wrapper timestamp is the max')
        }
      }
    })
  }
}

test('magic 0 lz4 wrappers carry Kafka\'s broken frame header checksum', () => {
  const buf = encodeMessageSetSync({ magic: 0, compression: CompressionType.LZ4, records: sample })
  const frame = buf.subarray(26)
  assert.equal(frame.readUInt32LE(0), 0x184d2204)
  assert.equal(frame[6], (xxh32(frame.subarray(0, 6)) >>> 8) & 0xff)
  const v1 = encodeMessageSetSync({ magic: 1, compression: CompressionType.LZ4, records: sample }).subarray(34)
  assert.equal(v1[6], (xxh32(v1.subarray(4, 6)) >>> 8) & 0xff)
})

test('v1 LogAppendTime wrapper stamps every inner record', async () => {
  const buf = await encodeMessageSet({ magic: 1, compression: CompressionType.GZIP, timestampType: TimestampType.LOG_APPEND_TIME, wrapperTimestamp: 5000n, records: sample })
  const records = await decodeMessageSet(buf)
  assert.deepEqual(records.map(r => [r.timestamp, r.timestampType]), sample.map(() => [5000n, TimestampType.LOG_APPEND_TIME]))
})

test('legacy decoding rejects corrupt input with Kafka error codes', async () => {
  const badCrc = Buffer.from(V1)
  badCrc.writeUInt8(badCrc.readUInt8(badCrc.length - 1) ^ 1, badCrc.length - 1)
  await assert.rejects(decodeMessageSet(badCrc), (e: unknown) => e instanceof RecordFormatError && e.errorCode === 2 && /CRC/.test(e.message))
  // an inner message with a bad CRC inside a valid wrapper
  const inner = encodeMessageSetSync({ magic: 1, records: [{ offset: 0n, value: 'x' }] })
  inner.writeUInt8(inner.readUInt8(inner.length - 1) ^ 1, inner.length - 1)
  const wrapper = encodeMessageSetSync({ magic: 1, records: [{ offset: 0n, value: gzipSync(inner) }] })
  await assert.rejects(decodeMessageSet(setAttributes(wrapper, 1)), /inside compressed wrapper.*CRC/)
  // zstd (4) and 5-7 are not legacy codecs
  for (const codec of [4, 5, 7]) {
    await assert.rejects(decodeMessageSet(setAttributes(V1, codec)), (e: unknown) => e instanceof RecordFormatError && e.errorCode === 76)
  }
  // a v2 batch where a message set is expected
  const v2 = encodeRecordBatchSync({ records: [{ value: 'x', timestamp: 1 }] })
  await assert.rejects(decodeMessageSet(v2), (e: unknown) => e instanceof RecordFormatError && e.errorCode === 87)
  // truncated
  await assert.rejects(decodeMessageSet(V1.subarray(0, V1.length - 1)), /runs past the end/)
  assert.equal(decodeMessageSetSync(Buffer.concat([V0, V1.subarray(0, 20)]), { allowTruncatedTail: true }).length, 1)
  // messageSize below the minimum; key length beyond the message
  const tiny = Buffer.from(V0)
  tiny.writeInt32BE(13, 8)
  assert.throws(() => decodeMessageSetSync(tiny), /below the minimum/)
  const longKey = Buffer.from(V0)
  longKey.writeInt32BE(1000, 18)
  longKey.writeUInt32BE(crc32(longKey.subarray(16)), 12)
  assert.throws(() => decodeMessageSetSync(longKey), /truncated/)
  // nested compression
  const nested = encodeMessageSetSync({ magic: 0, compression: CompressionType.GZIP, records: [{ offset: 0n, value: 'x' }] })
  const outer = setAttributes(encodeMessageSetSync({ magic: 0, records: [{ offset: 0n, value: gzipSync(nested) }] }), 1)
  assert.throws(() => decodeMessageSetSync(outer), /nested compression/)
})

test('legacy wrappers honour maxDecompressedBytes', async () => {
  const buf = await encodeMessageSet({ magic: 1, compression: CompressionType.SNAPPY, records: [{ offset: 0n, value: Buffer.alloc(500_000) }] })
  await assert.rejects(decodeMessageSet(buf, { maxDecompressedBytes: 100_000 }), DecompressionLimitError)
  assert.throws(() => decodeMessageSetSync(buf, { maxDecompressedBytes: 100_000 }), DecompressionLimitError)
})

test('up-conversion: legacy v0/v1 (compressed or not) becomes one v2 batch', async () => {
  for (const magic of [0, 1] as const) {
    for (const compression of [0, 2] as const) {
      const legacy = encodeMessageSetSync({ magic, compression, records: sample })
      for (const batch of [await messageSetToRecordBatch(legacy, { baseOffset: 7n }), messageSetToRecordBatchSync(legacy, { baseOffset: 7n })]) {
        const v = validateBatches(batch)
        assert.equal(v.error, null)
        assert.equal(v.batches.length, 1)
        assert.equal(v.batches[0]!.compression, compression)
        const [decoded] = await decodeRecordBatches(batch)
        assert.deepEqual(decoded!.records.map(r => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.length ?? null]),
          sample.map((s, i) => [7n + BigInt(i), magic === 1 ? s.timestamp : -1n, s.key ?? null, s.value == null ? null : Buffer.from(s.value).length]))
      }
    }
  }
  // client-style validation passes once offsets are the producer's (0)
  const produced = await messageSetToRecordBatch(encodeMessageSetSync({ magic: 1, records: sample }), { compression: CompressionType.LZ4 })
  assert.equal(validateBatches(produced, { client: true }).error, null)
  assert.equal(validateBatches(produced).batches[0]!.compression, CompressionType.LZ4)
  assert.equal((await messageSetToRecordBatch(Buffer.alloc(0))).length, 0)
})

test('down-conversion: v2 batches become a legacy set keeping offsets, timestamps, keys and values', async () => {
  const a = await encodeRecordBatch({
    baseOffset: 100n,
    records: [{ key: 'k1', value: 'v1', headers: [{ key: 'dropped', value: 'x' }], timestamp: 2000n }, { key: null, value: null, timestamp: 2001n }],
  })
  const marker = encodeEndTxnMarkerBatch({ baseOffset: 102n, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: true, timestamp: 3000n })
  const b = await encodeRecordBatch({
    baseOffset: 103n, compression: CompressionType.GZIP, lastOffsetDelta: 4,
    records: [{ key: 'k2', value: 'v2', timestamp: 2500n, offsetDelta: 0 }, { key: 'k3', value: 'v3', timestamp: 2400n, offsetDelta: 4 }],
  })
  const c = encodeRecordBatchSync({ baseOffset: 108n, compression: CompressionType.LZ4, records: [{ key: 'k4', value: 'v4', timestamp: 1n }] })
  setLogAppendTime(c, 9999n)
  const stored = Buffer.concat([a, marker, b, c, a.subarray(0, 30)]) // ends mid-batch, as a fetch range may
  const want = [[100n, 'k1', 'v1', 2000n], [101n, null, null, 2001n], [103n, 'k2', 'v2', 2500n], [107n, 'k3', 'v3', 2400n], [108n, 'k4', 'v4', 9999n]]
  for (const magic of [0, 1] as const) {
    for (const legacy of [await recordBatchesToMessageSet(stored, magic), recordBatchesToMessageSetSync(stored, magic)]) {
      const records = await decodeMessageSet(legacy)
      assert.deepEqual(records.map(r => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]),
        want.map(([o, k, v, t]) => [o, k, v, magic === 1 ? t : -1n]))
      assert.deepEqual(records.map(r => r.compression), [0, 0, 1, 1, 3])
      assert.ok(records.every(r => r.magic === magic))
      if (magic === 1) assert.equal(records[4]!.timestampType, TimestampType.LOG_APPEND_TIME)
    }
  }
  await assert.rejects(recordBatchesToMessageSet(stored, 1, { allowTruncatedTail: false }), RecordFormatError)
})

test('down-conversion of zstd fails with UNSUPPORTED_COMPRESSION_TYPE', async () => {
  const z = await encodeRecordBatch({ compression: CompressionType.ZSTD, records: [{ value: 'x', timestamp: 1 }] })
  await assert.rejects(recordBatchesToMessageSet(z, 1), (e: unknown) => e instanceof RecordFormatError && e.errorCode === 76)
})

test('v2 -> v1 -> v2 keeps keys, values, timestamps and offsets', async () => {
  const original = await encodeRecordBatch({ baseOffset: 0n, compression: CompressionType.SNAPPY, records: sample.map(s => ({ key: s.key, value: s.value, timestamp: s.timestamp })) })
  const back = await messageSetToRecordBatch(await recordBatchesToMessageSet(original, 1))
  const [x] = await decodeRecordBatches(original)
  const [y] = await decodeRecordBatches(back)
  assert.deepEqual(y!.records.map(r => [r.offset, r.timestamp, r.key, r.value]), x!.records.map(r => [r.offset, r.timestamp, r.key, r.value]))
})
