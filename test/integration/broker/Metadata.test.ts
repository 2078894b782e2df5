// Metadata over TCP: this node as broker and controller at every version, topics listed all /
// by name / by id, auto-creation on and off, and the per-topic errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { Metadata } from '../../../src/protocol/messages/index.ts'
import { ZERO_UUID } from '../../../src/protocol/Reader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, describeTopics, RestartableBroker } from './controllerSupport.ts'

const MIN_INT = -2147483648

/** A Metadata request body valid at `version` (fields outside the version left out). */
function body (version: number, topics: Array<{ name: string | null, topicId?: string }> | null, allowAutoTopicCreation = true) {
  return {
    topics: topics === null ? (version === 0 ? [] : null) : topics.map(t => ({ name: t.name, ...(version >= 10 ? { topicId: t.topicId ?? ZERO_UUID } : {}) })),
    ...(version >= 4 ? { allowAutoTopicCreation } : {}),
  }
}

test('every version lists this node at its advertised address as the only broker and the controller', async t => {
  const { broker } = await startTestBroker(t, { 'node.id': 7, 'broker.rack': 'rack-a', 'auto.create.topics.enable': false })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'orders', numPartitions: 3 })
  for (let v = 0; v <= 12; v++) {
    const res = await client.request(Metadata, v, body(v, [{ name: 'orders' }]))
    assert.deepEqual(res.brokers, [{ nodeId: 7, host: '127.0.0.1', port: broker.port, rack: v >= 1 ? 'rack-a' : null }], `v${v}`)
    assert.equal(res.controllerId, v >= 1 ? 7 : -1, `v${v} controller`)
    assert.equal(res.clusterId, v >= 2 ? broker.metadata.clusterId : null, `v${v} cluster id`)
    assert.equal(res.topics.length, 1)
    const topic = res.topics[0]!
    assert.equal(topic.errorCode, 0)
    assert.equal(topic.name, 'orders')
    assert.equal(topic.isInternal, false)
    assert.equal(topic.topicId, v >= 10 ? broker.metadata.topic('orders')?.topicId : ZERO_UUID)
    assert.deepEqual(topic.partitions, [0, 1, 2].map(i => ({
      errorCode: 0, partitionIndex: i, leaderId: 7, leaderEpoch: -1, replicaNodes: [7], isrNodes: [7], offlineReplicas: [],
    })), `v${v} partitions`)
    assert.equal(topic.topicAuthorizedOperations, MIN_INT)
  }
})

test('advertised.listeners is what clients are told', async t => {
  const { broker } = await startTestBroker(t, { 'advertised.listeners': 'PLAINTEXT://kafka.example:19092' })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const res = await client.request(Metadata, 12, body(12, []))
  assert.deepEqual(res.brokers.map(b => [b.host, b.port]), [['kafka.example', 19092]])
  assert.deepEqual(res.topics, [])
})

test('all topics: v0 with an empty list, v1+ with null; v1+ with [] none; sorted by name', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const name of ['b', 'c', 'a']) await createTopic(client, { name })
  for (const v of [0, 1, 5, 9, 12]) {
    const all = await client.request(Metadata, v, body(v, null))
    assert.deepEqual(all.topics.map(x => x.name), ['a', 'b', 'c'], `v${v}`)
  }
  for (const v of [1, 9, 12]) {
    const none = await client.request(Metadata, v, { topics: [], ...(v >= 4 ? { allowAutoTopicCreation: true } : {}) })
    assert.deepEqual(none.topics, [], `v${v}`)
  }
})

test('unknown and invalid topics get UNKNOWN_TOPIC_OR_PARTITION and INVALID_TOPIC_EXCEPTION when auto-creation is off', async t => {
  const { broker } = await startTestBroker(t, { 'auto.create.topics.enable': false })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const v of [0, 1, 4, 9, 12]) {
    const res = await client.request(Metadata, v, body(v, [{ name: 'missing' }, { name: 'bad name' }, { name: '__consumer_offsets' }]))
    assert.deepEqual(res.topics.map(x => [x.name, x.errorCode, x.partitions.length]), [
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
      ['__consumer_offsets', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
    ], `v${v}`)
    assert.equal(res.topics[2]!.isInternal, v >= 1, `v${v} internal flag`)
  }
  assert.equal(broker.metadata.topicCount, 0)
})

