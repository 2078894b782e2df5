// CreatePartitions over TCP: increases only, assignments naming this node, validate_only, the
// per-request limit, and the new count surviving a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { CreatePartitions } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, describeTopics, RestartableBroker } from './controllerSupport.ts'
import { batchOf, produce } from './dataPathSupport.ts'

type Increase = { name: string, count: number, assignments: Array<{ brokerIds: number[] }> | null }

async function increase (client: KafkaTestClient, version: number, topics: Increase[], validateOnly = false) {
  const res = await client.request(CreatePartitions, version, { topics, timeoutMs: 1000, validateOnly })
  return res.results.map(r => [r.name, r.errorCode, r.errorMessage])
}

test('adds partitions at every version 0-3; the new ones take records and Metadata lists them', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'grow' })
  for (let v = 0; v <= 3; v++) {
    assert.deepEqual(await increase(client, v, [{ name: 'grow', count: v + 2, assignments: null }]), [['grow', 0, null]], `v${v}`)
  }
  const [md] = await describeTopics(client, ['grow'])
  assert.equal(md?.partitions.length, 5)
  const p = await produce(client, 9, 'grow', 4, batchOf(['x']))
  assert.equal(p.errorCode, 0)
  assert.equal(broker.replicaManager.partitionInfo('grow', 4)?.logEndOffset, 1)
})

test('only increases: the same or a lower count is INVALID_PARTITIONS with Kafka\'s message; unknown topics UNKNOWN_TOPIC_OR_PARTITION', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'cp', numPartitions: 2 })
  assert.deepEqual(await increase(client, 3, [
    { name: 'cp', count: 2, assignments: null },
  ]), [['cp', ErrorCode.INVALID_PARTITIONS, 'Topic already has 2 partition(s).']])
  assert.deepEqual(await increase(client, 1, [
    { name: 'cp', count: 1, assignments: null },
    { name: 'nope', count: 3, assignments: null },
    { name: 'bad name', count: 3, assignments: null },
  ]), [
    ['cp', ErrorCode.INVALID_PARTITIONS, 'The topic cp currently has 2 partition(s); 1 would not be an increase.'],
    ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
    ['bad name', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
  ])
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 0, assignments: null }]),
    [['cp', ErrorCode.INVALID_PARTITIONS, 'The topic cp currently has 2 partition(s); 0 would not be an increase.']])
  assert.equal(broker.metadata.topic('cp')?.partitions, 2)
})

test('assignments must name this node once per new partition; a repeated topic is INVALID_REQUEST', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'cp', numPartitions: 2 })
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 4, assignments: [{ brokerIds: [1] }] }]),
    [['cp', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.']])
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 3, assignments: [{ brokerIds: [7] }] }]),
    [['cp', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.']])
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 3, assignments: [{ brokerIds: [1, 1] }] }]),
    [['cp', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.']])
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 3, assignments: [{ brokerIds: [] }] }]),
    [['cp', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.']])
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 3, assignments: null }, { name: 'cp', count: 4, assignments: null }]),
    [['cp', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.']])
  assert.equal(broker.metadata.topic('cp')?.partitions, 2)
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 4, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }]), [['cp', 0, null]])
  assert.equal(broker.metadata.topic('cp')?.partitions, 4)
})

test('validate_only changes nothing; more than 10000 new partitions in one request is POLICY_VIOLATION', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'cp' })
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 8, assignments: null }], true), [['cp', 0, null]])
  assert.equal(broker.metadata.topic('cp')?.partitions, 1)
  assert.equal(broker.replicaManager.partitionInfo('cp', 1), undefined)
  assert.deepEqual(await increase(client, 3, [{ name: 'cp', count: 10_002, assignments: null }], true),
    [['cp', ErrorCode.POLICY_VIOLATION, 'Excessively large number of additional partitions per request.']])
})

test('the new partition count survives a restart', async t => {
  const rb = await RestartableBroker.start(t)
  let client = await rb.client()
  const id = await createTopic(client, { name: 'grown', numPartitions: 1 })
  assert.deepEqual(await increase(client, 3, [{ name: 'grown', count: 6, assignments: null }]), [['grown', 0, null]])
  await rb.restart()
  client = await rb.client()
  const [md] = await describeTopics(client, ['grown'])
  assert.equal(md?.topicId, id)
  assert.equal(md?.partitions.length, 6)
  assert.notEqual(rb.broker.replicaManager.partitionInfo('grown', 5), undefined)
})
