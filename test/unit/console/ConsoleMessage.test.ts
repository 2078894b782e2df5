import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RecordsBatch } from '@platformatic/kafka'
import { type ConsoleMessage, MAX_DISPLAY_BYTES, matchesFilter, messagesOfBatches, parseMessageFilter } from '../../../src/console/ConsoleMessage.ts'

function batch (firstOffset: bigint, records: Array<{ key?: Buffer | null, value: Buffer | null, headers?: Array<[Buffer | null, Buffer | null]> }>, attributes = 0): RecordsBatch {
  return {
    firstOffset, length: 0, partitionLeaderEpoch: -1, magic: 2, crc: 0, attributes, lastOffsetDelta: records.length - 1,
    firstTimestamp: 1_000n, maxTimestamp: 1_000n, producerId: -1n, producerEpoch: -1, firstSequence: -1,
    records: records.map((r, i) => ({ length: 0, attributes: 0, timestampDelta: BigInt(i * 10), offsetDelta: i, key: r.key ?? null, value: r.value, headers: r.headers ?? [] })),
  }
}

test('records become console messages: offsets, timestamps, text or base64, cut values, headers; control batches and earlier offsets skipped', () => {
  const big = Buffer.alloc(MAX_DISPLAY_BYTES + 10, 'a')
  const out = messagesOfBatches('t', 3, [
    batch(10n, [{ value: Buffer.from('before') }, { key: Buffer.from('k'), value: Buffer.from('héllo'), headers: [[Buffer.from('h'), Buffer.from('v')]] }]),
    batch(12n, [{ value: Buffer.from([0xff, 0xfe, 0x00]) }, { value: null }, { value: big }]),
    batch(15n, [{ value: Buffer.from('marker') }], 0x20),
  ], 11n)
  assert.deepEqual(out.map(m => [m.offset, m.timestamp, m.key, m.valueEncoding, m.truncated]), [
    [11, 1010, 'k', 'utf8', false], [12, 1000, null, 'base64', false], [13, 1010, null, 'utf8', false], [14, 1020, null, 'utf8', true],
  ])
  assert.equal(out[0]?.value, 'héllo')
  assert.deepEqual(out[0]?.headers, [['h', 'v']])
  assert.equal(out[1]?.value, Buffer.from([0xff, 0xfe, 0x00]).toString('base64'))
  assert.equal(out[2]?.value, null)
  assert.equal(out[3]?.value?.length, MAX_DISPLAY_BYTES)
  assert.equal(out[3]?.size, MAX_DISPLAY_BYTES + 10)
  // A cut inside a multi-byte character still shows the text before it.
  const euro = Buffer.concat([Buffer.alloc(MAX_DISPLAY_BYTES - 1, 'x'), Buffer.from('€€')])
  const [cut] = messagesOfBatches('t', 0, [batch(0n, [{ value: euro }])], 0n)
  assert.equal(cut?.valueEncoding, 'utf8')
  assert.equal(cut?.value, 'x'.repeat(MAX_DISPLAY_BYTES - 1))
})

test('filters: key and value substrings ignore case; from/to bound the timestamp; bad times are refused', () => {
  const m = { key: 'Sensor-1', value: '{"Temperature":21}', timestamp: 5_000 } as ConsoleMessage
  const f = (q: string) => parseMessageFilter(new URLSearchParams(q))
  assert.equal(matchesFilter(m, f('key=sensor')), true)
  assert.equal(matchesFilter(m, f('value=temperature&key=1')), true)
  assert.equal(matchesFilter(m, f('value=humidity')), false)
  assert.equal(matchesFilter(m, f('from=5000&to=5000')), true)
  assert.equal(matchesFilter(m, f('from=5001')), false)
  assert.equal(matchesFilter(m, f(`to=${new Date(4_999).toISOString()}`)), false)
  assert.equal(matchesFilter({ ...m, key: null }, f('key=s')), false)
  assert.deepEqual(f('key=&value='), {})
  assert.throws(() => f('from=soon'), RangeError)
})
