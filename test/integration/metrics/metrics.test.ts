// /metrics on a real broker: produce and fetch through a real client, commit a group offset, then
// scrape and check that the text parses as Prometheus' exposition format and that the request,
// topic, log, connection, group and lag figures moved as they must.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { Broker } from '../../../src/broker/Broker.ts'
import { startTestBroker, testLogger } from '../../helpers/broker.ts'
import { parsePrometheusText, type PromText } from '../../helpers/prometheusText.ts'

function get (port: number, path: string, method = 'GET'): Promise<{ status: number, type: string, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function scrape (port: number): Promise<PromText> {
  const res = await get(port, '/metrics')
  assert.equal(res.status, 200)
  assert.match(res.type, /^text\/plain; version=0\.0\.4/)
  return parsePrometheusText(res.body)
}

test('/metrics is off unless samsa.metrics.port is set', async (t) => {
  const { broker } = await startTestBroker(t)
  assert.equal(broker.metricsPort, -1)
})

test('/metrics reports requests, bytes, messages, log sizes, connections, groups and lag under Kafka\'s names', async (t) => {
  const { broker, bootstrap } = await startTestBroker(t, { 'samsa.metrics.port': 0 })
  const port = broker.metricsPort
  assert.ok(port > 0)

  const before = await scrape(port)
  assert.equal(before.value('kafka_network_requestmetrics_requests_total', { request: 'Produce' }), 0)
  assert.equal(before.families.get('kafka_network_requestmetrics_totaltimems')?.type, 'histogram')

  const admin = new Admin({ clientId: 'metrics-test', bootstrapBrokers: [bootstrap] })
  const producer = new Producer({ clientId: 'metrics-test', bootstrapBrokers: [bootstrap], autocreateTopics: false })
  const consumer = new Consumer({ clientId: 'metrics-test', groupId: 'metrics-reader', bootstrapBrokers: [bootstrap] })
  t.after(async () => { await consumer.close(true); await producer.close(); await admin.close() })
  await admin.createTopics({ topics: ['m1'], partitions: 2, replicas: 1 })
  const values = ['one', 'two', 'three', 'four', 'five']
  await producer.send({ messages: values.map(v => ({ topic: 'm1', value: Buffer.from(v), partition: 0 })) })
  await producer.send({ messages: [{ topic: 'm1', value: Buffer.from('six'), partition: 1 }] })

  // Read partition 0 with a plain Fetch, then commit offset 2 for a group: its lag is 5 - 2 = 3.
  const md = await consumer.metadata({ topics: ['m1'] })
  const topicId = md.topics.get('m1')?.id as string
  const fetched = await consumer.fetch({ node: broker.nodeId, topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], maxWaitTime: 0 })
  assert.equal(fetched.responses[0]?.partitions[0]?.records?.reduce((n, b) => n + b.records.length, 0), 5)
  await admin.alterConsumerGroupOffsets({ groupId: 'lagging', topics: [{ name: 'm1', partitionOffsets: [{ partition: 0, offset: 2n }] }] })

  const m = await scrape(port)
  assert.ok((m.value('kafka_network_requestmetrics_requests_total', { request: 'Produce' }) ?? 0) >= 2)
  assert.ok((m.value('kafka_network_requestmetrics_requests_total', { request: 'Fetch' }) ?? 0) >= 1)
  assert.ok((m.value('kafka_network_requestmetrics_requests_total', { request: 'Metadata' }) ?? 0) >= 1)
  assert.ok((m.value('kafka_network_requestmetrics_totaltimems_count', { request: 'Produce' }) ?? 0) >= 2)
  assert.ok((m.value('kafka_network_requestmetrics_requestbytes_total', { request: 'Produce' }) ?? 0) > 0)
  assert.ok((m.value('kafka_network_requestmetrics_responsebytes_total', { request: 'Fetch' }) ?? 0) > 0)
  assert.equal(m.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'm1' }), 6)
  const bytesIn = m.value('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'm1' }) ?? 0
  const bytesOut = m.value('kafka_server_brokertopicmetrics_bytesout_total', { topic: 'm1' }) ?? 0
  assert.ok(bytesIn > 0 && bytesOut > 0, `bytes in ${bytesIn}, out ${bytesOut}`)
  assert.ok((m.value('kafka_log_log_size', { topic: 'm1', partition: '0' }) ?? 0) > 0)
  assert.equal(m.value('kafka_log_log_logendoffset', { topic: 'm1', partition: '0' }), 5)
  assert.equal(m.value('kafka_log_log_logendoffset', { topic: 'm1', partition: '1' }), 1)
  assert.equal(m.value('kafka_cluster_partition_highwatermark', { topic: 'm1', partition: '0' }), 5)
  assert.ok((m.value('kafka_server_replicamanager_partitioncount') ?? 0) >= 2)
  assert.ok((m.value('kafka_server_socket_server_metrics_connection_count') ?? 0) >= 1)
  assert.ok((m.value('kafka_coordinator_group_groupmetadatamanager_numgroups') ?? 0) >= 1)
  assert.equal(m.value('kafka_consumergroup_current_offset', { consumergroup: 'lagging', topic: 'm1', partition: '0' }), 2)
  assert.equal(m.value('kafka_consumergroup_lag', { consumergroup: 'lagging', topic: 'm1', partition: '0' }), 3)

  // More records raise the lag; deleting the topic removes its series.
  await producer.send({ messages: [{ topic: 'm1', value: Buffer.from('seven'), partition: 0 }] })
  const after = await scrape(port)
  assert.equal(after.value('kafka_consumergroup_lag', { consumergroup: 'lagging', topic: 'm1', partition: '0' }), 4)
  assert.equal(after.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'm1' }), 7)
  await admin.deleteTopics({ topics: ['m1'] })
  const gone = await scrape(port)
  assert.equal(gone.find('kafka_log_log_size', { topic: 'm1' }).length, 0)
  assert.equal(gone.find('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'm1' }).length, 0)

  assert.equal((await get(port, '/other')).status, 404)
  assert.equal((await get(port, '/metrics', 'POST')).status, 405)
})

test('a /metrics port in use stops the broker from starting and leaves nothing listening', async (t) => {
  const { broker: first } = await startTestBroker(t, { 'samsa.metrics.port': 0 })
  const dir = await mkdtemp(join(tmpdir(), 'samsa-test-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const broker = new Broker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'samsa.metrics.port': first.metricsPort }, logger: testLogger() })
  await assert.rejects(broker.start(), /EADDRINUSE/)
  assert.equal(broker.connectionCount, 0)
  // Its Kafka listener was closed again: the port it bound refuses connections.
  const refused = await new Promise<boolean>(resolve => {
    const s = connect({ host: '127.0.0.1', port: broker.port }, () => { s.destroy(); resolve(false) })
    s.on('error', () => resolve(true))
  })
  assert.ok(refused, `port ${broker.port} still accepts connections`)
})
