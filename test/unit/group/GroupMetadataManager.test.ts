// The classic group state machine, driven through the coordinator on a manual clock with an
// in-memory __consumer_offsets: joins, syncs, rebalances on join/leave/session expiry, static
// members, group.max.size and the rebalance, sync and initial-delay timers.
import assert from 'node:assert/strict'
import { test as nodeTest } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import {
  flush, heartbeat, isSettled, join, joinNew, type JoinOpts, protocols, REBALANCE_MS, SESSION_MS, startCoordinator, sync, type Harness,
} from './helpers.ts'

const G = 'printers'
/** Every test here must finish quickly: a parked request that is never answered fails it. */
const test = (name: string, fn: () => Promise<void>): void => { nodeTest(name, { timeout: 10_000 }, fn) }

/** One member, joined and synced: generation 1, Stable. */
async function stableOne (h: Harness, groupId = G, opts: JoinOpts = {}): Promise<{ memberId: string, generationId: number }> {
  const a = await joinNew(h, groupId, opts)
  h.clock.advance(h.config.initialRebalanceDelayMs)
  const ja = await a.response
  assert.equal(ja.errorCode, ErrorCode.NONE)
  const sa = await sync(h, groupId, a.memberId, ja.generationId, [{ memberId: a.memberId, assignment: Buffer.from('A') }])
  assert.equal(sa.errorCode, ErrorCode.NONE)
  return { memberId: a.memberId, generationId: ja.generationId }
}

test('a new member needs a member id (v4+), then joins, leads, syncs and the group is Stable', async () => {
  const h = await startCoordinator({ initialRebalanceDelayMs: 3000 })
  const first = await join(h, G)
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  assert.match(first.memberId, /^client-[0-9a-f-]{36}$/)

  const second = join(h, G, { memberId: first.memberId })
  assert.equal(await isSettled(second), false, 'the JoinGroup is parked during the initial rebalance delay')
  assert.equal(h.gc.groupManager.group(G)?.state, 'PreparingRebalance')
  h.clock.advance(2999)
  assert.equal(await isSettled(second), false)
  h.clock.advance(1)
  const joined = await second
  assert.equal(joined.errorCode, ErrorCode.NONE)
  assert.equal(joined.generationId, 1)
  assert.equal(joined.leader, first.memberId)
  assert.equal(joined.protocolName, 'range')
  assert.equal(joined.protocolType, 'consumer')
  assert.deepEqual(joined.members.map(m => m.memberId), [first.memberId])
  assert.equal(h.gc.groupManager.group(G)?.state, 'CompletingRebalance')

  const synced = await sync(h, G, first.memberId, 1, [{ memberId: first.memberId, assignment: Buffer.from('p0') }])
  assert.equal(synced.errorCode, ErrorCode.NONE)
  assert.equal(synced.assignment.toString(), 'p0')
  assert.equal(synced.protocolName, 'range')
  assert.equal(h.gc.groupManager.group(G)?.state, 'Stable')
  assert.equal(await heartbeat(h, G, first.memberId, 1), ErrorCode.NONE)

  // The new group and its first generation are in __consumer_offsets.
  const records = h.log.records().filter(r => r.type === 'groupMetadata')
  assert.equal(records.length, 2)
  const last = records[1]
  assert.ok(last !== undefined && last.type === 'groupMetadata' && last.value !== null)
  assert.equal(last.value.generation, 1)
  assert.equal(last.value.protocol, 'range')
  assert.equal(last.value.leader, first.memberId)
  assert.equal(last.value.members[0]?.assignment.toString(), 'p0')
})

test('JoinGroup v3 and below add the member at once, without MEMBER_ID_REQUIRED', async () => {
  const h = await startCoordinator()
  const parked = join(h, G, { version: 3 })
  h.clock.advance(0)
  const joined = await parked
  assert.equal(joined.errorCode, ErrorCode.NONE)
  assert.equal(joined.generationId, 1)
  assert.equal(joined.leader, joined.memberId)
})

