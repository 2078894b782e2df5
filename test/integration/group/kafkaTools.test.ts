// Apache Kafka's own tools on samsa's groups: the console consumer's offsets and group-metadata
// formatters decode __consumer_offsets (so the record layout is Kafka's), and
// kafka-consumer-groups lists, describes (with lag), resets, deletes offsets and deletes groups.
// Needs the Kafka jars (requirePeer kafka).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DescribeGroups, LeaveGroup, OffsetCommit, OffsetFetch, Produce } from '../../../src/protocol/messages/index.ts'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { runKafkaToolOk } from '../../helpers/kafkaTools.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { assignment, createTopic, joinGroup, syncGroup } from './support.ts'

test('Kafka\'s formatters read __consumer_offsets and kafka-consumer-groups manages samsa\'s groups', async t => {
  const kafka = await requirePeer(t, 'kafka')
  if (kafka === undefined) return
  // One partition of __consumer_offsets: the console consumer reads every record in order.
  const { broker, bootstrap } = await startTestBroker(t, { 'offsets.topic.num.partitions': 1 })
  await createTopic(broker, 'events', 2)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (const p of [0, 1]) {
    const records = encodeRecordBatchSync({ records: Array.from({ length: 8 }, (_, i) => ({ value: `v${i}` })) })
    const r = await c.request(Produce, 7, { acks: -1, timeoutMs: 10_000, topicData: [{ name: 'events', partitionData: [{ index: p, records }] }] })
    assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, 0)
  }
  // The member never heartbeats: its session must outlast the tools' JVMs, however slow the machine.
  const j = await joinGroup(c, 9, 'printers', { topics: ['events'], sessionTimeoutMs: 600_000 })
  await syncGroup(c, 5, 'printers', j, [{ memberId: j.memberId, assignment: assignment('events', [0, 1]) }])
  const committed = await c.request(OffsetCommit, 9, {
    groupId: 'printers', generationIdOrMemberEpoch: 1, memberId: j.memberId,
    topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedMetadata: 'hi' }, { partitionIndex: 1, committedOffset: 5n, committedMetadata: null }] }],
  })
  assert.deepEqual(committed.topics[0]?.partitions.map(p => p.errorCode), [0, 0])

  const tool = (name: 'kafka-console-consumer' | 'kafka-consumer-groups', ...args: string[]): Promise<string> =>
    runKafkaToolOk(name, ['--bootstrap-server', bootstrap, ...args], { kafka }).then(r => r.stdout)
  // Two group metadata records (new group, generation 1), then the two offsets.
  const offsets = await tool('kafka-console-consumer', '--topic', '__consumer_offsets', '--from-beginning', '--max-messages', '4', '--timeout-ms', '30000',
    '--formatter', 'org.apache.kafka.tools.consumer.OffsetsMessageFormatter')
  assert.match(offsets, /\{"key":\{"type":1,"data":\{"group":"printers","topic":"events","partition":0\}\},"value":\{"version":3,"data":\{"offset":3,"leaderEpoch":-1,"metadata":"hi","commitTimestamp":\d+\}\}\}/)
  assert.match(offsets, /"partition":1\}\},"value":\{"version":3,"data":\{"offset":5,"leaderEpoch":-1,"metadata":"","commitTimestamp":\d+\}\}\}/)
  const groups = await tool('kafka-console-consumer', '--topic', '__consumer_offsets', '--from-beginning', '--max-messages', '2', '--timeout-ms', '30000',
    '--formatter', 'org.apache.kafka.tools.consumer.GroupMetadataMessageFormatter')
  assert.match(groups, /\{"key":\{"type":2,"data":\{"group":"printers"\}\},"value":\{"version":3,"data":\{"protocolType":"","generation":0,"protocol":null,"leader":null,/)
  assert.ok(groups.includes(`"generation":1,"protocol":"range","leader":"${j.memberId}"`), groups)
  assert.ok(groups.includes(`"members":[{"memberId":"${j.memberId}","groupInstanceId":null,"clientId":"samsa-test","clientHost":"/127.0.0.1","rebalanceTimeout":30000,"sessionTimeout":600000,`), groups)

  const described = await tool('kafka-consumer-groups', '--describe', '--group', 'printers')
  const rows = described.split('\n').map(l => l.trim().split(/\s+/)).filter(r => r[0] === 'printers')
  assert.deepEqual(rows, [
    ['printers', 'events', '0', '3', '8', '5', j.memberId, '/127.0.0.1', 'samsa-test'],
    ['printers', 'events', '1', '5', '8', '3', j.memberId, '/127.0.0.1', 'samsa-test'],
  ])
  assert.ok((await tool('kafka-consumer-groups', '--list')).split('\n').includes('printers'))

  // Offsets can be reset and deleted, and the group deleted, once it has no members.
  await c.request(LeaveGroup, 5, { groupId: 'printers', members: [{ memberId: j.memberId }] })
  await tool('kafka-consumer-groups', '--reset-offsets', '--group', 'printers', '--topic', 'events', '--to-earliest', '--execute')
  const reset = await c.request(OffsetFetch, 8, { groups: [{ groupId: 'printers', topics: null }] })
  assert.deepEqual(reset.groups[0]?.topics[0]?.partitions.map(p => [p.partitionIndex, p.committedOffset]), [[0, 0n], [1, 0n]])
  await tool('kafka-consumer-groups', '--delete-offsets', '--group', 'printers', '--topic', 'events:1')
  const deleted = await c.request(OffsetFetch, 8, { groups: [{ groupId: 'printers', topics: null }] })
  assert.deepEqual(deleted.groups[0]?.topics[0]?.partitions.map(p => p.partitionIndex), [0])
  await tool('kafka-consumer-groups', '--delete', '--group', 'printers')
  const gone = await c.request(DescribeGroups, 5, { groups: ['printers'] })
  assert.equal(gone.groups[0]?.groupState, 'Dead')
})
