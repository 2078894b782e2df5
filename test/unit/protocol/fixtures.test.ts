// Byte fixtures written by hand from the wire spec (not produced by our encoder), decoded and
// re-encoded exactly; and malformed input rejected with DecodeError before any allocation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeMessage, encodeMessage, UNKNOWN_TAGS } from '../../../src/protocol/codec.ts'
import { ApiVersions, Heartbeat, Metadata, Fetch } from '../../../src/protocol/messages/index.ts'
import { DecodeError, Reader } from '../../../src/protocol/Reader.ts'
import { decodeRequest, encodeRequest, encodeResponse, decodeResponse } from '../../../src/protocol/RequestHeader.ts'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

test('ApiVersions v0 request: header v1 (int16 client id), empty body', () => {
  const frame = hex('0000000c  0012 0000 00000001 0002 6162')
  const { header, body } = decodeRequest(ApiVersions, frame.subarray(4))
  assert.deepEqual(header, { requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'ab' })
  assert.deepEqual(body, { clientSoftwareName: '', clientSoftwareVersion: '' })
  assert.deepEqual(encodeRequest(ApiVersions, 0, 1, 'ab', {}), frame)
})

test('ApiVersions v3 request: header v2 keeps the int16 client id, then a tag section; compact body', () => {
  const frame = hex('00000011  0012 0003 00000007 0001 63 00   02 78 02 31 00')
  const { header, body } = decodeRequest(ApiVersions, frame.subarray(4))
  assert.equal(header.clientId, 'c')
  assert.equal(header.correlationId, 7)
  assert.deepEqual(body, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })
  assert.deepEqual(encodeRequest(ApiVersions, 3, 7, 'c', body), frame)
})

test('ApiVersions v3 response: header v0 (no tag byte), compact array, defaults not tagged', () => {
  const body = hex('00000005  0000  02 0000 0000 000b 00  00000000  00')
  const frame = Buffer.concat(encodeResponse(ApiVersions, 3, 5, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }], throttleTimeMs: 0 }))
  assert.deepEqual(frame, Buffer.concat([hex('00000013'), body]))
  const { correlationId, body: decoded } = decodeResponse(ApiVersions, 3, body)
  assert.equal(correlationId, 5)
  assert.equal(decoded.finalizedFeaturesEpoch, -1n)
  assert.deepEqual(decoded.apiKeys, [{ apiKey: 0, minVersion: 0, maxVersion: 11 }])
})

test('ApiVersions v3 response with tagged fields: FinalizedFeaturesEpoch (tag 1) and ZkMigrationReady (tag 3)', () => {
  const bytes = hex('0000 01 00000000  02  01 08 0000000000000009  03 01 01')
  const v = decodeMessage(ApiVersions.response, 3, new Reader(bytes))
  assert.equal(v.finalizedFeaturesEpoch, 9n)
  assert.equal(v.zkMigrationReady, true)
  assert.deepEqual(encodeMessage(ApiVersions.response, 3, v).toBuffer(), bytes)
})

test('unknown tags are skipped on decode and written back on encode', () => {
  const bytes = hex('0000 01 00000000  02  01 08 0000000000000009  07 02 abcd')
  const v = decodeMessage(ApiVersions.response, 3, new Reader(bytes))
  assert.equal(v.finalizedFeaturesEpoch, 9n)
  assert.deepEqual((v as { [UNKNOWN_TAGS]?: unknown })[UNKNOWN_TAGS], [[7, hex('abcd')]])
  assert.deepEqual(encodeMessage(ApiVersions.response, 3, v).toBuffer(), bytes)
})

test('Metadata v0 request: int32 array of int16 strings', () => {
  const bytes = hex('00000002 0001 61 0002 6263')
  const v = decodeMessage(Metadata.request, 0, new Reader(bytes))
  assert.deepEqual(v.topics?.map(t => t.name), ['a', 'bc'])
  assert.deepEqual(encodeMessage(Metadata.request, 0, v).toBuffer(), bytes)
})

test('Metadata v1 request: null topics array means all topics', () => {
  const v = decodeMessage(Metadata.request, 1, new Reader(hex('ffffffff')))
  assert.equal(v.topics, null)
})

test('Heartbeat v4: compact strings, nullable compact string as uvarint 0, tag section', () => {
  const bytes = hex('02 67  00000003  03 6d31  00  00')
  const v = decodeMessage(Heartbeat.request, 4, new Reader(bytes))
  assert.deepEqual(v, { groupId: 'g', generationId: 3, memberId: 'm1', groupInstanceId: null })
  assert.deepEqual(encodeMessage(Heartbeat.request, 4, v).toBuffer(), bytes)
})

test('Fetch v12 response: a tagged nested struct (CurrentLeader, tag 1) inside a partition', () => {
  const fixed = hex(
    '00000000 0000 00000000' +
    '02 02 74' +
    '02 00000000 0000 000000000000000a 000000000000000a 0000000000000000' +
    '00 ffffffff 01' +
    '01 01 09 00000001 00000005 00' +
    '00' + '00')
  // a tagged value whose declared size is one byte short is rejected
  assert.throws(() => decodeMessage(Fetch.response, 12, new Reader(Buffer.from(fixed.toString('hex').replace('010109', '010108'), 'hex'))), DecodeError)
  const v = decodeMessage(Fetch.response, 12, new Reader(fixed))
  const p = v.responses[0]?.partitions[0]
  assert.deepEqual(p?.currentLeader, { leaderId: 1, leaderEpoch: 5 })
  assert.deepEqual(p?.divergingEpoch, { epoch: -1, endOffset: -1n })
  assert.deepEqual(p?.records, Buffer.alloc(0))
  assert.deepEqual(encodeMessage(Fetch.response, 12, v).toBuffer(), fixed)
})

test('malformed input raises DecodeError', () => {
  const bad: Array<[string, () => unknown]> = [
    ['array count beyond the bytes left', () => decodeMessage(Metadata.request, 0, new Reader(hex('7fffffff 0001 61')))],
    ['huge compact array count', () => decodeMessage(Metadata.request, 9, new Reader(hex('ffffffff0f')))],
    ['string longer than the frame', () => decodeMessage(Heartbeat.request, 0, new Reader(hex('0100 67')))],
    ['null for a non-nullable string', () => decodeMessage(Heartbeat.request, 0, new Reader(hex('ffff')))],
    ['truncated int32', () => decodeMessage(Heartbeat.request, 0, new Reader(hex('0001 67 0000')))],
    ['varint longer than 5 bytes', () => decodeMessage(Heartbeat.request, 4, new Reader(hex('ffffffffffff')))],
    ['version that does not exist', () => decodeMessage(Heartbeat.request, 99, new Reader(hex('')))],
    ['tags out of order', () => decodeMessage(ApiVersions.response, 3, new Reader(hex('0000 01 00000000 02 03 01 01 01 08 0000000000000009')))],
  ]
  for (const [what, f] of bad) assert.throws(f, DecodeError, what)
})

test('encoding a non-ignorable field at a version that lacks it fails; an ignorable one is dropped', () => {
  assert.throws(() => encodeMessage(Heartbeat.request, 0, { groupId: 'g', groupInstanceId: 'i' }), /groupInstanceId/)
  assert.deepEqual(encodeMessage(Heartbeat.response, 0, { throttleTimeMs: 5, errorCode: 0 }).toBuffer(), hex('0000'))
})
