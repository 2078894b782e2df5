// The classic group protocol over TCP against a real broker: FindCoordinator, a full
// join/sync/heartbeat/commit/fetch/leave cycle at the versions real clients send, two members
// rebalancing, committed offsets and group state surviving a restart, and the admin APIs.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type Broker, startBroker } from '../../../src/index.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import {
  DeleteGroups, DescribeGroups, FindCoordinator, Heartbeat, JoinGroup, LeaveGroup, ListGroups, OffsetCommit, OffsetDelete, OffsetFetch,
} from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker, testLogger } from '../../helpers/broker.ts'
import { assignment, CLIENT_VERSIONS, createTopic, eventually, joinGroup, syncGroup } from './support.ts'

const connect = (port: number): Promise<KafkaTestClient> => KafkaTestClient.connect('127.0.0.1', port, { clientId: 'group-test' })

test('FindCoordinator v0-6 names this broker for groups and transactions; __consumer_offsets is created compacted', async t => {
  const { broker } = await startTestBroker(t, { 'offsets.topic.num.partitions': 7 })
  await using c = await connect(broker.port)
  for (let v = 0; v <= 3; v++) {
    const r = await c.request(FindCoordinator, v, { key: 'printers', keyType: 0 })
    assert.deepEqual([r.errorCode, r.nodeId, r.host, r.port], [0, 1, '127.0.0.1', broker.port], `v${v}`)
    if (v >= 1) assert.equal(r.errorMessage, 'NONE')
  }
  for (let v = 4; v <= 6; v++) {
    const r = await c.request(FindCoordinator, v, { keyType: 0, coordinatorKeys: ['a', 'b'] })
    assert.deepEqual(r.coordinators.map(x => [x.key, x.errorCode, x.nodeId, x.host, x.port]), [['a', 0, 1, '127.0.0.1', broker.port], ['b', 0, 1, '127.0.0.1', broker.port]])
  }
  const txn = await c.request(FindCoordinator, 3, { key: 'my-txn', keyType: 1 })
  assert.equal(txn.errorCode, 0)
  const bad = await c.request(FindCoordinator, 4, { keyType: 5, coordinatorKeys: ['x'] })
  assert.deepEqual([bad.coordinators[0]?.errorCode, bad.coordinators[0]?.nodeId, bad.coordinators[0]?.port], [ErrorCode.INVALID_REQUEST, -1, -1])
  const share = await c.request(FindCoordinator, 6, { keyType: 2, coordinatorKeys: ['g:t:0'] })
  assert.equal(share.coordinators[0]?.errorCode, ErrorCode.INVALID_REQUEST)

  const topic = broker.metadata.topic('__consumer_offsets')
  assert.ok(topic !== undefined)
  assert.equal(topic.partitions, 7)
  assert.equal(topic.internal, true)
  assert.deepEqual(topic.configs.get('cleanup.policy'), ['compact'])
  assert.equal(topic.configs.get('segment.bytes'), 104857600)
})

