// The same scripted conversation with samsa and with Apache Kafka 4.4 (the reference broker):
// group membership, its errors, offsets and the admin APIs, one request at a time. Each answer
// is reduced to what a client acts on (error codes, generations, protocol, leader, assignments,
// offsets, states), member ids are numbered in order of appearance, and the two transcripts
// must be equal. Lists whose order is Kafka's hash-map order (groups across coordinator
// partitions, topics of an all-partitions fetch) are compared sorted. Needs the reference Kafka
// (requirePeer kafka).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ApiVersions, CreateTopics, DeleteGroups, DescribeGroups, FindCoordinator, Heartbeat, JoinGroup, LeaveGroup, ListGroups, Metadata,
  OffsetCommit, OffsetDelete, OffsetFetch, SyncGroup,
} from '../../../src/protocol/messages/index.ts'
import type { JoinGroupResponse } from '../../../src/protocol/messages/JoinGroup.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { startReferenceKafka } from '../../helpers/referenceKafka.ts'
import { assignment, eventually, subscription } from './support.ts'

type Entry = readonly [string, unknown]

/** Sorts [name, ...] rows by name when their order is a hash map's. */
function sortedIf<T extends readonly unknown[]> (sort: boolean, rows: T[]): T[] {
  return sort ? rows.slice().sort((a, b) => String(a[0]).localeCompare(String(b[0]))) : rows
}

