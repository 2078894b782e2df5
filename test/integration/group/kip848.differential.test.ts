// The same scripted KIP-848 conversation with samsa and with Apache Kafka 4.4 (the reference): a
// consumer group grows from one to three members, reconciles step by step (revocation before
// assignment), commits and fetches offsets with member epochs, loses members (leave, static
// leave and rejoin), meets every heartbeat error, takes over an empty classic group, uses the
// range assignor and a regular expression, and is listed, described and deleted. Answers are
// reduced to what a client acts on (error codes, member epochs, assignments by topic name, group
// states and epochs); member ids are chosen by the test (v1: client-generated), topic ids are
// replaced by names. The two transcripts must be equal.
//
// Kafka runs with group.consumer.migration.policy=disabled: samsa does not run classic members
// inside a consumer group (Kafka's online upgrade/downgrade), and with that policy Kafka refuses
// them as samsa does. Sessions are long (60 s, Kafka's maximum) so that no member expires while a
// loaded machine runs the script. Needs the reference Kafka (requirePeer kafka).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import {
  ConsumerGroupDescribe, ConsumerGroupHeartbeat, CreateTopics, DeleteGroups, DescribeGroups, FindCoordinator, JoinGroup, ListGroups, Metadata,
  OffsetCommit, OffsetDelete, OffsetFetch,
} from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { startReferenceKafka } from '../../helpers/referenceKafka.ts'
import { eventually, subscription } from './support.ts'

type Entry = readonly [string, unknown]

/** Broker settings both sides run with. */
export const KIP848_GROUP_CONFIG = {
  'group.consumer.session.timeout.ms': 60_000,
  'group.consumer.heartbeat.interval.ms': 5000,
} as const

interface Owned { topicId: string, partitions: number[] }