for (const v of CLIENT_VERSIONS) {
  test(`a full group cycle at ${v.name}'s versions: join, sync, heartbeat, commit, fetch, leave`, async t => {
    const { broker } = await startTestBroker(t)
    await createTopic(broker, 'events', 3)
    await using c = await connect(broker.port)
    const g = `group-${v.join}`
    const found = await c.request(FindCoordinator, v.find, v.find >= 4 ? { keyType: 0, coordinatorKeys: [g] } : { key: g })
    assert.equal(v.find >= 4 ? found.coordinators[0]?.errorCode : found.errorCode, 0)

    const j = await joinGroup(c, v.join, g, { topics: ['events'] })
    assert.equal(j.generationId, 1)
    assert.equal(j.leader, j.memberId)
    assert.equal(j.protocolName, 'range')
    assert.equal(j.members.length, 1)
    const mine = assignment('events', [0, 1, 2])
    assert.deepEqual(await syncGroup(c, v.sync, g, j, [{ memberId: j.memberId, assignment: mine }]), mine)
    assert.equal((await c.request(Heartbeat, v.heartbeat, { groupId: g, generationId: j.generationId, memberId: j.memberId })).errorCode, 0)

    // OffsetCommit v0 has no generation: only a group without members accepts it.
    const member = v.commit === 0 ? { generationIdOrMemberEpoch: -1, memberId: '' } : { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId }
    const commit = await c.request(OffsetCommit, v.commit, {
      groupId: g,
      ...member,
      topics: [{ name: 'events', partitions: [0, 1, 2].map(p => ({ partitionIndex: p, committedOffset: BigInt(10 * (p + 1)), committedMetadata: `m${p}` })) }],
    })
    const expected = v.commit === 0 ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.NONE
    assert.deepEqual(commit.topics.map(x => x.partitions.map(p => p.errorCode)), [[expected, expected, expected]])

    const asked = [{ name: 'events', partitionIndexes: [0, 1, 2, 7] }]
    const fetched = await c.request(OffsetFetch, v.fetch, v.fetch >= 8 ? { groups: [{ groupId: g, topics: asked }] } : { groupId: g, topics: asked })
    const partitions = v.fetch >= 8 ? fetched.groups[0]?.topics[0]?.partitions : fetched.topics[0]?.partitions
    const offsets = partitions?.map(p => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])
    if (v.commit === 0) {
      assert.deepEqual(offsets, [[0, -1n, '', 0], [1, -1n, '', 0], [2, -1n, '', 0], [7, -1n, '', 0]])
    } else {
      assert.deepEqual(offsets, [[0, 10n, 'm0', 0], [1, 20n, 'm1', 0], [2, 30n, 'm2', 0], [7, -1n, '', 0]])
    }

    const left = await c.request(LeaveGroup, v.leave, v.leave >= 3 ? { groupId: g, members: [{ memberId: j.memberId }] } : { groupId: g, memberId: j.memberId })
    assert.equal(left.errorCode, 0)
    if (v.leave >= 3) assert.deepEqual(left.members.map(m => [m.memberId, m.errorCode]), [[j.memberId, 0]])
    assert.equal((await c.request(Heartbeat, v.heartbeat, { groupId: g, generationId: j.generationId, memberId: j.memberId })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)

    if (v.commit === 0) {
      // Now empty: a v0 commit is accepted.
      const again = await c.request(OffsetCommit, 0, { groupId: g, topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }] })
      assert.equal(again.topics[0]?.partitions[0]?.errorCode, 0)
      const f = await c.request(OffsetFetch, 0, { groupId: g, topics: [{ name: 'events', partitionIndexes: [0] }] })
      assert.deepEqual(f.topics[0]?.partitions.map(p => [p.committedOffset, p.metadata]), [[5n, '']])
    }
  })
}