/** Runs the conversation against one broker and returns its transcript. */
async function converse (port: number): Promise<Entry[]> {
  await using c = await KafkaTestClient.connect('127.0.0.1', port, { clientId: 'diff' })
  const out: Entry[] = []
  const ids = new Map<string, string>()
  const id = (m: string | null | undefined): string | null | undefined => {
    if (m === null || m === undefined || m === '') return m
    let n = ids.get(m)
    if (n === undefined) {
      n = `M${ids.size + 1}${/^(diff|i1)-[0-9a-f-]{36}$/.test(m) ? '' : ` (${m})`}`
      ids.set(m, n)
    }
    return n
  }
  const note = (label: string, v: unknown): void => { out.push([label, v]) }

  // Topics, and a coordinator that is ready (Kafka creates and loads __consumer_offsets first).
  const created = await c.request(CreateTopics, 5, { topics: [{ name: 'events', numPartitions: 2, replicationFactor: 1 }, { name: 'other', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 30_000 })
  note('create', created.topics.map(t => t.errorCode))
  await eventually('topics have leaders', async () => {
    const m = await c.request(Metadata, 9, { topics: [{ name: 'events' }, { name: 'other' }] })
    return m.topics.every(t => t.errorCode === 0 && t.partitions.every(p => p.leaderId >= 0)) ? true : undefined
  })
  await eventually('the group coordinator is ready', async () => {
    const f = await c.request(FindCoordinator, 1, { key: 'g1', keyType: 0 })
    if (f.errorCode !== 0) return undefined
    const o = await c.request(OffsetFetch, 8, { groups: [{ groupId: 'g1', topics: null }, { groupId: 's', topics: null }, { groupId: 'simple', topics: null }] })
    return o.groups.every(g => g.errorCode === 0) ? true : undefined
  })
  const f1 = await c.request(FindCoordinator, 1, { key: 'g1', keyType: 0 })
  note('find v1', [f1.errorCode, f1.errorMessage])
  const f4 = await c.request(FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g1', 'g2'] })
  note('find v4', f4.coordinators.map(x => [x.key, x.errorCode, x.errorMessage]))
  const fBad = await c.request(FindCoordinator, 4, { keyType: 9, coordinatorKeys: ['x'] })
  note('find v4 bad type', fBad.coordinators.map(x => [x.errorCode, x.nodeId, x.host, x.port]))

  const protocols = [{ name: 'range', metadata: subscription(['events']) }]
  const join = async (v: number, body: { groupId: string, memberId?: string, sessionTimeoutMs?: number, groupInstanceId?: string | null, protocolType?: string, protocols?: typeof protocols }): Promise<JoinGroupResponse> => {
    return await c.request(JoinGroup, v, {
      groupId: body.groupId, sessionTimeoutMs: body.sessionTimeoutMs ?? 120_000, rebalanceTimeoutMs: 30_000, memberId: body.memberId ?? '',
      groupInstanceId: body.groupInstanceId ?? null, protocolType: body.protocolType ?? 'consumer', protocols: body.protocols ?? protocols,
    })
  }
  const noteJoin = (label: string, r: JoinGroupResponse): void => {
    note(label, { errorCode: r.errorCode, memberId: id(r.memberId), generationId: r.generationId, protocolType: r.protocolType, protocolName: r.protocolName, leader: id(r.leader), skipAssignment: r.skipAssignment, members: r.members.map(m => [id(m.memberId), m.groupInstanceId, m.metadata.length]) })
  }

  noteJoin('join empty group id', await join(9, { groupId: '' }))
  noteJoin('join bad session timeout', await join(9, { groupId: 'g1', sessionTimeoutMs: 1 }))
  noteJoin('join unknown member of a new group', await join(9, { groupId: 'g1', memberId: 'ghost' }))
  noteJoin('join without protocols', await join(9, { groupId: 'g1', protocols: [] }))
  const first = await join(9, { groupId: 'g1' })
  noteJoin('join v9 first', first)
  const a = await join(9, { groupId: 'g1', memberId: first.memberId })
  noteJoin('join v9 again', a)
  noteJoin('join other protocol type', await join(3, { groupId: 'g1', protocolType: 'connect' }))

  const sync = async (v: number, body: { groupId?: string, generationId: number, memberId: string, protocolType?: string | null, protocolName?: string | null, groupInstanceId?: string | null, assignments?: Array<{ memberId: string, assignment: Buffer }> }): Promise<void> => {
    const r = await c.request(SyncGroup, v, {
      groupId: body.groupId ?? 'g1', generationId: body.generationId, memberId: body.memberId, groupInstanceId: body.groupInstanceId ?? null,
      protocolType: body.protocolType === undefined ? 'consumer' : body.protocolType, protocolName: body.protocolName === undefined ? 'range' : body.protocolName, assignments: body.assignments ?? [],
    })
    note(`sync v${v} ${JSON.stringify({ ...body, memberId: id(body.memberId), assignments: body.assignments?.length })}`, [r.errorCode, r.protocolType, r.protocolName, r.assignment.toString('hex')])
  }
  await sync(5, { generationId: 7, memberId: a.memberId })
  await sync(5, { generationId: 1, memberId: a.memberId, protocolName: 'roundrobin' })
  await sync(5, { generationId: 1, memberId: a.memberId, protocolType: null })
  await sync(3, { generationId: 1, memberId: 'stranger' })

  const commit = async (label: string, v: number, body: { groupId?: string, generationIdOrMemberEpoch?: number, memberId?: string, topics?: Array<{ name: string, partitions: Array<{ partitionIndex: number, committedOffset: bigint, committedMetadata?: string | null }> }> }): Promise<void> => {
    const r = await c.request(OffsetCommit, v, {
      groupId: body.groupId ?? 'g1', generationIdOrMemberEpoch: body.generationIdOrMemberEpoch ?? -1, memberId: body.memberId ?? '',
      topics: body.topics ?? [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: 'md' }] }],
    })
    note(`commit ${label}`, r.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.errorCode])]))
  }
  await commit('before the assignment', 9, { generationIdOrMemberEpoch: 1, memberId: a.memberId })
  await sync(5, { generationId: 1, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: assignment('events', [0, 1]) }] })
  await sync(5, { generationId: 1, memberId: a.memberId })

  const hb = async (label: string, v: number, groupId: string, generationId: number, memberId: string, groupInstanceId: string | null = null): Promise<void> => {
    const r = await c.request(Heartbeat, v, { groupId, generationId, memberId, groupInstanceId })
    note(`heartbeat ${label}`, r.errorCode)
  }
  await hb('ok', 4, 'g1', 1, a.memberId)
  await hb('old generation', 4, 'g1', 0, a.memberId)
  await hb('unknown member', 4, 'g1', 1, 'stranger')
  await hb('unknown group', 4, 'nope', 1, a.memberId)
  await hb('unknown instance', 4, 'g1', 1, a.memberId, 'i9')
  await hb('empty group id', 4, '', 1, a.memberId)

  await commit('member', 9, { generationIdOrMemberEpoch: 1, memberId: a.memberId, topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedMetadata: 'm0' }, { partitionIndex: 1, committedOffset: 11n, committedMetadata: null }] }, { name: 'other', partitions: [{ partitionIndex: 0, committedOffset: 3n }] }] })
  await commit('stale generation', 9, { generationIdOrMemberEpoch: 0, memberId: a.memberId })
  await commit('unknown topic and partition', 9, { generationIdOrMemberEpoch: 1, memberId: a.memberId, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n }] }, { name: 'events', partitions: [{ partitionIndex: 9, committedOffset: 1n }, { partitionIndex: 1, committedOffset: 12n }] }] })
  await commit('metadata too large', 9, { generationIdOrMemberEpoch: 1, memberId: a.memberId, topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: 'x'.repeat(4097) }] }] })
  await commit('memberless into a live group', 9, {})
  await commit('missing group v9', 9, { groupId: 'missing', generationIdOrMemberEpoch: 3, memberId: 'm' })
  await commit('missing group v8', 8, { groupId: 'missing', generationIdOrMemberEpoch: 3, memberId: 'm' })
  await commit('simple group v2', 2, { groupId: 'simple', topics: [{ name: 'events', partitions: [{ partitionIndex: 1, committedOffset: 7n, committedMetadata: '' }] }] })

  const fetched = await c.request(OffsetFetch, 9, { groups: [
    { groupId: 'g1', topics: [{ name: 'events', partitionIndexes: [0, 1, 5] }, { name: 'nope', partitionIndexes: [0] }] },
    { groupId: 'g1', topics: null }, { groupId: 'simple', topics: null }, { groupId: 'ghost', topics: null },
  ], requireStable: true })
  note('fetch v9', fetched.groups.map((g, i) => [g.groupId, g.errorCode, sortedIf(i > 0, g.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata, p.errorCode])]))]))
  const f5 = await c.request(OffsetFetch, 5, { groupId: 'g1', topics: null })
  note('fetch v5', [f5.errorCode, sortedIf(true, f5.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])]))])
  const fv1 = await c.request(OffsetFetch, 1, { groupId: 'g1', topics: [{ name: 'events', partitionIndexes: [1, 0] }] })
  note('fetch v1', fv1.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])]))

  const d = await c.request(DescribeGroups, 5, { groups: ['g1', 'simple', 'ghost'], includeAuthorizedOperations: true })
  note('describe v5', sortedIf(true, d.groups.map(g => [g.groupId, g.errorCode, g.groupState, g.protocolType, g.protocolData, g.authorizedOperations,
    g.members.map(m => [id(m.memberId), m.groupInstanceId, m.clientId, m.clientHost, m.memberMetadata.length > 0, m.memberAssignment.toString('hex')])])))
  const l5 = await c.request(ListGroups, 5, {})
  note('list v5', l5.groups.map(g => [g.groupId, g.protocolType, g.groupState, g.groupType]).sort())
  const l4 = await c.request(ListGroups, 4, { statesFilter: ['STABLE'] })
  note('list v4 stable', l4.groups.map(g => g.groupId).sort())
  const lt = await c.request(ListGroups, 5, { typesFilter: ['consumer'] })
  note('list v5 consumer type', lt.groups.map(g => g.groupId).sort())

  const od = await c.request(OffsetDelete, 0, { groupId: 'g1', topics: [{ name: 'events', partitions: [{ partitionIndex: 0 }] }, { name: 'other', partitions: [{ partitionIndex: 0 }, { partitionIndex: 4 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] })
  note('offset delete', [od.errorCode, od.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.errorCode]).sort()]).sort()])
  const odGhost = await c.request(OffsetDelete, 0, { groupId: 'ghost', topics: [{ name: 'events', partitions: [{ partitionIndex: 0 }] }] })
  note('offset delete ghost', [odGhost.errorCode, odGhost.topics.length])
  const dg = await c.request(DeleteGroups, 2, { groupsNames: ['g1', 'simple', 'ghost'] })
  note('delete groups', sortedIf(true, dg.results.map(r => [r.groupId, r.errorCode])))

  // Static membership: no MEMBER_ID_REQUIRED; a restart with the same instance id replaces the member.
  const s1 = await join(5, { groupId: 's', groupInstanceId: 'i1' })
  noteJoin('static join v5', s1)
  await sync(5, { groupId: 's', generationId: s1.generationId, memberId: s1.memberId, groupInstanceId: 'i1', assignments: [{ memberId: s1.memberId, assignment: assignment('events', [0]) }] })
  const s2 = await join(5, { groupId: 's', groupInstanceId: 'i1' })
  noteJoin('static rejoin v5', s2)
  await hb('fenced old static id', 4, 's', s2.generationId, s1.memberId, 'i1')
  await hb('new static id', 4, 's', s2.generationId, s2.memberId, 'i1')
  const s3 = await join(9, { groupId: 's', groupInstanceId: 'i1' })
  noteJoin('static rejoin v9', s3)
  await sync(5, { groupId: 's', generationId: s3.generationId, memberId: s3.memberId, groupInstanceId: 'i1' })

  const leave0 = await c.request(LeaveGroup, 0, { groupId: 'g1', memberId: 'stranger' })
  note('leave v0 unknown', leave0.errorCode)
  const leave5 = await c.request(LeaveGroup, 5, { groupId: 'g1', members: [{ memberId: a.memberId, reason: 'done' }, { memberId: 'stranger' }, { memberId: '', groupInstanceId: 'nobody' }] })
  note('leave v5', [leave5.errorCode, leave5.members.map(m => [id(m.memberId), m.groupInstanceId, m.errorCode])])
  const leaveStatic = await c.request(LeaveGroup, 3, { groupId: 's', members: [{ memberId: '', groupInstanceId: 'i1' }] })
  note('leave static by instance id', [leaveStatic.errorCode, leaveStatic.members.map(m => [m.memberId, m.groupInstanceId, m.errorCode])])
  const after = await c.request(DescribeGroups, 5, { groups: ['g1', 's'] })
  note('describe after leaving', sortedIf(true, after.groups.map(g => [g.groupId, g.groupState, g.members.length])))
  const dg2 = await c.request(DeleteGroups, 1, { groupsNames: ['g1'] })
  note('delete emptied group', dg2.results.map(r => [r.groupId, r.errorCode]))
  const gone = await c.request(OffsetFetch, 8, { groups: [{ groupId: 'g1', topics: null }] })
  note('fetch deleted group', gone.groups.map(g => [g.errorCode, g.topics.length]))
  return out
}

