import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BrokerMetrics, countRecords } from '../../../src/metrics/BrokerMetrics.ts'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { parsePrometheusText } from '../../helpers/prometheusText.ts'

function batch (n: number): Buffer {
  return encodeRecordBatchSync({ baseOffset: 0n, records: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) })
}

test('countRecords counts the records of consecutive v2 batches and stops at a torn tail', () => {
  const two = Buffer.concat([batch(3), batch(4)])
  assert.equal(countRecords(two), 7)
  assert.equal(countRecords(Buffer.concat([two, batch(5).subarray(0, 30)])), 7)
  assert.equal(countRecords(Buffer.alloc(0)), 0)
})

test('Produce and Fetch responses move the per-topic counters; failed partitions do not', async () => {
  const m = new BrokerMetrics([{ key: 0, name: 'Produce' }, { key: 1, name: 'Fetch' }])
  const records = batch(2)
  m.onProduce(
    { topicData: [{ name: 't', partitionData: [{ index: 0, records }, { index: 1, records }] }] },
    { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0 }, { index: 1, errorCode: 6 }] }] },
  )
  m.onProduce({ topicData: [{ name: 'u', partitionData: [{ index: 0, records }] }] }, null) // acks=0: no response
  m.onFetch({ responses: [{ topic: 't', partitions: [{ records }, { records: Buffer.alloc(0) }] }] })
  const rm = m.request(0)
  assert.ok(rm !== undefined)
  rm.requests.inc()
  rm.totalTimeMs.observe(3)
  assert.equal(m.request(99), undefined)
  const p = parsePrometheusText(await m.registry.render())
  assert.equal(p.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 't' }), 2)
  assert.equal(p.value('kafka_server_brokertopicmetrics_bytesin_total', { topic: 't' }), records.length)
  assert.equal(p.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'u' }), 2)
  assert.equal(p.value('kafka_server_brokertopicmetrics_bytesout_total', { topic: 't' }), records.length)
  assert.equal(p.value('kafka_network_requestmetrics_requests_total', { request: 'Produce' }), 1)
  assert.equal(p.value('kafka_network_requestmetrics_totaltimems_count', { request: 'Produce' }), 1)
  assert.equal(p.value('kafka_network_requestmetrics_requests_total', { request: 'Fetch' }), 0)
})
