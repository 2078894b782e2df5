// DeleteTopics over TCP: by name (v0-5) and by name or id (v6), each error code, deletion
// disabled, logs removed (a recreated topic starts empty), persistence across restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { DeleteTopics } from '../../../src/protocol/messages/index.ts'
import { ZERO_UUID } from '../../../src/protocol/Reader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, describeTopics, RestartableBroker } from './controllerSupport.ts'
import { batchOf, produce } from './dataPathSupport.ts'

const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'

test('deletes by name at every version 0-5', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (let v = 0; v <= 5; v++) {
    await createTopic(client, { name: `gone-${v}`, numPartitions: 2 })
    const res = await client.request(DeleteTopics, v, { topicNames: [`gone-${v}`, 'never-was'], timeoutMs: 1000 })
    assert.deepEqual(res.responses.map(r => [r.name, r.errorCode, r.errorMessage]), [
      [`gone-${v}`, 0, null],
      ['never-was', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, v >= 5 ? 'This server does not host this topic-partition.' : null],
    ], `v${v}`)
    assert.equal(broker.metadata.topic(`gone-${v}`), undefined)
    assert.equal(broker.replicaManager.partitionInfo(`gone-${v}`, 0), undefined)
  }
})

test('v6 deletes by name or by id and reports both; every invalid combination gets its error', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const idA = await createTopic(client, { name: 'a' })
  const idB = await createTopic(client, { name: 'b' })
  const idC = await createTopic(client, { name: 'c' })
  const res = await client.request(DeleteTopics, 6, {
    topics: [
      { name: 'a', topicId: ZERO_UUID },
      { name: null, topicId: idB },
      { name: 'c', topicId: idC },
      { name: null, topicId: ZERO_UUID },
      { name: null, topicId: UNKNOWN_ID },
      { name: 'nope', topicId: ZERO_UUID },
      { name: 'bad name', topicId: ZERO_UUID },
    ],
    timeoutMs: 1000,
  })
  assert.deepEqual(res.responses.map(r => [r.name, r.topicId, r.errorCode, r.errorMessage]), [
    ['a', idA, 0, null],
    ['b', idB, 0, null],
    ['c', idC, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'],
    [null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'],
    [null, UNKNOWN_ID, ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'],
    ['nope', ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
    ['bad name', ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
  ])
  assert.deepEqual([...broker.metadata.allTopics()].map(x => x.name), ['c'])
})

test('repeated names or ids, or a name and an id of one topic, are INVALID_REQUEST and delete nothing', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const id = await createTopic(client, { name: 'x' })
  await createTopic(client, { name: 'y' })
  const res = await client.request(DeleteTopics, 6, {
    topics: [{ name: 'x', topicId: ZERO_UUID }, { name: 'x', topicId: ZERO_UUID }, { name: null, topicId: id }, { name: null, topicId: id }],
    timeoutMs: 1000,
  })
  assert.deepEqual(res.responses.map(r => [r.name, r.errorCode, r.errorMessage]), [
    ['x', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    [null, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'],
  ])
  const v5 = await client.request(DeleteTopics, 5, { topicNames: ['y', 'y'], timeoutMs: 1000 })
  assert.deepEqual(v5.responses.map(r => [r.name, r.errorCode]), [['y', ErrorCode.INVALID_REQUEST]])
  const both = await client.request(DeleteTopics, 6, { topics: [{ name: null, topicId: id }, { name: 'x', topicId: ZERO_UUID }], timeoutMs: 1000 })
  assert.deepEqual(both.responses.map(r => [r.name, r.errorCode]), [['x', ErrorCode.INVALID_REQUEST], ['x', ErrorCode.INVALID_REQUEST]])
  assert.deepEqual([...broker.metadata.allTopics()].map(x => x.name), ['x', 'y'])
})

test('delete.topic.enable=false: TOPIC_DELETION_DISABLED from v3, INVALID_REQUEST below', async t => {
  const { broker } = await startTestBroker(t, { 'delete.topic.enable': false })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'kept' })
  for (let v = 0; v <= 5; v++) {
    const res = await client.request(DeleteTopics, v, { topicNames: ['kept'], timeoutMs: 1000 })
    assert.equal(res.responses[0]?.errorCode, v >= 3 ? ErrorCode.TOPIC_DELETION_DISABLED : ErrorCode.INVALID_REQUEST, `v${v}`)
  }
  const v6 = await client.request(DeleteTopics, 6, { topics: [{ name: 'kept', topicId: ZERO_UUID }], timeoutMs: 1000 })
  assert.equal(v6.responses[0]?.errorCode, ErrorCode.TOPIC_DELETION_DISABLED)
  assert.equal(v6.responses[0]?.errorMessage, 'Topic deletion is disabled.')
  assert.notEqual(broker.metadata.topic('kept'), undefined)
})

test('a deleted topic\'s data is gone: the same name created again has a new id and empty logs', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const first = await createTopic(client, { name: 'reborn' })
  const p = await produce(client, 9, 'reborn', 0, batchOf(['a', 'b', 'c']))
  assert.equal(p.errorCode, 0)
  assert.equal(broker.replicaManager.partitionInfo('reborn', 0)?.logEndOffset, 3)
  const del = await client.request(DeleteTopics, 4, { topicNames: ['reborn'], timeoutMs: 1000 })
  assert.equal(del.responses[0]?.errorCode, 0)
  const [md] = await describeTopics(client, ['reborn'])
  assert.equal(md?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const second = await createTopic(client, { name: 'reborn' })
  assert.notEqual(second, first)
  assert.equal(broker.replicaManager.partitionInfo('reborn', 0)?.logEndOffset, 0)
})

test('internal topics can be deleted, as Kafka 4.4 allows (its tools refuse client-side)', async t => {
  const { broker } = await startTestBroker(t, { 'offsets.topic.num.partitions': 2 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await broker.controller.autoCreateTopic('__consumer_offsets')
  const res = await client.request(DeleteTopics, 6, { topics: [{ name: '__consumer_offsets', topicId: ZERO_UUID }], timeoutMs: 1000 })
  assert.equal(res.responses[0]?.errorCode, 0)
  assert.equal(broker.metadata.topic('__consumer_offsets'), undefined)
})

test('a deletion survives a restart', async t => {
  const rb = await RestartableBroker.start(t)
  let client = await rb.client()
  await createTopic(client, { name: 'stays' })
  await createTopic(client, { name: 'goes', numPartitions: 2 })
  const res = await client.request(DeleteTopics, 6, { topics: [{ name: 'goes', topicId: ZERO_UUID }], timeoutMs: 1000 })
  assert.equal(res.responses[0]?.errorCode, 0)
  await rb.restart()
  client = await rb.client()
  const all = await describeTopics(client, null)
  assert.deepEqual(all.map(x => x.name), ['stays'])
  assert.equal(rb.broker.replicaManager.partitionInfo('goes', 0), undefined)
})