test('two members on two connections rebalance when the second joins and when one leaves', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'orders', 4)
  await using a = await connect(broker.port)
  await using b = await connect(broker.port)
  const g = 'printers'
  const ja = await joinGroup(a, 9, g, { topics: ['orders'] })
  await syncGroup(a, 5, g, ja, [{ memberId: ja.memberId, assignment: assignment('orders', [0, 1, 2, 3]) }])

  const jbPromise = joinGroup(b, 9, g, { topics: ['orders'] })
  await eventually('the group starts rebalancing', async () => {
    const hb = await a.request(Heartbeat, 4, { groupId: g, generationId: ja.generationId, memberId: ja.memberId })
    return hb.errorCode === ErrorCode.REBALANCE_IN_PROGRESS ? true : undefined
  })
  const ja2 = await joinGroup(a, 9, g, { memberId: ja.memberId, topics: ['orders'] })
  const jb = await jbPromise
  assert.equal(ja2.generationId, 2)
  assert.equal(jb.generationId, 2)
  assert.equal(ja2.leader, ja.memberId)
  assert.deepEqual(new Set(ja2.members.map(m => m.memberId)), new Set([ja.memberId, jb.memberId]))
  const plan = [{ memberId: ja.memberId, assignment: assignment('orders', [0, 1]) }, { memberId: jb.memberId, assignment: assignment('orders', [2, 3]) }]
  const syncB = syncGroup(b, 5, g, jb)
  assert.deepEqual(await syncGroup(a, 5, g, ja2, plan), plan[0]?.assignment)
  assert.deepEqual(await syncB, plan[1]?.assignment)

  const described = await a.request(DescribeGroups, 5, { groups: [g] })
  assert.equal(described.groups[0]?.groupState, 'Stable')
  assert.equal(described.groups[0]?.members.length, 2)
  assert.equal(described.groups[0]?.members[0]?.clientHost, '/127.0.0.1')
  assert.equal(described.groups[0]?.members[0]?.clientId, 'group-test')

  await b.request(LeaveGroup, 5, { groupId: g, members: [{ memberId: jb.memberId, reason: 'shutting down' }] })
  assert.equal((await a.request(Heartbeat, 4, { groupId: g, generationId: 2, memberId: ja.memberId })).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  const ja3 = await joinGroup(a, 9, g, { memberId: ja.memberId, topics: ['orders'] })
  assert.equal(ja3.generationId, 3)
  assert.deepEqual(ja3.members.map(m => m.memberId), [ja.memberId])
})

test('committed offsets and group state survive a broker restart', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-group-'))
  const brokers: Broker[] = []
  const start = async (): Promise<Broker> => {
    const b = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'group.initial.rebalance.delay.ms': 0 }, logger: testLogger() })
    brokers.push(b)
    return b
  }
  t.after(async () => {
    for (const b of brokers) await b.close()
    await rm(dir, { recursive: true, force: true })
  })
  const broker = await start()
  await createTopic(broker, 'events', 2)
  const g = 'printers'
  let memberId: string
  {
    await using c = await connect(broker.port)
    const j = await joinGroup(c, 9, g, { topics: ['events'], sessionTimeoutMs: 60_000 })
    memberId = j.memberId
    await syncGroup(c, 5, g, j, [{ memberId, assignment: assignment('events', [0, 1]) }])
    const r = await c.request(OffsetCommit, 9, {
      groupId: g, generationIdOrMemberEpoch: 1, memberId,
      topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'x' }, { partitionIndex: 1, committedOffset: 7n, committedMetadata: null }] }],
    })
    assert.deepEqual(r.topics[0]?.partitions.map(p => p.errorCode), [0, 0])
    // A simple (memberless) group's commit too.
    await c.request(OffsetCommit, 2, { groupId: 'standalone', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'events', partitions: [{ partitionIndex: 1, committedOffset: 3n, committedMetadata: '' }] }] })
  }
  await broker.close()

  const again = await start()
  await using c = await connect(again.port)
  const fetched = await eventually('the offsets are loaded', async () => {
    const r = await c.request(OffsetFetch, 9, { groups: [{ groupId: g, topics: null }, { groupId: 'standalone', topics: null }] })
    return r.groups.some(x => x.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) ? undefined : r
  })
  assert.deepEqual(fetched.groups.map(x => [x.groupId, x.errorCode, x.topics.map(tp => [tp.name, tp.partitions.map(p => [p.partitionIndex, p.committedOffset, p.metadata])])]), [
    [g, 0, [['events', [[0, 42n, 'x'], [1, 7n, '']]]]],
    ['standalone', 0, [['events', [[1, 3n, '']]]]],
  ])
  const described = await c.request(DescribeGroups, 5, { groups: [g] })
  assert.equal(described.groups[0]?.groupState, 'Stable')
  assert.deepEqual(described.groups[0]?.members.map(m => m.memberId), [memberId])
  assert.deepEqual(described.groups[0]?.members[0]?.memberAssignment, assignment('events', [0, 1]))
  // The member is still known (until its session expires) and can go on heartbeating.
  assert.equal((await c.request(Heartbeat, 4, { groupId: g, generationId: 1, memberId })).errorCode, 0)
  const listed = await c.request(ListGroups, 5, {})
  assert.deepEqual(listed.groups.map(x => [x.groupId, x.groupState, x.groupType]).sort(), [[g, 'Stable', 'classic'], ['standalone', 'Empty', 'classic']])
})

