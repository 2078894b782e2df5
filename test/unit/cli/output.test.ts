import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodePayload, formatRecord, recordObject, renderTable, styleFor, toJson } from '../../../src/cli/output.ts'
import type { FetchedRecord } from '../../../src/tools/PartitionFetcher.ts'

test('colour only on a terminal, and never with NO_COLOR', () => {
  const saved = process.env.NO_COLOR
  try {
    delete process.env.NO_COLOR
    assert.equal(styleFor({ isTTY: true }).enabled, process.env.TERM !== 'dumb')
    assert.equal(styleFor({ isTTY: false }).enabled, false)
    assert.equal(styleFor({}).red('x'), 'x')
    process.env.NO_COLOR = '1'
    assert.equal(styleFor({ isTTY: true }).enabled, false)
    assert.equal(styleFor({ isTTY: true }).bold('x'), 'x')
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR
    else process.env.NO_COLOR = saved
  }
})

test('tables align columns as Kafka\'s tools do; missing cells are -', () => {
  assert.equal(renderTable(['GROUP', 'LAG'], [['g', 5n], ['longer-group', null]]), 'GROUP         LAG\ng             5\nlonger-group  -\n')
})

test('JSON writes bigints as numbers', () => {
  assert.equal(toJson({ offset: 12n, big: 2n ** 60n }), '{"offset":12,"big":"1152921504606846976"}')
})

test('payloads: JSON embedded, text as text, other bytes as base64', () => {
  assert.deepEqual(decodePayload(Buffer.from('{"a":1}')), { value: { a: 1 }, base64: false })
  assert.deepEqual(decodePayload(Buffer.from('42')), { value: '42', base64: false })
  assert.deepEqual(decodePayload(Buffer.from('{not json')), { value: '{not json', base64: false })
  assert.deepEqual(decodePayload(Buffer.from([0xff, 0x00])), { value: '/wA=', base64: true })
  assert.deepEqual(decodePayload(null), { value: null, base64: false })
})

test('a record as a JSON line, as readable text, and as its value', () => {
  const r: FetchedRecord = { topic: 't', partition: 1, offset: 7n, timestamp: 0n, key: Buffer.from('k'), value: Buffer.from('{"x":1}'), headers: [[Buffer.from('h'), Buffer.from('v')]] }
  assert.deepEqual(JSON.parse(formatRecord(r, 'json', styleFor({}))), { topic: 't', partition: 1, offset: 7, timestamp: 0, key: 'k', value: { x: 1 }, headers: { h: 'v' } })
  assert.equal(formatRecord(r, 'value', styleFor({})), '{"x":1}\n')
  assert.equal(formatRecord(r, 'pretty', styleFor({})), 't/1 @7  1970-01-01T00:00:00.000Z  key k\nheaders {"h":"v"}\n{\n  "x": 1\n}\n')
  assert.equal(recordObject({ ...r, value: Buffer.from([0xfe]) }).valueEncoding, 'base64')
})
