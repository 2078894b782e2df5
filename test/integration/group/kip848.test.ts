// KIP-848 consumer groups against samsa alone, over TCP: the group's state lives in
// __consumer_offsets (it is back after a clean restart and after kill -9, members carry on with
// their epochs, and Kafka's own kafka-dump-log decodes every record); a member that stops
// heartbeating is fenced after group.consumer.session.timeout.ms and one that does not revoke
// after its rebalance timeout; group.consumer.max.size; the API off when
// group.coordinator.rebalance.protocols leaves `consumer` out; a topic that grows or disappears
// changes the assignment; classic JoinGroup against a consumer group.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import {
  ConsumerGroupDescribe, ConsumerGroupHeartbeat, CreatePartitions, CreateTopics, DeleteTopics, JoinGroup, Metadata, OffsetCommit, OffsetFetch,
} from '../../../src/protocol/messages/index.ts'
import type { ConsumerGroupHeartbeatResponse } from '../../../src/protocol/messages/ConsumerGroupHeartbeat.ts'
import { ZERO_UUID } from '../../../src/protocol/Reader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { startBrokerProcess } from '../../helpers/brokerProcess.ts'
import { runKafkaToolOk } from '../../helpers/kafkaTools.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { eventually, subscription } from './support.ts'

type Owned = Array<{ topicId: string, partitions: number[] }>

/** A KIP-848 member speaking ConsumerGroupHeartbeat v1 itself, remembering what it was told. */
class Member {
  readonly c: KafkaTestClient
  readonly groupId: string
  readonly memberId: string
  readonly instanceId: string | null
  epoch = 0
  owned: Owned = []
  constructor (c: KafkaTestClient, groupId: string, memberId: string, instanceId: string | null = null) {
    this.c = c
    this.groupId = groupId
    this.memberId = memberId
    this.instanceId = instanceId
  }

  async join (topics: string[], opts: { rebalanceTimeoutMs?: number, assignor?: string } = {}): Promise<ConsumerGroupHeartbeatResponse> {
    const r = await this.c.request(ConsumerGroupHeartbeat, 1, {
      groupId: this.groupId, memberId: this.memberId, memberEpoch: 0, instanceId: this.instanceId, rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 30_000,
      subscribedTopicNames: topics, serverAssignor: opts.assignor ?? null, topicPartitions: [],
    })
    return this.took(r)
  }

  /** A heartbeat owning what the member was last told (ack of revocations included). */
  async beat (owned: Owned | null = this.owned): Promise<ConsumerGroupHeartbeatResponse> {
    const r = await this.c.request(ConsumerGroupHeartbeat, 1, {
      groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, rebalanceTimeoutMs: -1, topicPartitions: owned,
    })
    return this.took(r)
  }

  async leave (epoch = -1): Promise<ConsumerGroupHeartbeatResponse> {
    return await this.c.request(ConsumerGroupHeartbeat, 1, { groupId: this.groupId, memberId: this.memberId, memberEpoch: epoch, instanceId: this.instanceId })
  }

  private took (r: ConsumerGroupHeartbeatResponse): ConsumerGroupHeartbeatResponse {
    if (r.errorCode === ErrorCode.NONE) {
      this.epoch = r.memberEpoch
      if (r.assignment !== null) this.owned = r.assignment.topicPartitions
    }
    return r
  }

  get count (): number { return this.owned.reduce((n, t) => n + t.partitions.length, 0) }
}

async function createTopic (c: KafkaTestClient, name: string, partitions: number): Promise<string> {
  const r = await c.request(CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1 }], timeoutMs: 30_000 })
  assert.equal(r.topics[0]?.errorCode, ErrorCode.NONE, `create ${name}`)
  const m = await c.request(Metadata, 12, { topics: [{ name }], allowAutoTopicCreation: false })
  return m.topics[0]?.topicId as string
}

/** Heartbeats every member until none changes: the group has reconciled. */
async function settle (members: readonly Member[]): Promise<void> {
  await eventually('the members settle on their assignments', async () => {
    let changed = false
    for (const m of members) {
      const before = JSON.stringify([m.epoch, m.owned])
      const r = await m.beat()
      assert.equal(r.errorCode, ErrorCode.NONE, `${m.memberId}: error ${r.errorCode} ${r.errorMessage ?? ''}`)
      if (JSON.stringify([m.epoch, m.owned]) !== before) changed = true
    }
    return changed ? undefined : true
  })
}

const describeGroup = async (c: KafkaTestClient, groupId: string): Promise<unknown> => {
  const d = await c.request(ConsumerGroupDescribe, 0, { groupIds: [groupId], includeAuthorizedOperations: false })
  const g = d.groups[0]
  return g === undefined
    ? undefined
    : {
        errorCode: g.errorCode, state: g.groupState, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, assignor: g.assignorName,
        members: g.members.map(m => [m.memberId, m.instanceId, m.memberEpoch, m.subscribedTopicNames, m.subscribedTopicRegex,
          m.assignment.topicPartitions.map(t => [t.topicName, t.partitions]), m.targetAssignment.topicPartitions.map(t => [t.topicName, t.partitions])])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      }
}

