// Cross-checks against the record codecs inside two real Kafka clients that are devDependencies:
// @platformatic/kafka (public createRecordsBatch/readRecordsBatches) and kafkajs (its internal
// RecordBatch and MessageSet encoders/decoders). Bytes they write must validate and decode here,
// and bytes we write must decode there. Captured frames from other clients come later.

import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { createRecordsBatch, Reader, readRecordsBatches } from '@platformatic/kafka'
import { CompressionType, compressionName } from '../../../../src/protocol/records/compression/CompressionType.ts'
import { decodeMessageSet, encodeMessageSet } from '../../../../src/protocol/records/MessageSet.ts'
import { decodeRecordBatches, encodeRecordBatch, validateBatches } from '../../../../src/protocol/records/RecordBatch.ts'

const require = createRequire(import.meta.url)

interface KafkajsEncoder { buffer: Buffer }
type KafkajsRecordBatch = (opts: object) => Promise<KafkajsEncoder>
type KafkajsRecord = (opts: object) => KafkajsEncoder
type KafkajsMessageSet = (opts: object) => KafkajsEncoder
interface KafkajsDecodedRecord { key: Buffer | null, value: Buffer | null, offset: string, timestamp: string, headers: { [k: string]: Buffer } }
type KafkajsBatchDecoder = (decoder: object) => Promise<{ records: KafkajsDecodedRecord[], firstOffset: string }>
type KafkajsMessageSetDecoder = (decoder: object, size: number) => Promise<Array<{ key: Buffer | null, value: Buffer | null, offset: string, timestamp?: string }>>
type DecoderClass = new (buf: Buffer) => object

const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: KafkajsRecordBatch }
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as KafkajsRecord
const kafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as KafkajsBatchDecoder
const KafkajsMessageSet = require('kafkajs/src/protocol/messageSet') as KafkajsMessageSet
const kafkajsMessageSetDecoder = require('kafkajs/src/protocol/messageSet/decoder') as KafkajsMessageSetDecoder
const Decoder = require('kafkajs/src/protocol/decoder') as DecoderClass

const platformaticCodecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

for (const [id, name] of platformaticCodecs.entries()) {
  test(`@platformatic/kafka ${name} batch validates and decodes here`, async () => {
    const batch = createRecordsBatch([
      { topic: 't', key: Buffer.from('k'), value: Buffer.alloc(50_000, 'v'), headers: new Map([[Buffer.from('h'), Buffer.from('hv')]]), timestamp: 1700000000000n },
      { topic: 't', value: Buffer.from('second'), timestamp: 1700000000007n },
    ], { compression: name, producerId: 5n, producerEpoch: 1, partitionLeaderEpoch: -1 }).buffer
    const v = validateBatches(batch, { client: true })
    assert.equal(v.error, null)
    assert.equal(v.batches[0]!.compression, id)
    const [decoded] = await decodeRecordBatches(batch)
    assert.deepEqual(decoded!.records.map(r => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.length, r.headers.map(h => [h.key, h.value?.toString()])]), [
      [0n, 1700000000000n, 'k', 50_000, [['h', 'hv']]],
      [1n, 1700000000007n, null, 6, []],
    ])
  })
}

// @platformatic/kafka reads snappy only as one raw block, not in the xerial framing Kafka's Java
// client and broker write, so only the other codecs are checked in this direction.
for (const id of [CompressionType.NONE, CompressionType.GZIP, CompressionType.LZ4, CompressionType.ZSTD]) {
  test(`our ${compressionName(id)} batch decodes in @platformatic/kafka`, async () => {
    const ours = await encodeRecordBatch({
      baseOffset: 42n, compression: id,
      records: [{ key: 'a', value: 'b'.repeat(3000), headers: [{ key: 'x', value: 'y' }], timestamp: 5n }, { value: null, timestamp: 6n }],
    })
    const [batch] = readRecordsBatches(Reader.from(ours))
    assert.equal(batch!.firstOffset, 42n)
    assert.deepEqual(batch!.records.map(r => [r.offsetDelta, r.timestampDelta, r.key?.toString() ?? null, r.value?.length ?? null, r.headers.map(h => h.map(x => x?.toString()))]), [
      [0, 0n, 'a', 3000, [['x', 'y']]],
      [1, 1n, null, null, []],
    ])
  })
}

for (const compression of [CompressionType.NONE, CompressionType.GZIP]) {
  test(`kafkajs ${compressionName(compression)} batch <-> ours`, async () => {
    const records = [
      KafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: { h: Buffer.from('hv') } }),
      KafkajsRecord({ offsetDelta: 1, timestampDelta: 3, key: null, value: Buffer.from('v2') }),
    ]
    const theirs = (await KafkajsRecordBatch({ compression, firstTimestamp: 1700000000000, maxTimestamp: 1700000000003, lastOffsetDelta: 1, records })).buffer
    const v = validateBatches(theirs)
    assert.equal(v.error, null)
    const [decoded] = await decodeRecordBatches(theirs)
    assert.deepEqual(decoded!.records.map(r => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString(), r.headers.map(h => [h.key, h.value?.toString()])]), [
      [0n, 1700000000000n, 'k1', 'v1', [['h', 'hv']]],
      [1n, 1700000000003n, null, 'v2', []],
    ])

    const ours = await encodeRecordBatch({ baseOffset: 10n, compression, records: [{ key: 'a', value: 'b', headers: [{ key: 'x', value: 'y' }], timestamp: 9n }, { value: 'c', timestamp: 11n }] })
    const back = await kafkajsBatchDecoder(new Decoder(ours))
    assert.deepEqual(back.records.map(r => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString(), Object.keys(r.headers)]), [
      ['10', '9', 'a', 'b', ['x']],
      ['11', '11', null, 'c', []],
    ])
  })
}

test('kafkajs legacy message sets (v0, v1) decode here', async () => {
  for (const messageVersion of [0, 1]) {
    const theirs = KafkajsMessageSet({
      messageVersion, compression: 0,
      entries: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1700000000000 }, { key: null, value: Buffer.from('w'), timestamp: 1700000000001 }],
    }).buffer
    const records = await decodeMessageSet(theirs)
    assert.deepEqual(records.map(r => [r.magic, r.key?.toString() ?? null, r.value?.toString(), r.timestamp]), [
      [messageVersion, 'k', 'v', messageVersion === 1 ? 1700000000000n : -1n],
      [messageVersion, null, 'w', messageVersion === 1 ? 1700000000001n : -1n],
    ])
  }
})

test('our legacy message sets (v0, v1, plain and gzip wrapped) decode in kafkajs', async () => {
  for (const magic of [0, 1] as const) {
    for (const compression of [CompressionType.NONE, CompressionType.GZIP]) {
      const ours = await encodeMessageSet({ magic, compression, records: [{ offset: 7n, timestamp: 100n, key: 'a', value: 'x' }, { offset: 9n, timestamp: 101n, value: 'y' }] })
      const messages = await kafkajsMessageSetDecoder(new Decoder(ours), ours.length)
      assert.deepEqual(messages.map(m => [m.offset, m.key?.toString() ?? null, m.value?.toString()]), [['7', 'a', 'x'], ['9', null, 'y']])
    }
  }
})