test('auto-creation: v0-3 always (when enabled), v4+ only when the request allows it; the topic is ready at once', async t => {
  const { broker } = await startTestBroker(t, { 'num.partitions': 2 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const v1 = await client.request(Metadata, 1, body(1, [{ name: 'auto-v1' }]))
  assert.equal(v1.topics[0]!.errorCode, ErrorCode.NONE)
  assert.equal(v1.topics[0]!.partitions.length, 2)
  const refused = await client.request(Metadata, 12, body(12, [{ name: 'auto-v12' }], false))
  assert.equal(refused.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal(broker.metadata.topic('auto-v12'), undefined)
  const created = await client.request(Metadata, 12, body(12, [{ name: 'auto-v12' }, { name: 'bad/name' }], true))
  assert.deepEqual(created.topics.map(x => [x.name, x.errorCode, x.partitions.length]), [['auto-v12', 0, 2], ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION, 0]])
  assert.equal(created.topics[0]!.topicId, broker.metadata.topic('auto-v12')?.topicId)
  assert.notEqual(created.topics[0]!.topicId, ZERO_UUID)
  // The logs exist: the data path knows every partition.
  for (const p of [0, 1]) assert.notEqual(broker.replicaManager.partitionInfo('auto-v12', p), undefined)
})

test('auto-creation disabled by auto.create.topics.enable=false at every version', async t => {
  const { broker } = await startTestBroker(t, { 'auto.create.topics.enable': false })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const v of [0, 3, 4, 12]) {
    const res = await client.request(Metadata, v, body(v, [{ name: `t${v}` }], true))
    assert.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${v}`)
  }
  assert.equal(broker.metadata.topicCount, 0)
})

test('concurrent auto-creation of one topic from several connections creates it once', async t => {
  const { broker } = await startTestBroker(t)
  const clients = await Promise.all([0, 1, 2, 3].map(() => KafkaTestClient.connect('127.0.0.1', broker.port)))
  t.after(async () => { for (const c of clients) await c.close() })
  const answers = await Promise.all(clients.map(c => c.request(Metadata, 12, body(12, [{ name: 'raced' }], true))))
  const ids = new Set(answers.map(a => a.topics[0]!.topicId))
  assert.equal(ids.size, 1)
  assert.deepEqual(answers.map(a => a.topics[0]!.errorCode), [0, 0, 0, 0])
  assert.equal(broker.metadata.topicCount, 1)
})

test('v10+ topics by id: known ids resolve, unknown ones get UNKNOWN_TOPIC_ID (name null from v12), no name nor id INVALID_REQUEST', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const id = await createTopic(client, { name: 'by-id', numPartitions: 2 })
  for (const v of [10, 11, 12]) {
    const res = await client.request(Metadata, v, {
      topics: [{ name: null, topicId: id }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }],
      allowAutoTopicCreation: true,
    })
    assert.deepEqual(res.topics.map(x => [x.name, x.topicId, x.errorCode, x.partitions.length]), [
      ['by-id', id, 0, 2],
      [v >= 12 ? null : '', 'AAAAAAAAAAAAAAAAAAAAAQ', ErrorCode.UNKNOWN_TOPIC_ID, 0],
    ], `v${v}`)
  }
  const neither = await client.request(Metadata, 12, { topics: [{ name: null, topicId: ZERO_UUID }], allowAutoTopicCreation: true })
  assert.equal(neither.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST)
  assert.equal(broker.metadata.topicCount, 1)
})

test('internal topics are flagged; auto-creating __consumer_offsets uses offsets.topic.num.partitions and compaction', async t => {
  const { broker } = await startTestBroker(t, { 'offsets.topic.num.partitions': 3, 'num.partitions': 5 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const res = await client.request(Metadata, 9, body(9, [{ name: '__consumer_offsets' }]))
  assert.equal(res.topics[0]!.errorCode, 0)
  assert.equal(res.topics[0]!.isInternal, true)
  assert.equal(res.topics[0]!.partitions.length, 3)
  assert.deepEqual(broker.metadata.topic('__consumer_offsets')?.configs.get('cleanup.policy'), ['compact'])
  const all = await client.request(Metadata, 1, body(1, null))
  assert.deepEqual(all.topics.map(x => [x.name, x.isInternal]), [['__consumer_offsets', true]])
})

test('authorized operations are reported only when asked (v8+): everything is allowed', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'ops' })
  const asked = await client.request(Metadata, 8, { topics: [{ name: 'ops' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true })
  assert.equal(asked.topics[0]!.topicAuthorizedOperations, 3576)
  assert.equal(asked.clusterAuthorizedOperations, 8096)
  const notAsked = await client.request(Metadata, 10, { topics: [{ name: 'ops', topicId: ZERO_UUID }], allowAutoTopicCreation: false })
  assert.equal(notAsked.topics[0]!.topicAuthorizedOperations, MIN_INT)
  assert.equal(notAsked.clusterAuthorizedOperations, MIN_INT)
})

test('a repeated topic is answered once', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'twice' })
  const res = await client.request(Metadata, 12, body(12, [{ name: 'twice' }, { name: 'twice' }]))
  assert.deepEqual(res.topics.map(x => x.name), ['twice'])
})

test('topics, their ids and partition counts survive a restart; auto-created ones too', async t => {
  const rb = await RestartableBroker.start(t, { 'num.partitions': 2 })
  let client = await rb.client()
  const id = await createTopic(client, { name: 'kept', numPartitions: 4 })
  await client.request(Metadata, 12, body(12, [{ name: 'auto-kept' }], true))
  const autoId = rb.broker.metadata.topic('auto-kept')?.topicId
  const clusterId = rb.broker.metadata.clusterId
  await rb.restart()
  client = await rb.client()
  const res = await client.request(Metadata, 12, body(12, null))
  assert.equal(res.clusterId, clusterId)
  assert.deepEqual(res.topics.map(x => [x.name, x.topicId, x.partitions.length]), [['auto-kept', autoId, 2], ['kept', id, 4]])
  const byId = await describeTopics(client, ['kept'])
  assert.equal(byId[0]!.topicId, id)
})