test('OffsetCommit errors: unknown topics and partitions, stale or unknown generations, metadata too large', async t => {
  const { broker } = await startTestBroker(t, { 'offset.metadata.max.bytes': 10 })
  await createTopic(broker, 'events', 2)
  await using c = await connect(broker.port)
  const part = (partitionIndex: number, committedMetadata: string | null = null): { partitionIndex: number, committedOffset: bigint, committedMetadata: string | null } =>
    ({ partitionIndex, committedOffset: 1n, committedMetadata })
  const r = await c.request(OffsetCommit, 8, {
    groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: 'nope', partitions: [part(0)] }, { name: 'events', partitions: [part(0), part(5), part(1, 'x'.repeat(11))] }],
  })
  assert.deepEqual(r.topics.map(x => [x.name, x.partitions.map(p => [p.partitionIndex, p.errorCode])]), [
    ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ['events', [[5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [0, 0], [1, ErrorCode.OFFSET_METADATA_TOO_LARGE]]],
  ])
  // A generation for a group that does not exist: v9 says so, older versions ILLEGAL_GENERATION.
  const v9 = await c.request(OffsetCommit, 9, { groupId: 'missing', generationIdOrMemberEpoch: 3, memberId: 'm', topics: [{ name: 'events', partitions: [part(0)] }] })
  assert.equal(v9.topics[0]?.partitions[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
  const v8 = await c.request(OffsetCommit, 8, { groupId: 'missing', generationIdOrMemberEpoch: 3, memberId: 'm', topics: [{ name: 'events', partitions: [part(0)] }] })
  assert.equal(v8.topics[0]?.partitions[0]?.errorCode, ErrorCode.ILLEGAL_GENERATION)

  const j = await joinGroup(c, 9, 'live', { topics: ['events'] })
  // Before the assignment: REBALANCE_IN_PROGRESS; after it, a stale generation is ILLEGAL_GENERATION.
  const early = await c.request(OffsetCommit, 9, { groupId: 'live', generationIdOrMemberEpoch: 1, memberId: j.memberId, topics: [{ name: 'events', partitions: [part(0)] }] })
  assert.equal(early.topics[0]?.partitions[0]?.errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  await syncGroup(c, 5, 'live', j)
  const stale = await c.request(OffsetCommit, 9, { groupId: 'live', generationIdOrMemberEpoch: 0, memberId: j.memberId, topics: [{ name: 'events', partitions: [part(0)] }] })
  assert.equal(stale.topics[0]?.partitions[0]?.errorCode, ErrorCode.ILLEGAL_GENERATION)
  const stranger = await c.request(OffsetCommit, 9, { groupId: 'live', generationIdOrMemberEpoch: 1, memberId: 'stranger', topics: [{ name: 'events', partitions: [part(0)] }] })
  assert.equal(stranger.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  const simple = await c.request(OffsetCommit, 9, { groupId: 'live', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'events', partitions: [part(0)] }] })
  assert.equal(simple.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a group with members refuses memberless commits')
})

test('OffsetFetch: several groups (v8+), all partitions (null topics), -1 when nothing is committed', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'a', 2)
  await createTopic(broker, 'b', 1)
  await using c = await connect(broker.port)
  await c.request(OffsetCommit, 8, {
    groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: 'a', partitions: [{ partitionIndex: 1, committedOffset: 11n, committedLeaderEpoch: 4, committedMetadata: 'meta' }] }, { name: 'b', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedMetadata: null }] }],
  })
  const r = await c.request(OffsetFetch, 9, {
    groups: [
      { groupId: 'g1', topics: [{ name: 'a', partitionIndexes: [0, 1] }] },
      { groupId: 'g1', topics: null },
      { groupId: 'nobody', topics: [{ name: 'a', partitionIndexes: [0] }] },
      { groupId: 'nobody', topics: null },
    ],
    requireStable: true,
  })
  assert.deepEqual(r.groups.map(g => [g.groupId, g.errorCode, g.topics.map(tp => [tp.name, tp.partitions.map(p => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata, p.errorCode])])]), [
    ['g1', 0, [['a', [[0, -1n, -1, '', 0], [1, 11n, 4, 'meta', 0]]]]],
    ['g1', 0, [['a', [[1, 11n, 4, 'meta', 0]]], ['b', [[0, 2n, -1, '', 0]]]]],
    ['nobody', 0, [['a', [[0, -1n, -1, '', 0]]]]],
    ['nobody', 0, []],
  ])
  const v5 = await c.request(OffsetFetch, 5, { groupId: 'g1', topics: null })
  assert.deepEqual(v5.topics.map(tp => tp.name), ['a', 'b'])
  assert.equal(v5.topics[0]?.partitions[0]?.committedLeaderEpoch, 4)
  const v1 = await c.request(OffsetFetch, 1, { groupId: 'g1', topics: [{ name: 'a', partitionIndexes: [1] }] })
  assert.deepEqual(v1.topics[0]?.partitions.map(p => [p.committedOffset, p.metadata, p.errorCode]), [[11n, 'meta', 0]])
})