test('samsa and Apache Kafka 4.4 hold the same group conversation', async t => {
  const jars = await requirePeer(t, 'kafka')
  if (jars === undefined) return
  const kafka = await startReferenceKafka({ kafka: jars })
  t.after(() => kafka.stop())
  // Kafka must serve the versions the conversation uses.
  {
    await using c = await KafkaTestClient.connect(kafka.host, kafka.port)
    const versions = await c.request(ApiVersions, 3, { clientSoftwareName: 'samsa-diff', clientSoftwareVersion: '0' })
    const ranges = new Map(versions.apiKeys.map(k => [k.apiKey, [k.minVersion, k.maxVersion]]))
    assert.ok((ranges.get(JoinGroup.key)?.[0] ?? 99) <= 3 && (ranges.get(OffsetFetch.key)?.[0] ?? 99) <= 1 && (ranges.get(OffsetCommit.key)?.[0] ?? 99) <= 2 && (ranges.get(LeaveGroup.key)?.[0] ?? 99) === 0)
  }
  const expected = await converse(kafka.port)
  const { broker } = await startTestBroker(t)
  const actual = await converse(broker.port)
  const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => typeof x === 'bigint' ? `${x}n` : x)
  const differences: string[] = []
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (json(actual[i]) !== json(expected[i])) differences.push(`step ${i}:\n  kafka: ${json(expected[i])}\n  samsa: ${json(actual[i])}`)
  }
  assert.deepEqual(differences, [], differences.join('\n'))
})