test('a second member triggers a rebalance; both get the next generation and the leader gets both', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  assert.equal(await isSettled(b.response), false, 'B waits for A to rejoin')
  assert.equal(h.gc.groupManager.group(G)?.state, 'PreparingRebalance')
  assert.equal(await heartbeat(h, G, a.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS)
  const ja = await join(h, G, { memberId: a.memberId })
  const jb = await b.response
  assert.equal(ja.generationId, 2)
  assert.equal(jb.generationId, 2)
  assert.equal(ja.leader, a.memberId, 'the leader stays')
  assert.deepEqual(new Set(ja.members.map(m => m.memberId)), new Set([a.memberId, b.memberId]))
  assert.deepEqual(jb.members, [], 'followers get no member list')

  const sb = sync(h, G, b.memberId, 2)
  assert.equal(await isSettled(sb), false, 'the follower waits for the leader\'s assignment')
  const sa = await sync(h, G, a.memberId, 2, [{ memberId: a.memberId, assignment: Buffer.from('A') }, { memberId: b.memberId, assignment: Buffer.from('B') }])
  assert.equal(sa.assignment.toString(), 'A')
  assert.equal((await sb).assignment.toString(), 'B')
  assert.equal(h.gc.groupManager.group(G)?.state, 'Stable')
  // A stale generation is refused.
  assert.equal(await heartbeat(h, G, a.memberId, 1), ErrorCode.ILLEGAL_GENERATION)
})

test('a member leaving triggers a rebalance of the others', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  await join(h, G, { memberId: a.memberId })
  await b.response
  await Promise.all([sync(h, G, a.memberId, 2, []), sync(h, G, b.memberId, 2)])

  const left = await h.gc.leaveGroup(G, [{ memberId: b.memberId, groupInstanceId: null, reason: 'bye' }])
  assert.deepEqual(left, { errorCode: 0, members: [{ memberId: b.memberId, groupInstanceId: null, errorCode: 0 }] })
  assert.equal(await heartbeat(h, G, a.memberId, 2), ErrorCode.REBALANCE_IN_PROGRESS)
  const ja = await join(h, G, { memberId: a.memberId })
  assert.equal(ja.generationId, 3)
  assert.deepEqual(ja.members.map(m => m.memberId), [a.memberId])
  // Leaving again: unknown.
  const again = await h.gc.leaveGroup(G, [{ memberId: b.memberId, groupInstanceId: null, reason: null }])
  assert.equal(again.members[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
})

test('the last member leaving empties the group, which is written', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  await h.gc.leaveGroup(G, [{ memberId: a.memberId, groupInstanceId: null, reason: null }])
  await flush()
  const g = h.gc.groupManager.group(G)
  assert.equal(g?.state, 'Empty')
  assert.equal(g?.generationId, 2)
  const last = h.log.records().at(-1)
  assert.ok(last?.type === 'groupMetadata' && last.value !== null)
  assert.equal(last.value.generation, 2)
  assert.deepEqual(last.value.members, [])
})

test('a member that stops heartbeating is removed after its session timeout and the group rebalances', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  await join(h, G, { memberId: a.memberId })
  await b.response
  await Promise.all([sync(h, G, a.memberId, 2, []), sync(h, G, b.memberId, 2)])

  // A heartbeats every 3 s; B is silent.
  for (let t = 0; t < SESSION_MS; t += 3000) {
    h.clock.advance(3000)
    await flush()
    const code = await heartbeat(h, G, a.memberId, 2)
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) break
    assert.equal(code, ErrorCode.NONE)
  }
  assert.equal(h.gc.groupManager.group(G)?.hasMember(b.memberId), false)
  assert.equal(await heartbeat(h, G, b.memberId, 2), ErrorCode.UNKNOWN_MEMBER_ID)
  const ja = await join(h, G, { memberId: a.memberId })
  assert.equal(ja.generationId, 3)
  assert.deepEqual(ja.members.map(m => m.memberId), [a.memberId])
})

test('members that do not rejoin within the rebalance timeout are dropped; a rejoined member leads', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  const b = await joinNew(h, G, { rebalanceTimeoutMs: 20_000 })
  // A keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
  for (let t = 0; t < REBALANCE_MS; t += 5000) {
    h.clock.advance(5000)
    await flush()
    if (await isSettled(b.response)) break
    assert.equal(await heartbeat(h, G, a.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS)
  }
  const jb = await b.response
  assert.equal(jb.errorCode, ErrorCode.NONE)
  assert.equal(jb.generationId, 2)
  assert.equal(jb.leader, b.memberId)
  assert.deepEqual(jb.members.map(m => m.memberId), [b.memberId])
  assert.equal(await heartbeat(h, G, a.memberId, 1), ErrorCode.UNKNOWN_MEMBER_ID)
})