test('DescribeGroups, ListGroups filters, DeleteGroups and OffsetDelete', async t => {
  const { broker } = await startTestBroker(t)
  await createTopic(broker, 'events', 2)
  await createTopic(broker, 'other', 1)
  await using c = await connect(broker.port)
  const j = await joinGroup(c, 9, 'live', { topics: ['events'] })
  await syncGroup(c, 5, 'live', j, [{ memberId: j.memberId, assignment: assignment('events', [0, 1]) }])
  await c.request(OffsetCommit, 9, { groupId: 'live', generationIdOrMemberEpoch: 1, memberId: j.memberId, topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }, { name: 'other', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedMetadata: null }] }] })
  await c.request(OffsetCommit, 9, { groupId: 'idle', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'events', partitions: [{ partitionIndex: 1, committedOffset: 5n, committedMetadata: null }] }] })

  const d = await c.request(DescribeGroups, 5, { groups: ['live', 'idle', 'ghost'], includeAuthorizedOperations: true })
  assert.deepEqual(d.groups.map(g => [g.groupId, g.errorCode, g.groupState, g.protocolType, g.protocolData, g.members.length]), [
    ['live', 0, 'Stable', 'consumer', 'range', 1], ['idle', 0, 'Empty', '', '', 0], ['ghost', 0, 'Dead', '', '', 0],
  ])
  assert.equal(d.groups[0]?.authorizedOperations, 3400)
  const d0 = await c.request(DescribeGroups, 0, { groups: ['live'] })
  assert.deepEqual(d0.groups[0]?.members[0]?.memberAssignment, assignment('events', [0, 1]))

  const states = await c.request(ListGroups, 4, { statesFilter: ['EMPTY'] })
  assert.deepEqual(states.groups.map(g => [g.groupId, g.groupState]), [['idle', 'Empty']])
  const types = await c.request(ListGroups, 5, { typesFilter: ['consumer'] })
  assert.deepEqual(types.groups, [])
  const v0 = await c.request(ListGroups, 0, {})
  assert.deepEqual(v0.groups.map(g => [g.groupId, g.protocolType]).sort(), [['idle', ''], ['live', 'consumer']])

  // OffsetDelete: a live consumer group keeps the offsets of topics it consumes.
  const od = await c.request(OffsetDelete, 0, { groupId: 'live', topics: [{ name: 'events', partitions: [{ partitionIndex: 0 }] }, { name: 'other', partitions: [{ partitionIndex: 0 }, { partitionIndex: 3 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] })
  assert.equal(od.errorCode, 0)
  assert.deepEqual(od.topics.map(x => [x.name, x.partitions.map(p => [p.partitionIndex, p.errorCode])]), [
    ['other', [[3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [0, 0]]],
    ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ['events', [[0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]],
  ])
  const after = await c.request(OffsetFetch, 9, { groups: [{ groupId: 'live', topics: null }] })
  assert.deepEqual(after.groups[0]?.topics.map(tp => tp.name), ['events'])
  assert.equal((await c.request(OffsetDelete, 0, { groupId: 'ghost', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND)

  const del = await c.request(DeleteGroups, 2, { groupsNames: ['live', 'idle', 'ghost'] })
  assert.deepEqual(del.results.map(r => [r.groupId, r.errorCode]), [['live', ErrorCode.NON_EMPTY_GROUP], ['idle', 0], ['ghost', ErrorCode.GROUP_ID_NOT_FOUND]])
  const gone = await c.request(OffsetFetch, 9, { groups: [{ groupId: 'idle', topics: null }] })
  assert.deepEqual(gone.groups[0]?.topics, [])
  assert.deepEqual((await c.request(DescribeGroups, 5, { groups: ['idle'] })).groups[0]?.groupState, 'Dead')
})

test('closing the broker answers a parked JoinGroup with NOT_COORDINATOR', async t => {
  const { broker } = await startTestBroker(t, { 'group.initial.rebalance.delay.ms': 600_000 })
  await using c = await connect(broker.port)
  const first = await c.request(JoinGroup, 9, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 600_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  const parked = c.request(JoinGroup, 9, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 600_000, memberId: first.memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })
  await eventually('the member is waiting in the group', async () => broker.groupCoordinator.groupManager.group('g')?.numAwaitingJoinResponse === 1 ? true : undefined)
  await broker.close()
  const r = await parked
  assert.equal(r.errorCode, ErrorCode.NOT_COORDINATOR)
})

test('deleting a topic removes the offsets committed for it, and a restart does not bring them back', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-group-del-'))
  const config = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'group.initial.rebalance.delay.ms': 0 }
  let broker: Broker = await startBroker({ config, logger: testLogger() })
  t.after(async () => { await broker.close(); await rm(dir, { recursive: true, force: true }) })
  await createTopic(broker, 'gone', 1)
  await createTopic(broker, 'kept', 1)
  {
    await using c = await connect(broker.port)
    const commit = await c.request(OffsetCommit, 2, {
      groupId: 'g-del', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n,
      topics: ['gone', 'kept'].map(name => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: null }] })),
    })
    assert.deepEqual(commit.topics.map(x => x.partitions[0]?.errorCode), [0, 0])
    await broker.controller.deleteTopics([{ name: 'gone', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], 5)
  }
  const fetchBoth = async (): Promise<bigint[]> => {
    await using c = await connect(broker.port)
    const f = await c.request(OffsetFetch, 1, { groupId: 'g-del', topics: [{ name: 'gone', partitionIndexes: [0] }, { name: 'kept', partitionIndexes: [0] }] })
    return f.topics.map(x => x.partitions[0]?.committedOffset ?? -99n)
  }
  assert.deepEqual(await fetchBoth(), [-1n, 7n])
  await broker.close()
  broker = await startBroker({ config, logger: testLogger() })
  await eventually('offsets loaded after restart', async () => (await fetchBoth())[1] === 7n ? true : undefined)
  assert.deepEqual(await fetchBoth(), [-1n, 7n])
})
