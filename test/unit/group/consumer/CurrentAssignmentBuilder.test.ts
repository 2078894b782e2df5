// Reconciliation one step at a time: a partition moving from one member to another is first
// revoked (the owner stays at its epoch until it no longer reports it), and only then assigned
// (the new owner waits in UNRELEASED_PARTITIONS meanwhile). Assignment epochs follow partitions.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { reconcile, type ReconcileInput } from '../../../../src/group/consumer/CurrentAssignmentBuilder.ts'
import { type ConsumerGroupMember, MemberState, newMember } from '../../../../src/group/consumer/ConsumerGroupMember.ts'
import { GroupError } from '../../../../src/group/ClassicGroup.ts'
import { ErrorCode } from '../../../../src/protocol/ErrorCode.ts'

const T = 'topic-id-aaaaaaaaaaaaaa'
const epochs = (e: number, ...ps: number[]): Map<string, Map<number, number>> => new Map(ps.length === 0 ? [] : [[T, new Map(ps.map(p => [p, e]))]])
const plain = (m: ConsumerGroupMember): unknown => ({
  epoch: m.memberEpoch, previous: m.previousMemberEpoch, state: m.state,
  assigned: Object.fromEntries([...m.assignedPartitions.get(T) ?? []]), revoking: Object.fromEntries([...m.partitionsPendingRevocation.get(T) ?? []]),
})

function input (over: Partial<ReconcileInput> & { target: number[], held?: Map<number, number> }): ReconcileInput {
  return {
    targetAssignmentEpoch: over.targetAssignmentEpoch ?? 5,
    targetAssignment: new Map([[T, new Set(over.target)]]),
    currentPartitionEpoch: (_t, p) => over.held?.get(p) ?? -1,
    ownedTopicPartitions: over.ownedTopicPartitions === undefined ? [] : over.ownedTopicPartitions,
    subscribedTopicIds: over.subscribedTopicIds ?? new Set([T]),
    subscriptionChanged: over.subscriptionChanged ?? false,
  }
}

test('a partition moves only after its owner revoked it', () => {
  const owner: ConsumerGroupMember = { ...newMember('a'), memberEpoch: 4, previousMemberEpoch: 3, assignedPartitions: epochs(2, 0, 1, 2) }
  // Target moves partition 2 away; the owner still reports all three: it must revoke first.
  const asked = reconcile(owner, input({ target: [0, 1], ownedTopicPartitions: [{ topicId: T, partitions: [0, 1, 2] }] }))
  assert.deepEqual(plain(asked), { epoch: 4, previous: 4, state: MemberState.UNREVOKED_PARTITIONS, assigned: { 0: 2, 1: 2 }, revoking: { 2: 2 } })
  // It still reports 2: nothing moves.
  assert.equal(reconcile(asked, input({ target: [0, 1], ownedTopicPartitions: [{ topicId: T, partitions: [0, 1, 2] }] })), asked)
  // A heartbeat without the owned list does not count as a revocation.
  assert.equal(reconcile(asked, input({ target: [0, 1], ownedTopicPartitions: null })), asked)
  // Revoked: the owner moves to the target epoch, keeping its partitions' assignment epochs.
  const done = reconcile(asked, input({ target: [0, 1], ownedTopicPartitions: [{ topicId: T, partitions: [0, 1] }] }))
  assert.deepEqual(plain(done), { epoch: 5, previous: 4, state: MemberState.STABLE, assigned: { 0: 2, 1: 2 }, revoking: {} })

  // The new owner of 2 waits while 2 is held, then gets it at the target epoch.
  const newcomer: ConsumerGroupMember = { ...newMember('b'), memberEpoch: 0 }
  const waiting = reconcile(newcomer, input({ target: [2], held: new Map([[2, 4]]) }))
  assert.deepEqual(plain(waiting), { epoch: 5, previous: 0, state: MemberState.UNRELEASED_PARTITIONS, assigned: {}, revoking: {} })
  const got = reconcile(waiting, input({ target: [2] }))
  assert.deepEqual(plain(got), { epoch: 5, previous: 5, state: MemberState.STABLE, assigned: { 2: 5 }, revoking: {} })
})

test('unsubscribed topics are revoked at once; an unknown state with partitions is fenced', () => {
  const m: ConsumerGroupMember = { ...newMember('a'), memberEpoch: 5, previousMemberEpoch: 4, assignedPartitions: epochs(5, 0, 1) }
  const dropped = reconcile(m, input({ target: [0, 1], subscribedTopicIds: new Set(), subscriptionChanged: true, ownedTopicPartitions: [{ topicId: T, partitions: [0, 1] }] }))
  assert.deepEqual(plain(dropped), { epoch: 5, previous: 5, state: MemberState.UNREVOKED_PARTITIONS, assigned: {}, revoking: { 0: 5, 1: 5 } })
  const unknown: ConsumerGroupMember = { ...m, state: MemberState.UNKNOWN }
  assert.throws(() => reconcile(unknown, input({ target: [0], ownedTopicPartitions: [{ topicId: T, partitions: [0] }] })),
    (e: unknown) => e instanceof GroupError && e.code === ErrorCode.FENCED_MEMBER_EPOCH)
  assert.equal(reconcile(unknown, input({ target: [0], ownedTopicPartitions: [] })).state, MemberState.STABLE)
})
