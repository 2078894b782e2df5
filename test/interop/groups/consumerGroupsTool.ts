// kafka-consumer-groups on a classic group and a KIP-848 consumer group: --list, --describe (with
// the lag columns), --describe --state and --members, --reset-offsets --to-earliest --execute,
// --delete-offsets, --delete, and an unknown group. runConsumerGroupsTool returns what the tool
// printed, reduced to the fields (whitespace-separated columns, stderr's first line for errors)
// with the broker's address, ports, node ids and generated member ids replaced by placeholders,
// so the transcripts of samsa and of Apache Kafka can be compared as they are.
//
// The groups' members speak the protocol directly (this process): a classic member (JoinGroup +
// SyncGroup, a long session) and a consumer-protocol member that heartbeats in the background
// while the tools' JVMs run.

import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { ConsumerGroupHeartbeat, JoinGroup, LeaveGroup, Metadata, OffsetCommit, Produce, SyncGroup } from '../../../src/protocol/messages/index.ts'
import { encodeRecordBatchSync } from '../../../src/protocol/records/RecordBatch.ts'
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from '../../../src/protocol/messages/index.ts'
import { Writer } from '../../../src/protocol/Writer.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { runKafkaTool } from '../../helpers/kafkaTools.ts'
import type { KafkaJars } from '../../helpers/peers.ts'
import { createTopic, waitUntil } from './members.ts'

export const TOOL_TOPIC = 'tool-events'
export const CLASSIC_GROUP = 'tool-classic'
export const CONSUMER_GROUP = 'tool-consumer'
const CONSUMER_MEMBER = 'tool-member-1'
const RECORDS_PER_PARTITION = 8

function consumerProtocol (kind: 'subscription' | 'assignment', topic: string, partitions: number[]): Buffer {
  const w = new Writer()
  w.int16(0)
  if (kind === 'subscription') encodeMessage(ConsumerProtocolSubscription, 0, { topics: [topic], userData: null }, w)
  else encodeMessage(ConsumerProtocolAssignment, 0, { assignedPartitions: [{ topic, partitions }], userData: null }, w)
  return w.toBuffer()
}

export type ToolTranscript = Array<readonly [string, unknown]>