test('a member that does not send SyncGroup within the rebalance timeout is removed', async () => {
  const h = await startCoordinator()
  const opts = { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 10_000 }
  const a = await stableOne(h, G, opts)
  const b = await joinNew(h, G, opts)
  await join(h, G, { ...opts, memberId: a.memberId })
  await b.response
  // The leader syncs; B only heartbeats and never syncs.
  await sync(h, G, a.memberId, 2, [])
  h.clock.advance(9_999)
  assert.equal(await heartbeat(h, G, b.memberId, 2), ErrorCode.NONE)
  h.clock.advance(1)
  await flush()
  const g = h.gc.groupManager.group(G)
  assert.equal(g?.hasMember(b.memberId), false)
  assert.equal(g?.state, 'PreparingRebalance')
})

test('a new member whose JoinGroup stays parked is dropped after the new-member join timeout', async () => {
  const h = await startCoordinator({ newMemberJoinTimeoutMs: 60_000 })
  // A's session and the rebalance timeout both outlast the new-member join timeout.
  const a = await stableOne(h, G, { sessionTimeoutMs: 120_000, rebalanceTimeoutMs: 600_000 })
  const b = await joinNew(h, G, { rebalanceTimeoutMs: 600_000 })
  h.clock.advance(59_999)
  assert.equal(await isSettled(b.response), false)
  h.clock.advance(1)
  const jb = await b.response
  assert.equal(jb.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  assert.equal(h.gc.groupManager.group(G)?.hasMember(b.memberId), false)
  assert.equal(h.gc.groupManager.group(G)?.hasMember(a.memberId), true)
})

test('the initial rebalance delay is extended while new members arrive, up to the rebalance timeout', async () => {
  const h = await startCoordinator({ initialRebalanceDelayMs: 3000 })
  const a = await joinNew(h, G, { rebalanceTimeoutMs: 10_000 })
  h.clock.advance(2000)
  const b = await joinNew(h, G, { rebalanceTimeoutMs: 10_000 })
  h.clock.advance(1000) // first delay ends; B arrived: extended by another 3 s
  assert.equal(await isSettled(a.response), false)
  h.clock.advance(3000)
  const [ja, jb] = await Promise.all([a.response, b.response])
  assert.equal(ja.generationId, 1)
  assert.equal(jb.generationId, 1)
  assert.equal(ja.leader, a.memberId)
  assert.equal(ja.members.length, 2)
})

test('a pending member (MEMBER_ID_REQUIRED) that never comes back expires with its session', async () => {
  const h = await startCoordinator()
  const first = await join(h, G)
  assert.equal(h.gc.groupManager.group(G)?.isPendingMember(first.memberId), true)
  h.clock.advance(SESSION_MS)
  await flush()
  assert.equal(h.gc.groupManager.group(G)?.isPendingMember(first.memberId), false)
})

test('the protocol is one every member offers, chosen by the members\' votes', async () => {
  const h = await startCoordinator({ initialRebalanceDelayMs: 1000 })
  const a = await joinNew(h, G, { protocols: protocols('range', 'roundrobin') })
  const b = await joinNew(h, G, { protocols: protocols('roundrobin', 'range') })
  const c = await joinNew(h, G, { protocols: protocols('roundrobin', 'range', 'sticky') })
  // Members arrived during the delay, so it is extended once more.
  h.clock.advance(1000)
  assert.equal(await isSettled(a.response), false)
  h.clock.advance(1000)
  const results = await Promise.all([a.response, b.response, c.response])
  for (const r of results) assert.equal(r.protocolName, 'roundrobin')
  // A member offering none of the group's protocols, or another protocol type, is refused.
  const d = await join(h, G, { protocols: protocols('sticky') })
  assert.equal(d.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const e = await join(h, G, { protocolType: 'connect', protocols: protocols('roundrobin') })
  assert.equal(e.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  const f = await join(h, 'other', { protocols: [] })
  assert.equal(f.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
})

test('JoinGroup validation: group id, session timeout range, unknown member of a missing group', async () => {
  const h = await startCoordinator()
  assert.equal((await join(h, '')).errorCode, ErrorCode.INVALID_GROUP_ID)
  assert.equal((await join(h, G, { sessionTimeoutMs: 5999 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  assert.equal((await join(h, G, { sessionTimeoutMs: 1_800_001 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  assert.equal((await join(h, 'nope', { memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  assert.equal(await heartbeat(h, 'nope', 'ghost', 1), ErrorCode.UNKNOWN_MEMBER_ID)
  assert.equal(await heartbeat(h, '', 'ghost', 1), ErrorCode.INVALID_GROUP_ID)
  assert.equal((await sync(h, 'nope', 'ghost', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
})

test('group.max.size: a new member beyond the limit of a Stable group gets GROUP_MAX_SIZE_REACHED', async () => {
  const h = await startCoordinator({ maxSize: 2 })
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  await join(h, G, { memberId: a.memberId })
  assert.equal((await b.response).generationId, 2)
  await Promise.all([sync(h, G, a.memberId, 2, []), sync(h, G, b.memberId, 2)])
  const jc = await join(h, G)
  assert.equal(jc.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
  assert.equal(jc.memberId, '')
  assert.equal(h.gc.groupManager.group(G)?.numMembers, 2)
  assert.equal(h.gc.groupManager.group(G)?.state, 'Stable')
})

test('group.max.size during a rebalance: the members already waiting stay, the last to rejoin is refused', async () => {
  const h = await startCoordinator({ maxSize: 2 })
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  const c = await joinNew(h, G)
  // B and C wait; A comes back last and does not fit.
  const ja = await join(h, G, { memberId: a.memberId })
  assert.equal(ja.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
  h.clock.advance(REBALANCE_MS)
  const [jb, jc] = await Promise.all([b.response, c.response])
  assert.equal(jb.generationId, 2)
  assert.equal(jc.generationId, 2)
  assert.deepEqual(new Set([jb.leader, jc.leader]).size, 1)
  assert.equal(h.gc.groupManager.group(G)?.numMembers, 2)
})

test('a static member restarting takes its place back without a rebalance; its old id is fenced', async () => {
  const h = await startCoordinator()
  const firstJoin = join(h, G, { groupInstanceId: 'printer-1' })
  h.clock.advance(0)
  const first = await firstJoin
  assert.equal(first.errorCode, ErrorCode.NONE, 'static members need no MEMBER_ID_REQUIRED round trip')
  assert.match(first.memberId, /^printer-1-/)
  await sync(h, G, first.memberId, 1, [{ memberId: first.memberId, assignment: Buffer.from('A') }], 'printer-1')
  const g = h.gc.groupManager.group(G)
  assert.equal(g?.state, 'Stable')

  // Restart: same instance id, no member id, same protocols.
  const again = await join(h, G, { groupInstanceId: 'printer-1' })
  assert.equal(again.errorCode, ErrorCode.NONE)
  assert.notEqual(again.memberId, first.memberId)
  assert.equal(again.generationId, 1, 'no rebalance')
  assert.equal(again.skipAssignment, true, 'v9: the static leader keeps the current assignment')
  assert.equal(g?.state, 'Stable')
  const s = await sync(h, G, again.memberId, 1, [], 'printer-1')
  assert.equal(s.assignment.toString(), 'A', 'the assignment stays with the instance')
  assert.equal(await heartbeat(h, G, first.memberId, 1, 'printer-1'), ErrorCode.FENCED_INSTANCE_ID)
  assert.equal(await heartbeat(h, G, again.memberId, 1, 'printer-1'), ErrorCode.NONE)
  assert.equal(await heartbeat(h, G, again.memberId, 1, 'printer-2'), ErrorCode.UNKNOWN_MEMBER_ID)

  // An administrator removes the static member by instance id.
  const left = await h.gc.leaveGroup(G, [{ memberId: '', groupInstanceId: 'printer-1', reason: null }])
  assert.equal(left.members[0]?.errorCode, ErrorCode.NONE)
  await flush()
  assert.equal(g?.state, 'Empty')
})

test('a static member is not dropped for failing to rejoin; a parked old JoinGroup is fenced on replacement', async () => {
  const h = await startCoordinator()
  const j1 = join(h, G, { groupInstanceId: 'i1' })
  h.clock.advance(0)
  const s1 = await j1
  await sync(h, G, s1.memberId, 1, [], 'i1')
  const b = await joinNew(h, G)
  // The static member rejoins with its id: parked.
  const parked = join(h, G, { memberId: s1.memberId, groupInstanceId: 'i1' })
  const jb = await b.response
  assert.equal(jb.generationId, 2)
  assert.equal((await parked).generationId, 2)
  await Promise.all([sync(h, G, s1.memberId, 2, [], 'i1'), sync(h, G, b.memberId, 2)])
  // Another rebalance: the static member's JoinGroup is parked, then the instance restarts.
  const c = await joinNew(h, G)
  const oldJoin = join(h, G, { memberId: s1.memberId, groupInstanceId: 'i1' })
  assert.equal(await isSettled(oldJoin), false)
  const replacement = join(h, G, { groupInstanceId: 'i1' })
  const fenced = await oldJoin
  assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID)
  await join(h, G, { memberId: b.memberId })
  const [jr, jc] = await Promise.all([replacement, c.response])
  assert.equal(jr.generationId, 3)
  assert.equal(jc.generationId, 3)
})

test('SyncGroup checks: generation, protocol name, rebalance in progress, leader re-sync after Stable', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  assert.equal((await sync(h, G, a.memberId, 7)).errorCode, ErrorCode.ILLEGAL_GENERATION)
  const wrong = await h.gc.syncGroup({ clientId: 'c', clientHost: 'h', apiVersion: 5 },
    { groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] })
  assert.equal(wrong.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  // Stable: a repeated SyncGroup gets the current assignment.
  assert.equal((await sync(h, G, a.memberId, 1)).assignment.toString(), 'A')
  const b = await joinNew(h, G)
  assert.equal((await sync(h, G, a.memberId, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  await join(h, G, { memberId: a.memberId })
  await b.response
  // A third member joins while the followers wait for the assignment: they are told to rejoin.
  const waiting = sync(h, G, b.memberId, 2)
  const c = await joinNew(h, G)
  assert.equal((await waiting).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  void c
})

test('a member rejoining with the same metadata during CompletingRebalance gets the same generation again', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  const ja = await join(h, G, { memberId: a.memberId })
  await b.response
  const again = await join(h, G, { memberId: b.memberId })
  assert.equal(again.generationId, ja.generationId)
  assert.equal(h.gc.groupManager.group(G)?.state, 'CompletingRebalance')
})

test('a leader rejoining a Stable group forces a rebalance; a follower with unchanged metadata does not', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  const b = await joinNew(h, G)
  await join(h, G, { memberId: a.memberId })
  await b.response
  await Promise.all([sync(h, G, a.memberId, 2, []), sync(h, G, b.memberId, 2)])
  const jb = await join(h, G, { memberId: b.memberId })
  assert.equal(jb.generationId, 2)
  assert.equal(h.gc.groupManager.group(G)?.state, 'Stable')
  const parked = join(h, G, { memberId: a.memberId })
  assert.equal(h.gc.groupManager.group(G)?.state, 'PreparingRebalance')
  await join(h, G, { memberId: b.memberId })
  assert.equal((await parked).generationId, 3)
})

test('describe and list groups, with state and type filters', async () => {
  const h = await startCoordinator()
  const a = await stableOne(h)
  await h.gc.commitOffsets({ clientId: 'c', clientHost: 'h', apiVersion: 8 }, {
    groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
  })
  const [d, missing] = await h.gc.describeGroups([G, 'missing'])
  assert.equal(d?.groupState, 'Stable')
  assert.equal(d?.protocolType, 'consumer')
  assert.equal(d?.protocolData, 'range')
  assert.equal(d?.members[0]?.memberId, a.memberId)
  assert.equal(d?.members[0]?.clientId, 'client')
  assert.equal(d?.members[0]?.memberAssignment.toString(), 'A')
  assert.ok((d?.members[0]?.memberMetadata.length ?? 0) > 0)
  assert.deepEqual(missing, { errorCode: 0, groupId: 'missing', groupState: 'Dead', protocolType: '', protocolData: '', members: [] })

  const all = h.gc.listGroups([], [])
  assert.deepEqual(all.groups.map(g => [g.groupId, g.groupState, g.protocolType, g.groupType]).sort(),
    [[G, 'Stable', 'consumer', 'classic'], ['simple', 'Empty', '', 'classic']])
  assert.deepEqual(h.gc.listGroups(['stable'], []).groups.map(g => g.groupId), [G])
  assert.deepEqual(h.gc.listGroups(['Empty', 'Dead'], []).groups.map(g => g.groupId), ['simple'])
  assert.equal(h.gc.listGroups([], ['Classic']).groups.length, 2)
  assert.equal(h.gc.listGroups([], ['consumer']).groups.length, 0)
})