async function converse (port: number): Promise<Entry[]> {
  await using c = await KafkaTestClient.connect('127.0.0.1', port, { clientId: 'diff848' })
  const out: Entry[] = []
  const note = (label: string, v: unknown): void => { out.push([label, v]) }

  const created = await c.request(CreateTopics, 5, { topics: [{ name: 'events', numPartitions: 6, replicationFactor: 1 }, { name: 'other', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 30_000 })
  note('create', created.topics.map(t => t.errorCode))
  const names = new Map<string, string>()
  const ids = new Map<string, string>()
  const learnTopics = async (wanted: string[]): Promise<void> => {
    await eventually(`topics ${wanted.join(', ')} have leaders`, async () => {
      const m = await c.request(Metadata, 12, { topics: wanted.map(name => ({ name })), allowAutoTopicCreation: false })
      if (!m.topics.every(t => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every(p => p.leaderId >= 0))) return undefined
      for (const t of m.topics) { names.set(t.topicId, t.name ?? '?'); ids.set(t.name ?? '?', t.topicId) }
      return true
    })
  }
  await learnTopics(['events', 'other'])
  await eventually('the group coordinator is ready', async () => {
    const f = await c.request(FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] })
    if (f.coordinators[0]?.errorCode !== 0) return undefined
    const o = await c.request(OffsetFetch, 8, { groups: ['g', 'simple', 'cl', 'r', 'rx'].map(groupId => ({ groupId, topics: null })) })
    return o.groups.every(g => g.errorCode === 0) ? true : undefined
  })
  const named = (list: ReadonlyArray<{ topicId: string, partitions: readonly number[] }> | null | undefined): string[] | null =>
    list === null || list === undefined
      ? null
      : list.flatMap(t => [...t.partitions].sort((a, b) => a - b).map(p => `${names.get(t.topicId) ?? t.topicId}-${p}`)).sort()
  const owned = (list: string[] | null): Owned[] => {
    const byTopic = new Map<string, number[]>()
    for (const tp of list ?? []) {
      const i = tp.lastIndexOf('-')
      const id = ids.get(tp.slice(0, i)) as string
      let ps = byTopic.get(id)
      if (ps === undefined) byTopic.set(id, ps = [])
      ps.push(Number(tp.slice(i + 1)))
    }
    return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }))
  }

  // Each simulated member remembers its epoch and what it owns, as a client would.
  interface Member { id: string, epoch: number, owns: string[], instanceId: string | null }
  const members = new Map<string, Member>()
  const hb = async (label: string, body: {
    groupId?: string, member: string, epoch?: number, instanceId?: string | null, rebalanceTimeoutMs?: number, names?: string[] | null,
    regex?: string | null, assignor?: string | null, owned?: string[] | null,
  }, v = 1): Promise<{ errorCode: number, memberEpoch: number, assignment: string[] | null }> => {
    const m = members.get(body.member) ?? { id: body.member, epoch: 0, owns: [], instanceId: body.instanceId ?? null }
    const epoch = body.epoch ?? m.epoch
    const r = await c.request(ConsumerGroupHeartbeat, v, {
      groupId: body.groupId ?? 'g',
      memberId: m.id,
      memberEpoch: epoch,
      instanceId: body.instanceId === undefined ? (epoch === 0 ? m.instanceId : null) : body.instanceId,
      rackId: null,
      rebalanceTimeoutMs: body.rebalanceTimeoutMs ?? (epoch === 0 ? 30_000 : -1),
      subscribedTopicNames: body.names === undefined ? (epoch === 0 ? ['events'] : null) : body.names,
      subscribedTopicRegex: body.regex ?? null,
      serverAssignor: body.assignor ?? null,
      topicPartitions: body.owned === undefined ? (epoch === 0 ? [] : owned(m.owns)) : (body.owned === null ? null : owned(body.owned)),
    })
    const assignment = named(r.assignment?.topicPartitions)
    note(`hb ${label}`, { errorCode: r.errorCode, errorMessage: r.errorCode === 0 ? null : r.errorMessage !== null, memberId: r.memberId === m.id ? 'same' : r.memberId, memberEpoch: r.memberEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs, assignment })
    if (r.errorCode === 0 && r.memberEpoch >= 0) {
      members.set(body.member, { ...m, epoch: r.memberEpoch, owns: assignment ?? m.owns, instanceId: body.instanceId ?? m.instanceId })
    } else if (r.errorCode === 0) {
      members.delete(body.member) // left
    }
    return { errorCode: r.errorCode, memberEpoch: r.memberEpoch, assignment }
  }
  const describe = async (label: string, groupIds: string[] = ['g']): Promise<void> => {
    const d = await c.request(ConsumerGroupDescribe, 0, { groupIds, includeAuthorizedOperations: false })
    note(`describe ${label}`, d.groups.map(g => ({
      groupId: g.groupId, errorCode: g.errorCode, state: g.groupState, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, assignor: g.assignorName,
      members: g.members.map(m => [m.memberId, m.instanceId, m.memberEpoch, m.clientId, m.clientHost, m.subscribedTopicNames.slice().sort(), m.subscribedTopicRegex,
        named(m.assignment.topicPartitions), named(m.targetAssignment.topicPartitions)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    })))
  }

  // Requests refused before anything else happens.
  await hb('v1 without member id', { member: '' })
  await hb('join without rebalance timeout', { epoch: 0, member: 'member-a', rebalanceTimeoutMs: -1 })
  await hb('join without owned partitions', { epoch: 0, member: 'member-a', owned: null })
  await hb('join without subscription', { epoch: 0, member: 'member-a', names: [] })
  await hb('bad epoch', { member: 'member-a', epoch: -3 })
  await hb('unknown assignor', { epoch: 0, member: 'member-a', assignor: 'sticky' })
  await hb('unknown group', { member: 'member-a', epoch: 4 })
  await hb('unknown group leaving', { member: 'member-a', epoch: -1 })
  await hb('empty group id', { groupId: '', member: 'member-a' })

  // A joins alone and gets every partition; B joins: A must revoke half before B gets it.
  await hb('a joins', { epoch: 0, member: 'member-a' })
  await hb('a heartbeats', { member: 'member-a' })
  await hb('a full heartbeat', { member: 'member-a', rebalanceTimeoutMs: 30_000, names: ['events'] })
  await hb('b joins', { epoch: 0, member: 'member-b' })
  await describe('assigning and reconciling')
  await hb('b before a revoked', { member: 'member-b' })
  await hb('a told to revoke', { member: 'member-a' })
  await hb('b still waiting', { member: 'member-b' })
  await hb('a still owning', { member: 'member-a', owned: ['events-0', 'events-1', 'events-2', 'events-3', 'events-4', 'events-5'] })
  await hb('a revoked', { member: 'member-a' })
  await hb('b gets its partitions', { member: 'member-b' })
  await describe('stable')
  await hb('b with the previous epoch', { member: 'member-b', epoch: (members.get('member-b')?.epoch ?? 0) - 1 })
  await hb('a from the future', { member: 'member-a', epoch: 99 })
  await hb('a with an epoch too old', { member: 'member-a', epoch: 0, owned: ['events-0'] })
  await hb('stranger', { member: 'member-x', epoch: 3 })

  // Offsets with member epochs.
  const commit = async (label: string, v: number, memberId: string, epoch: number, partitions: number[]): Promise<void> => {
    const r = await c.request(OffsetCommit, v, { groupId: 'g', generationIdOrMemberEpoch: epoch, memberId, topics: [{ name: 'events', partitions: partitions.map(p => ({ partitionIndex: p, committedOffset: BigInt(10 + p) })) }] })
    note(`commit ${label}`, r.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.errorCode])]))
  }
  const epochA = members.get('member-a')?.epoch ?? 0
  await commit('a', 9, 'member-a', epochA, [0, 1])
  await commit('a with an older epoch', 9, 'member-a', epochA - 1, [0, 4])
  await commit('a with a newer epoch', 9, 'member-a', epochA + 1, [0])
  await commit('a at v8', 8, 'member-a', epochA, [0])
  await commit('stranger', 9, 'member-x', epochA, [0])
  await commit('admin into a live group', 9, '', -1, [0])
  const fetch = async (label: string, memberId: string | null, memberEpoch: number): Promise<void> => {
    const r = await c.request(OffsetFetch, 9, { groups: [{ groupId: 'g', memberId, memberEpoch, topics: [{ name: 'events', partitionIndexes: [0, 1, 2] }] }], requireStable: true })
    note(`fetch ${label}`, r.groups.map(g => [g.errorCode, g.topics.map(t => t.partitions.map(p => [p.partitionIndex, p.committedOffset, p.errorCode]))]))
  }
  await fetch('a', 'member-a', epochA)
  await fetch('a stale', 'member-a', epochA - 1)
  await fetch('stranger', 'member-x', 1)
  await fetch('admin', null, -1)

  // The classic APIs see a consumer group.
  const dg = await c.request(DescribeGroups, 5, { groups: ['g'], includeAuthorizedOperations: false })
  note('describe groups', dg.groups.map(g => [g.groupId, g.errorCode, g.groupState, g.protocolType, g.protocolData, g.members.length]))
  const lg = await c.request(ListGroups, 5, { typesFilter: ['consumer'] })
  note('list consumer type', lg.groups.map(g => [g.groupId, g.protocolType, g.groupState, g.groupType]).sort())
  const lgc = await c.request(ListGroups, 5, { typesFilter: ['classic'] })
  note('list classic type', lgc.groups.map(g => g.groupId).sort())
  const lgs = await c.request(ListGroups, 4, { statesFilter: ['stable'] })
  note('list stable', lgs.groups.map(g => [g.groupId, g.groupState]).sort())
  const join = await c.request(JoinGroup, 9, { groupId: 'g', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['events']) }] })
  note('classic join', [join.errorCode, join.generationId])
  const del = await c.request(DeleteGroups, 2, { groupsNames: ['g'] })
  note('delete live group', del.results.map(r => [r.groupId, r.errorCode]))

  // A static member joins; the same instance id cannot join twice; it leaves for a while (-2) and
  // a new process with the same instance id takes its place and its partitions.
  await hb('c joins', { epoch: 0, member: 'member-c', instanceId: 'i1' })
  await hb('d with c\'s instance id', { epoch: 0, member: 'member-d', instanceId: 'i1' })
  for (let round = 0; round < 3; round++) {
    await hb(`a round ${round}`, { member: 'member-a' })
    await hb(`b round ${round}`, { member: 'member-b' })
    await hb(`c round ${round}`, { member: 'member-c', instanceId: null })
  }
  await describe('three members')
  await hb('c leaves for now', { member: 'member-c', epoch: -2, instanceId: 'i1' })
  await describe('static member away')
  await hb('c2 takes c\'s place', { epoch: 0, member: 'member-c2', instanceId: 'i1' })
  await hb('c2 heartbeats', { member: 'member-c2', instanceId: null })
  await hb('c fenced by c2', { member: 'member-c', epoch: 5, instanceId: 'i1' })
  await hb('b leaves', { member: 'member-b', epoch: -1 })
  for (let round = 0; round < 3; round++) {
    await hb(`a after b left ${round}`, { member: 'member-a' })
    await hb(`c2 after b left ${round}`, { member: 'member-c2', instanceId: null })
  }
  await describe('two members')
  await hb('b again with its old id', { member: 'member-b', epoch: 7 })
  await hb('a leaves', { member: 'member-a', epoch: -1 })
  await hb('c2 leaves', { member: 'member-c2', epoch: -1, instanceId: 'i1' })
  await describe('empty')
  const lge = await c.request(ListGroups, 5, { typesFilter: ['consumer'] })
  note('list empty consumer group', lge.groups.map(g => [g.groupId, g.groupState]))
  const od = await c.request(OffsetDelete, 0, { groupId: 'g', topics: [{ name: 'events', partitions: [{ partitionIndex: 1 }] }] })
  note('offset delete', [od.errorCode, od.topics.map(t => t.partitions.map(p => [p.partitionIndex, p.errorCode]))])
  const del2 = await c.request(DeleteGroups, 2, { groupsNames: ['g'] })
  note('delete empty group', del2.results.map(r => [r.groupId, r.errorCode]))
  await describe('deleted and unknown', ['g', 'nope'])
  await fetch('deleted group', null, -1)

  // An empty classic group (offsets only) becomes a consumer group and keeps its offsets; a
  // live classic group stays classic.
  const simple = await c.request(OffsetCommit, 2, { groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'other', partitions: [{ partitionIndex: 0, committedOffset: 4n }] }] })
  note('simple commit', simple.topics.map(t => t.partitions.map(p => p.errorCode)))
  await hb('join the simple group', { epoch: 0, groupId: 'simple', member: 'member-s', names: ['other'] })
  const sf = await c.request(OffsetFetch, 8, { groups: [{ groupId: 'simple', topics: null }] })
  note('simple offsets kept', sf.groups.map(g => [g.errorCode, g.topics.map(t => [t.name, t.partitions.map(p => [p.partitionIndex, p.committedOffset])])]))
  const cj = await c.request(JoinGroup, 5, { groupId: 'cl', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: 'ci', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['events']) }] })
  note('classic member joins cl', [cj.errorCode, cj.generationId])
  await hb('join a live classic group', { epoch: 0, groupId: 'cl', member: 'member-k' })
  await describe('classic and simple', ['cl', 'simple'])

  // The range assignor with static members: contiguous ranges in instance id order.
  await hb('r1 joins', { epoch: 0, groupId: 'r', member: 'member-r1', instanceId: 'i-b', assignor: 'range', names: ['events', 'other'] })
  await hb('r2 joins', { epoch: 0, groupId: 'r', member: 'member-r2', instanceId: 'i-a', assignor: 'range', names: ['events', 'other'] })
  for (let round = 0; round < 3; round++) {
    await hb(`r1 round ${round}`, { groupId: 'r', member: 'member-r1', instanceId: null })
    await hb(`r2 round ${round}`, { groupId: 'r', member: 'member-r2', instanceId: null })
  }
  await describe('range', ['r'])

  // A regular expression subscription; a topic created later is picked up.
  await hb('invalid regex', { epoch: 0, groupId: 'rx', member: 'member-x1', names: null, regex: '[' })
  // Kafka resolves a new regular expression in the background (the join answer has no partitions
  // yet); samsa resolves it at once. Only the outcome is compared, then the settled assignment.
  const rj = await c.request(ConsumerGroupHeartbeat, 1, { groupId: 'rx', memberId: 'member-x1', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicRegex: 'oth.*', topicPartitions: [] })
  note('regex joins', rj.errorCode)
  members.set('member-x1', { id: 'member-x1', epoch: rj.memberEpoch, owns: named(rj.assignment?.topicPartitions) ?? [], instanceId: null })
  await eventually('the regex member gets other', async () => {
    const r = await c.request(ConsumerGroupHeartbeat, 1, { groupId: 'rx', memberId: 'member-x1', memberEpoch: members.get('member-x1')?.epoch ?? 0, rebalanceTimeoutMs: -1, topicPartitions: owned(members.get('member-x1')?.owns ?? []) })
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`regex member heartbeat: error ${r.errorCode}`)
    const m = members.get('member-x1') as Member
    members.set('member-x1', { ...m, epoch: r.memberEpoch, owns: named(r.assignment?.topicPartitions) ?? m.owns })
    return members.get('member-x1')?.owns.length === 2 ? true : undefined
  })
  note('regex member owns', members.get('member-x1')?.owns)
  const createdLater = await c.request(CreateTopics, 5, { topics: [{ name: 'other-2', numPartitions: 3, replicationFactor: 1 }], timeoutMs: 30_000 })
  note('create other-2', createdLater.topics.map(t => t.errorCode))
  await learnTopics(['other-2'])
  await eventually('the regex member gets other-2 too', async () => {
    const m = members.get('member-x1') as Member
    const r = await c.request(ConsumerGroupHeartbeat, 1, { groupId: 'rx', memberId: 'member-x1', memberEpoch: m.epoch, rebalanceTimeoutMs: -1, topicPartitions: owned(m.owns) })
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`regex member heartbeat: error ${r.errorCode}`)
    members.set('member-x1', { ...m, epoch: r.memberEpoch, owns: named(r.assignment?.topicPartitions) ?? m.owns })
    return members.get('member-x1')?.owns.length === 5 ? true : undefined
  }, 60_000)
  note('regex member owns after create', members.get('member-x1')?.owns)
  await describe('regex', ['rx'])
  return out
}