test('a consumer group is back after a restart and after kill -9; kafka-dump-log decodes its records', async t => {
  const broker = await startBrokerProcess(t, { overrides: { 'offsets.topic.num.partitions': 1, 'group.consumer.session.timeout.ms': 120_000, 'group.initial.rebalance.delay.ms': 0 } })
  const connect = (): Promise<KafkaTestClient> => KafkaTestClient.connect(broker.host, broker.port, { clientId: 'kip848-test' })
  let c = await connect()
  await createTopic(c, 'readings', 4)
  const a = new Member(c, 'durable', 'member-a')
  const b = new Member(c, 'durable', 'member-b', 'static-b')
  const x = new Member(c, 'durable', 'member-x')
  assert.equal((await a.join(['readings'])).errorCode, ErrorCode.NONE)
  assert.equal((await b.join(['readings'], { assignor: 'range' })).errorCode, ErrorCode.NONE)
  const rx = await c.request(ConsumerGroupHeartbeat, 1, { groupId: 'durable', memberId: 'member-x', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicRegex: 'read.*', topicPartitions: [] })
  assert.equal(rx.errorCode, ErrorCode.NONE)
  x.epoch = rx.memberEpoch
  x.owned = rx.assignment?.topicPartitions ?? []
  await settle([a, b, x])
  const commit = await c.request(OffsetCommit, 9, { groupId: 'durable', generationIdOrMemberEpoch: a.epoch, memberId: 'member-a', topics: [{ name: 'readings', partitions: (a.owned[0]?.partitions ?? []).map(p => ({ partitionIndex: p, committedOffset: 7n })) }] })
  assert.ok(commit.topics[0]?.partitions.every(p => p.errorCode === ErrorCode.NONE))
  const before = await describeGroup(c, 'durable')
  assert.equal((before as { state: string }).state, 'Stable')
  const offsets = async (): Promise<unknown> => (await c.request(OffsetFetch, 9, { groups: [{ groupId: 'durable', topics: null }] })).groups[0]?.topics

  const committed = await offsets()
  for (const how of ['restart', 'kill -9'] as const) {
    c.close()
    if (how === 'restart') { await broker.stop(); await broker.restart() } else { await broker.kill9(); await broker.restart() }
    c = await connect()
    for (const m of [a, b, x]) (m as { c: KafkaTestClient }).c = c
    await eventually(`the group is loaded after a ${how}`, async () => {
      const d = await describeGroup(c, 'durable') as { errorCode: number } | undefined
      return d?.errorCode === ErrorCode.NONE ? true : undefined
    })
    assert.deepEqual(await describeGroup(c, 'durable'), before, `the group after a ${how}`)
    assert.deepEqual(await offsets(), committed, `the offsets after a ${how}`)
    // The members carry on with the epochs they had; nothing moves.
    for (const m of [a, b, x]) {
      const epoch = m.epoch
      const r = await m.beat()
      assert.deepEqual([r.errorCode, r.memberEpoch], [ErrorCode.NONE, epoch], `${m.memberId} after a ${how}`)
    }
  }
  c.close()

  // Kafka's dump tool reads the partition of __consumer_offsets with Kafka's own record classes.
  const kafka = await requirePeer(t, 'kafka')
  if (kafka === undefined) return
  const dir = join(broker.dataDir, '__consumer_offsets-0')
  const segments = (await readdir(dir)).filter(f => f.endsWith('.log')).map(f => join(dir, f))
  const dump = await runKafkaToolOk('kafka-dump-log', ['--offsets-decoder', '--print-data-log', '--files', segments.join(',')], { kafka })
  const text = dump.stdout
  for (const type of [3, 5, 6, 7, 8, 16]) assert.match(text, new RegExp(`key: \\{"type":"${type}","data":\\{"groupId":"durable"`), `kafka-dump-log decodes record type ${type}`)
  assert.match(text, /"memberId":"member-b"\}\} payload: \{"version":"0","data":\{"instanceId":"static-b",.*"serverAssignor":"range"\}/)
  assert.match(text, /"regularExpression":"read\.\*"\}\} payload: \{"version":"0","data":\{"topics":\["readings"\]/)
  assert.match(text, /"assignedPartitions":\[\{"topicId":"[\w-]{22}","partitions":\[[\d,]+\],"assignmentEpochs":\[[\d,]+\]\}\]/)
  assert.doesNotMatch(text, /Unknown|Exception|error/i)
})