export async function runConsumerGroupsTool (bootstrap: string, kafka: KafkaJars): Promise<ToolTranscript> {
  const [host, port] = bootstrap.split(':') as [string, string]
  await using c = await KafkaTestClient.connect(host, Number(port), { clientId: 'tool-client' })
  await using hb = await KafkaTestClient.connect(host, Number(port), { clientId: 'tool-client' })
  await createTopic(c, TOOL_TOPIC, 2, CLASSIC_GROUP)
  await createTopic(c, `${TOOL_TOPIC}-2`, 1, CONSUMER_GROUP)
  for (const p of [0, 1]) {
    for (;;) {
      const records = encodeRecordBatchSync({ records: Array.from({ length: RECORDS_PER_PARTITION }, (_, i) => ({ value: `v${i}` })) })
      const r = await c.request(Produce, 7, { acks: -1, timeoutMs: 10_000, topicData: [{ name: TOOL_TOPIC, partitionData: [{ index: p, records }] }] })
      const code = r.responses[0]?.partitionResponses[0]?.errorCode
      if (code === ErrorCode.NONE) break
      assert.ok(code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `produce: error ${code}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  // The classic group: one member holding both partitions, offsets 3 and 5.
  const joinBody = {
    groupId: CLASSIC_GROUP, sessionTimeoutMs: 600_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: consumerProtocol('subscription', TOOL_TOPIC, []) }],
  }
  let j = await c.request(JoinGroup, 9, joinBody)
  if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) j = await c.request(JoinGroup, 9, { ...joinBody, memberId: j.memberId })
  assert.equal(j.errorCode, ErrorCode.NONE, 'classic join')
  const s = await c.request(SyncGroup, 5, {
    groupId: CLASSIC_GROUP, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
    assignments: [{ memberId: j.memberId, assignment: consumerProtocol('assignment', TOOL_TOPIC, [0, 1]) }],
  })
  assert.equal(s.errorCode, ErrorCode.NONE, 'classic sync')
  const cc = await c.request(OffsetCommit, 9, {
    groupId: CLASSIC_GROUP, generationIdOrMemberEpoch: j.generationId, memberId: j.memberId,
    topics: [{ name: TOOL_TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedMetadata: 'hi' }, { partitionIndex: 1, committedOffset: 5n }] }],
  })
  assert.deepEqual(cc.topics[0]?.partitions.map(p => p.errorCode), [0, 0], 'classic commit')

  // The consumer group: one member, both topics, offsets 2 and 6 on the first.
  const m = await c.request(Metadata, 12, { topics: [{ name: TOOL_TOPIC }, { name: `${TOOL_TOPIC}-2` }], allowAutoTopicCreation: false })
  const topicIds = new Map(m.topics.map(t => [t.topicId, t.name]))
  let epoch = 0
  let owned: Array<{ topicId: string, partitions: number[] }> = []
  const heartbeat = async (memberEpoch: number): Promise<void> => {
    const r = await hb.request(ConsumerGroupHeartbeat, 1, {
      groupId: CONSUMER_GROUP, memberId: CONSUMER_MEMBER, memberEpoch, rebalanceTimeoutMs: memberEpoch === 0 ? 30_000 : -1,
      subscribedTopicNames: memberEpoch === 0 ? [TOOL_TOPIC, `${TOOL_TOPIC}-2`] : null, topicPartitions: memberEpoch === 0 ? [] : owned,
    })
    assert.equal(r.errorCode, ErrorCode.NONE, `consumer heartbeat: error ${r.errorCode} ${r.errorMessage ?? ''}`)
    epoch = r.memberEpoch
    if (r.assignment !== null) owned = r.assignment.topicPartitions
  }
  await heartbeat(0)
  await waitUntil('the consumer member holds 3 partitions', () => owned.reduce((n, t) => n + t.partitions.length, 0) === 3, 30_000)
  let beating = true
  const beats = (async () => {
    while (beating) {
      await new Promise(resolve => setTimeout(resolve, 300))
      if (beating) await heartbeat(epoch)
    }
  })()
  try {
    const ownedNames = owned.map(t => topicIds.get(t.topicId))
    assert.deepEqual(ownedNames.sort(), [TOOL_TOPIC, `${TOOL_TOPIC}-2`])
    const ccc = await c.request(OffsetCommit, 9, {
      groupId: CONSUMER_GROUP, generationIdOrMemberEpoch: epoch, memberId: CONSUMER_MEMBER,
      topics: [{ name: TOOL_TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 2n }, { partitionIndex: 1, committedOffset: 6n }] }],
    })
    assert.deepEqual(ccc.topics[0]?.partitions.map(p => p.errorCode), [0, 0], 'consumer commit')

    const out: ToolTranscript = []
    const normalize = (text: string): string[][] => text.split('\n')
      .map(l => l.replaceAll(bootstrap, 'BROKER').replace(/127\.0\.0\.1:\d+/g, 'HOST:PORT').replace(/\(\d+\)/g, '(ID)')
        .replace(/-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '-UUID'))
      .map(l => l.trim().split(/\s+/)).filter(f => f.length > 0 && f[0] !== '')
    const tool = async (label: string, ...args: string[]): Promise<void> => {
      const r = await runKafkaTool('kafka-consumer-groups', ['--bootstrap-server', bootstrap, ...args], { kafka })
      let rows = normalize(r.stdout)
      let stderr = normalize(r.stderr).map(f => f.join(' ')).filter(l => !l.startsWith('SLF4J')).slice(0, 3)
      // An unknown group: Kafka 4.4 answers DescribeGroups v6 with GROUP_ID_NOT_FOUND, and the tool
      // prints that exception; samsa serves DescribeGroups up to v5 (a Dead group, no error), and
      // the tool prints its own message. Both are the same outcome, worded differently.
      if (rows.length === 1 && rows[0]?.[0] === 'Error:' && rows[0].join(' ').includes('tool-nope') &&
        /not found|does not exist/.test(rows[0].join(' '))) {
        rows = [['Error:', 'group', 'tool-nope', 'not', 'found']]
        stderr = []
      }
      // --list also shows groups of other tests on the same broker: only this file's groups.
      const shown = args.includes('--list') ? rows.filter(f => (f[0] ?? '').startsWith('tool-')).sort() : rows
      out.push([label, { code: r.code, stdout: shown, stderr }])
    }
    const both = ['--group', CLASSIC_GROUP, '--group', CONSUMER_GROUP]
    await tool('list with state and type', '--list', '--state', '--type')
    await tool('describe', '--describe', ...both)
    await tool('describe state', '--describe', ...both, '--state')
    await tool('describe members', '--describe', ...both, '--members')
    await tool('describe unknown', '--describe', '--group', 'tool-nope')

    // Members leave; the offsets can then be reset, deleted, and the groups deleted.
    beating = false
    await beats
    await heartbeat(-1)
    const left = await c.request(LeaveGroup, 5, { groupId: CLASSIC_GROUP, members: [{ memberId: j.memberId }] })
    assert.equal(left.errorCode, ErrorCode.NONE)
    await tool('reset', '--reset-offsets', ...both, '--topic', TOOL_TOPIC, '--to-earliest', '--execute')
    for (const g of [CLASSIC_GROUP, CONSUMER_GROUP]) await tool(`delete offsets ${g}`, '--delete-offsets', '--group', g, '--topic', `${TOOL_TOPIC}:1`)
    await tool('describe after', '--describe', ...both, '--offsets')
    await tool('delete', '--delete', ...both)
    await tool('list after', '--list')
    return out
  } finally {
    beating = false
    await beats.catch(() => {})
  }
}