test('samsa and Apache Kafka 4.4 hold the same KIP-848 consumer group conversation', async t => {
  const jars = await requirePeer(t, 'kafka')
  if (jars === undefined) return
  const kafka = await startReferenceKafka({
    kafka: jars,
    config: {
      ...KIP848_GROUP_CONFIG,
      'group.consumer.max.session.timeout.ms': 60_000,
      'group.consumer.migration.policy': 'disabled',
      // Kafka 4.3+ may defer and offload the assignor; samsa computes each target assignment at
      // once, inside the heartbeat that moved the group epoch. These settings make Kafka do so too.
      'group.consumer.assignment.interval.ms': 0,
      'group.consumer.min.assignment.interval.ms': 0,
      'group.consumer.assignor.offload.enable': false,
    },
  })
  t.after(() => kafka.stop())
  const expected = await converse(kafka.port)
  const { broker } = await startTestBroker(t, { ...KIP848_GROUP_CONFIG })
  const actual = await converse(broker.port)
  const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => typeof x === 'bigint' ? `${x}n` : x)
  const differences: string[] = []
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (json(actual[i]) !== json(expected[i])) differences.push(`step ${i}:\n  kafka: ${json(expected[i])}\n  samsa: ${json(actual[i])}`)
  }
  assert.deepEqual(differences, [], differences.join('\n'))
})
