import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ConsoleMessage } from '../../../src/console/ConsoleMessage.ts'
import { readingOf } from '../../../src/console/StatsSampler.ts'

const msg = (value: string | null, key: string | null = null): ConsoleMessage => ({
  topic: 'sensors', partition: 0, offset: 0, timestamp: 1234, key, keyEncoding: 'utf8', value, valueEncoding: 'utf8', size: 0, truncated: false, headers: [],
})

test('a sensor reading is the numeric fields of a JSON object, named after its sensor', () => {
  assert.deepEqual(readingOf(msg('{"sensor_id":"sensor-1","seq":4,"timestamp":1.5,"temperature":21.5,"humidity":40,"unit":"C"}')),
    { t: 1234, values: { 'sensor-1 temperature': 21.5, 'sensor-1 humidity': 40 } })
  assert.deepEqual(readingOf(msg('{"temperature":20}', 'kitchen')), { t: 1234, values: { 'kitchen temperature': 20 } })
  assert.deepEqual(readingOf(msg('{"id":7,"pressure":1013}')), { t: 1234, values: { '7 pressure': 1013 } })
  assert.equal(readingOf(msg('not json')), null)
  assert.equal(readingOf(msg('[1,2]')), null)
  assert.equal(readingOf(msg('{"sensor_id":"s","seq":1}')), null)
  assert.equal(readingOf(msg(null)), null)
})
