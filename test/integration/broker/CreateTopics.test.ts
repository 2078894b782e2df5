// CreateTopics over TCP: each error code with Kafka's message, defaults (-1), manual assignments,
// validate_only, the v5+ configs in the answer, v7 topic ids, concurrency and persistence.
import { test } from 'node:test'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { CreateTopics, Metadata } from '../../../src/protocol/messages/index.ts'
import { ZERO_UUID } from '../../../src/protocol/Reader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic, createTopics, creatable, describeTopics, RestartableBroker } from './controllerSupport.ts'

test('creates topics at every version 0-7; v5+ returns partitions, replication factor and configs, v7 the topic id', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (let v = 0; v <= 7; v++) {
    const [r] = await createTopics(client, v, [{ name: `v${v}`, numPartitions: 2, configs: { 'retention.ms': '1000' } }])
    assert.ok(r !== undefined)
    assert.equal(r.errorCode, 0, `v${v}: ${r.errorMessage ?? ''}`)
    const stored = broker.metadata.topic(`v${v}`)
    assert.equal(stored?.partitions, 2)
    assert.equal(stored?.configs.get('retention.ms'), 1000n)
    assert.equal(r.topicId, v >= 7 ? stored?.topicId : ZERO_UUID)
    assert.equal(r.numPartitions, v >= 5 ? 2 : -1)
    assert.equal(r.replicationFactor, v >= 5 ? 1 : -1)
    if (v >= 5) {
      const configs = new Map((r.configs ?? []).map(c => [c.name, c]))
      assert.deepEqual(configs.get('retention.ms'), { name: 'retention.ms', value: '1000', readOnly: false, configSource: 1, isSensitive: false })
      assert.deepEqual(configs.get('segment.bytes'), { name: 'segment.bytes', value: '1073741824', readOnly: false, configSource: 5, isSensitive: false })
      assert.deepEqual(configs.get('min.insync.replicas'), { name: 'min.insync.replicas', value: '1', readOnly: false, configSource: 5, isSensitive: false })
    }
  }
  // The logs exist for every partition.
  for (const p of [0, 1]) assert.notEqual(broker.replicaManager.partitionInfo('v7', p), undefined)
})