test('a member that stops heartbeating is fenced after the session timeout; one that keeps revoked partitions after its rebalance timeout', async t => {
  const { broker } = await startTestBroker(t, { 'group.consumer.session.timeout.ms': 1500, 'group.consumer.heartbeat.interval.ms': 200 })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port, { clientId: 'kip848-test' })
  await createTopic(c, 'ticks', 4)
  const a = new Member(c, 'timeouts', 'member-a')
  const b = new Member(c, 'timeouts', 'member-b')
  const r = await a.join(['ticks'])
  assert.equal(r.heartbeatIntervalMs, 200)
  await b.join(['ticks'])
  await settle([a, b])
  assert.deepEqual([a.count, b.count], [2, 2])
  // b goes silent; a keeps heartbeating and gets b's partitions once b's session expired.
  await eventually('a gets all 4 partitions after b\'s session expired', async () => {
    const res = await a.beat()
    assert.equal(res.errorCode, ErrorCode.NONE)
    return a.count === 4 ? true : undefined
  })
  assert.equal((await b.beat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'b was removed')

  // c joins with a 300 ms rebalance timeout; a is asked to revoke, never does, and is fenced.
  const c2 = new Member(c, 'timeouts', 'member-c')
  await c2.join(['ticks'])
  const asked = await a.beat()
  assert.equal(asked.errorCode, ErrorCode.NONE)
  assert.equal(a.count, 2, 'a is asked to give up 2 partitions')
  const slow = new Member(c, 'slow', 'member-s')
  await slow.join(['ticks'], { rebalanceTimeoutMs: 300 })
  const other = new Member(c, 'slow', 'member-t')
  await other.join(['ticks'])
  const told = await slow.beat()
  assert.equal(told.errorCode, ErrorCode.NONE)
  const all = [{ topicId: slow.owned[0]?.topicId ?? '', partitions: [0, 1, 2, 3] }]
  await eventually('the slow member is fenced for not revoking within its rebalance timeout', async () => {
    const res = await slow.beat(all) // still claims every partition
    if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH) return true
    assert.equal(res.errorCode, ErrorCode.NONE)
    const o = await other.beat()
    assert.equal(o.errorCode, ErrorCode.NONE)
    return undefined
  })
  await eventually('the other member gets all 4 partitions', async () => {
    await other.beat()
    return other.count === 4 ? true : undefined
  })
})

test('group.consumer.max.size, the consumer protocol switched off, JoinGroup on a consumer group', async t => {
  const { broker } = await startTestBroker(t, { 'group.consumer.max.size': 1 })
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port, { clientId: 'kip848-test' })
  await createTopic(c, 'limits', 2)
  const a = new Member(c, 'small', 'member-a')
  assert.equal((await a.join(['limits'])).errorCode, ErrorCode.NONE)
  const full = await new Member(c, 'small', 'member-b').join(['limits'])
  assert.equal(full.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
  assert.match(full.errorMessage ?? '', /maximum capacity of 1 members/)

  const joinBody = { groupId: 'small', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: 'k', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['limits']) }] }
  assert.equal((await c.request(JoinGroup, 9, joinBody)).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a classic member cannot join a live consumer group')
  assert.equal((await a.leave()).errorCode, ErrorCode.NONE)
  const join = await c.request(JoinGroup, 9, joinBody)
  assert.equal(join.errorCode, ErrorCode.NONE, 'an empty consumer group becomes a classic group')
  const d = await c.request(ConsumerGroupDescribe, 0, { groupIds: ['small'], includeAuthorizedOperations: false })
  assert.equal(d.groups[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
  assert.equal((await a.join(['limits'])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'and a live classic group is not a consumer group')

  const { broker: classicOnly } = await startTestBroker(t, { 'group.coordinator.rebalance.protocols': 'classic' })
  await using c2 = await KafkaTestClient.connect('127.0.0.1', classicOnly.port, { clientId: 'kip848-test' })
  await createTopic(c2, 'limits', 1)
  assert.equal((await new Member(c2, 'g', 'member-a').join(['limits'])).errorCode, ErrorCode.UNSUPPORTED_VERSION)
})

test('new partitions and a deleted topic change the assignment', async t => {
  const { broker } = await startTestBroker(t)
  await using c = await KafkaTestClient.connect('127.0.0.1', broker.port, { clientId: 'kip848-test' })
  const first = await createTopic(c, 'grows', 2)
  const second = await createTopic(c, 'goes', 2)
  const a = new Member(c, 'topics', 'member-a')
  const b = new Member(c, 'topics', 'member-b')
  await a.join(['grows', 'goes'])
  await b.join(['grows', 'goes'])
  await settle([a, b])
  assert.deepEqual([a.count, b.count], [2, 2])
  const grown = await c.request(CreatePartitions, 1, { topics: [{ name: 'grows', count: 6, assignments: null }], timeoutMs: 30_000, validateOnly: false })
  assert.equal(grown.results[0]?.errorCode, ErrorCode.NONE)
  await settle([a, b])
  assert.deepEqual([a.count, b.count], [4, 4], 'the 4 new partitions are shared')
  const deleted = await c.request(DeleteTopics, 6, { topics: [{ name: 'goes', topicId: ZERO_UUID }], timeoutMs: 30_000 })
  assert.equal(deleted.responses[0]?.errorCode, ErrorCode.NONE)
  await settle([a, b])
  assert.deepEqual([a.count, b.count], [3, 3], 'the deleted topic\'s partitions are gone')
  for (const m of [a, b]) assert.deepEqual(m.owned.map(t => t.topicId), [first], 'only the remaining topic')
  assert.notEqual(first, second)
})