test('-1 partitions and replication factor take num.partitions and default.replication.factor (v4+)', async t => {
  const { broker } = await startTestBroker(t, { 'num.partitions': 3 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const [r] = await createTopics(client, 4, [{ name: 'defaults', numPartitions: -1, replicationFactor: -1 }])
  assert.equal(r?.errorCode, 0)
  assert.equal(broker.metadata.topic('defaults')?.partitions, 3)
})

test('a static broker config shows as STATIC_BROKER_CONFIG in the created topic\'s configs', async t => {
  const { broker } = await startTestBroker(t, { 'log.segment.bytes': 2097152 })
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const [r] = await createTopics(client, 7, [{ name: 'static' }])
  const seg = r?.configs?.find(c => c.name === 'segment.bytes')
  assert.deepEqual(seg, { name: 'segment.bytes', value: '2097152', readOnly: false, configSource: 4, isSensitive: false })
})

test('name errors: INVALID_TOPIC_EXCEPTION for illegal names and collisions, TOPIC_ALREADY_EXISTS, INVALID_REQUEST for a repeated name', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'foo.bar' })
  for (const v of [1, 4, 7]) {
    const rs = await createTopics(client, v, [
      { name: '' }, { name: 'a b' }, { name: '.' }, { name: 'x'.repeat(250) }, { name: 'foo_bar' }, { name: 'foo.bar' },
      { name: 'dup' }, { name: 'dup' }, { name: '__cluster_metadata' },
    ])
    assert.deepEqual(rs.map(r => [r.name.slice(0, 10), r.errorCode]), [
      ['', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['a b', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['.', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['xxxxxxxxxx', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['foo_bar', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['foo.bar', ErrorCode.TOPIC_ALREADY_EXISTS],
      ['dup', ErrorCode.INVALID_REQUEST],
      ['__cluster_', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ], `v${v}`)
    assert.match(rs[0]!.errorMessage ?? '', /^Topic name is invalid: /)
    assert.equal(rs[4]!.errorMessage, "Topic 'foo_bar' collides with existing topic: foo.bar")
    assert.equal(rs[5]!.errorMessage, "Topic 'foo.bar' already exists.")
    assert.equal(rs[6]!.errorMessage, 'Duplicate topic name.')
    for (const r of rs) assert.deepEqual([r.topicId, r.numPartitions, r.replicationFactor], [ZERO_UUID, -1, -1])
  }
  assert.deepEqual([...broker.metadata.allTopics()].map(x => x.name), ['foo.bar'])
})

test('partition and replication errors: INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR with Kafka\'s message, POLICY_VIOLATION past the per-request limit', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const rs = await createTopics(client, 7, [
    { name: 'p0', numPartitions: 0 }, { name: 'pm2', numPartitions: -2 },
    { name: 'rf3', replicationFactor: 3 }, { name: 'rf0', replicationFactor: 0 }, { name: 'rfm2', replicationFactor: -2 },
    { name: 'huge', numPartitions: 10_001 },
  ])
  assert.deepEqual(rs.map(r => [r.name, r.errorCode, r.errorMessage]), [
    ['p0', ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ['pm2', ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ['rf3', ErrorCode.INVALID_REPLICATION_FACTOR, 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.'],
    ['rf0', ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
    ['rfm2', ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
    ['huge', ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'],
  ])
  // v2 (kafka-python's admin range) answers the same codes.
  const v2 = await createTopics(client, 2, [{ name: 'rf2', replicationFactor: 2 }])
  assert.equal(v2[0]?.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR)
  assert.equal(broker.metadata.topicCount, 0)
})

test('config errors: INVALID_CONFIG naming the key; configs are checked before partitions', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const rs = await createTopics(client, 7, [
    { name: 'c1', configs: { 'retention.ms': 'abc' } },
    { name: 'c2', configs: { nope: '1' } },
    { name: 'c3', configs: { 'retention.ms': null } },
    { name: 'c4', configs: { 'cleanup.policy': 'bogus' } },
    { name: 'c5', numPartitions: 0, configs: { 'max.message.bytes': '99999999999' } },
  ])
  assert.deepEqual(rs.map(r => [r.name, r.errorCode]), [['c1', 40], ['c2', 40], ['c3', 40], ['c4', 40], ['c5', 40]])
  assert.match(rs[0]!.errorMessage ?? '', /^Invalid value abc for configuration retention\.ms: /)
  assert.equal(rs[1]!.errorMessage, 'Unknown topic config name: nope')
  assert.equal(rs[2]!.errorMessage, 'Null value not supported for topic configs: retention.ms')
  assert.match(rs[3]!.errorMessage ?? '', /cleanup\.policy/)
  assert.match(rs[4]!.errorMessage ?? '', /max\.message\.bytes/)
  assert.equal(broker.metadata.topicCount, 0)
})

test('manual assignments: [node] per partition is accepted; every invalid layout gets Kafka\'s code and message', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const a = (...lists: Array<[number, number[]]>) => lists.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds }))
  const rs = await createTopics(client, 7, [
    { name: 'ok', numPartitions: -1, replicationFactor: -1, assignments: a([1, [1]], [0, [1]]) },
    { name: 'np', numPartitions: 2, replicationFactor: -1, assignments: a([0, [1]]) },
    { name: 'rf', numPartitions: -1, replicationFactor: 1, assignments: a([0, [1]]) },
    { name: 'other-broker', numPartitions: -1, replicationFactor: -1, assignments: a([0, [5]]) },
    { name: 'gap', numPartitions: -1, replicationFactor: -1, assignments: a([1, [1]]) },
    { name: 'twice', numPartitions: -1, replicationFactor: -1, assignments: a([0, [1, 1]]) },
    { name: 'empty', numPartitions: -1, replicationFactor: -1, assignments: a([0, []]) },
    { name: 'same-partition', numPartitions: -1, replicationFactor: -1, assignments: a([0, [1]], [0, [1]]) },
  ])
  assert.deepEqual(rs.map(r => [r.name, r.errorCode, r.errorMessage]), [
    ['ok', 0, null],
    ['np', ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.'],
    ['rf', ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.'],
    ['other-broker', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 5, but no such broker is registered.'],
    ['gap', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
    ['twice', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.'],
    ['empty', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
    ['same-partition', ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Found multiple manual partition assignments for partition 0'],
  ])
  assert.equal(rs[0]!.numPartitions, 2)
  assert.deepEqual([...broker.metadata.allTopics()].map(x => [x.name, x.partitions]), [['ok', 2]])
})

test('validate_only checks everything and creates nothing (v1+)', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'exists' })
  for (const v of [1, 5, 7]) {
    const rs = await createTopics(client, v, [{ name: 'would-be', numPartitions: 3, configs: { 'cleanup.policy': 'compact' } }, { name: 'exists' }, { name: 'rf', replicationFactor: 2 }], true)
    assert.deepEqual(rs.map(r => [r.name, r.errorCode]), [['would-be', 0], ['exists', ErrorCode.TOPIC_ALREADY_EXISTS], ['rf', ErrorCode.INVALID_REPLICATION_FACTOR]], `v${v}`)
    if (v >= 5) {
      assert.equal(rs[0]!.numPartitions, 3)
      assert.equal(rs[0]!.configs?.find(c => c.name === 'cleanup.policy')?.value, 'compact')
    }
  }
  assert.deepEqual([...broker.metadata.allTopics()].map(x => x.name), ['exists'])
  assert.equal(broker.replicaManager.partitionInfo('would-be', 0), undefined)
})

test('concurrent creates of one topic on several connections: exactly one succeeds', async t => {
  const { broker } = await startTestBroker(t)
  const clients = await Promise.all([0, 1, 2, 3, 4].map(() => KafkaTestClient.connect('127.0.0.1', broker.port)))
  t.after(async () => { for (const c of clients) await c.close() })
  const results = await Promise.all(clients.map(c => c.request(CreateTopics, 7, { topics: [creatable({ name: 'race', numPartitions: 2 })], timeoutMs: 1000, validateOnly: false })))
  const codes = results.map(r => r.topics[0]!.errorCode).sort((a, b) => a - b)
  assert.deepEqual(codes, [0, 36, 36, 36, 36])
  assert.equal(broker.metadata.topicCount, 1)
})

test('topics, ids, partition counts and config overrides survive a restart', async t => {
  const rb = await RestartableBroker.start(t)
  let client = await rb.client()
  const id = await createTopic(client, { name: 'durable', numPartitions: 3, configs: { 'retention.ms': '12345', 'cleanup.policy': 'compact,delete' } })
  await rb.restart()
  client = await rb.client()
  const [md] = await describeTopics(client, ['durable'])
  assert.equal(md?.errorCode, 0)
  assert.equal(md?.topicId, id)
  assert.equal(md?.partitions.length, 3)
  const t2 = rb.broker.metadata.topic('durable')
  assert.equal(t2?.configs.get('retention.ms'), 12345n)
  assert.deepEqual(t2?.configs.get('cleanup.policy'), ['compact', 'delete'])
  // Creating it again is refused after the restart too.
  const [again] = await createTopics(client, 7, [{ name: 'durable' }])
  assert.equal(again?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
})

test('when a log cannot be created the topic is not created (KAFKA_STORAGE_ERROR; auto-creation LEADER_NOT_AVAILABLE), and a retry works', async t => {
  const { broker, dir } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  // A file where the partition directory should go makes creating the log fail.
  const blocker = join(dir, 'blocked-0')
  await writeFile(blocker, 'not a directory')
  const [r] = await createTopics(client, 7, [{ name: 'blocked' }])
  assert.equal(r?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.equal(broker.metadata.topic('blocked'), undefined)
  const md = await client.request(Metadata, 12, { topics: [{ name: 'blocked', topicId: ZERO_UUID }], allowAutoTopicCreation: true })
  assert.equal(md.topics[0]?.errorCode, ErrorCode.LEADER_NOT_AVAILABLE)
  assert.equal(broker.metadata.topic('blocked'), undefined)
  await rm(blocker)
  const [again] = await createTopics(client, 7, [{ name: 'blocked' }])
  assert.equal(again?.errorCode, 0)
  assert.notEqual(broker.replicaManager.partitionInfo('blocked', 0), undefined)
})
