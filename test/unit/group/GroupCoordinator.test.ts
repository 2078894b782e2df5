// The coordinator runtime: loading by replay, COORDINATOR_LOAD_IN_PROGRESS while loading, writes
// in order before responses, a failed write reloading the partition, and close().
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { GroupCoordinator } from '../../../src/group/GroupCoordinator.ts'
import { nullLogger } from '../../../src/Logger.ts'
import { ctx, flush, heartbeat, isSettled, join, joinNew, SESSION_MS, startCoordinator, sync, testConfig, type Harness } from './helpers.ts'
import { ManualClock } from './ManualClock.ts'
import { MemoryCoordinatorLog } from './MemoryCoordinatorLog.ts'

function commitOne (h: Harness, groupId: string, offset: bigint, member: { generationIdOrMemberEpoch: number, memberId: string } = { generationIdOrMemberEpoch: -1, memberId: '' }): ReturnType<GroupCoordinator['commitOffsets']> {
  return h.gc.commitOffsets(ctx(8), {
    groupId, ...member, groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
  })
}

async function offsetOf (h: Harness, groupId: string): Promise<bigint | undefined> {
  const r = await h.gc.fetchOffsets(groupId, [{ name: 't', partitionIndexes: [0] }], false)
  return r.errorCode === 0 ? r.topics[0]?.partitions[0]?.committedOffset : undefined
}

test('a new coordinator on the same log replays groups and offsets; reloaded members expire without heartbeats', async () => {
  const h = await startCoordinator()
  const a = await joinNew(h, 'g')
  h.clock.advance(0)
  const j = await a.response
  await sync(h, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: Buffer.from('A') }])
  await commitOne(h, 'g', 17n, { generationIdOrMemberEpoch: 1, memberId: a.memberId })
  await h.gc.close()

  const h2 = await startCoordinator({}, h.log)
  const g = h2.gc.groupManager.group('g')
  assert.equal(g?.state, 'Stable')
  assert.equal(g?.generationId, 1)
  assert.equal(g?.leaderId, a.memberId)
  assert.equal(g?.protocolName, 'range')
  assert.equal(g?.member(a.memberId).assignment.toString(), 'A')
  assert.equal(await offsetOf(h2, 'g'), 17n)
  assert.equal(await heartbeat(h2, 'g', a.memberId, j.generationId), ErrorCode.NONE)
  // Without further heartbeats the loaded member's session runs out and the group empties.
  h2.clock.advance(SESSION_MS)
  await flush()
  assert.equal(g?.state, 'Empty')
  const last = h2.log.records().at(-1)
  assert.ok(last?.type === 'groupMetadata' && last.value !== null)
  assert.equal(last.value.generation, 2)
  assert.deepEqual(last.value.members, [])
})

test('while a partition loads, its groups answer COORDINATOR_LOAD_IN_PROGRESS (a heartbeat succeeds)', async () => {
  const log = new MemoryCoordinatorLog()
  log.hold()
  const clock = new ManualClock()
  const gc = new GroupCoordinator({ config: testConfig(), log, clock, logger: nullLogger })
  const started = gc.startup()
  const h: Harness = { gc, clock, log, config: testConfig() }
  assert.equal((await join(h, 'g')).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  assert.equal((await sync(h, 'g', 'm', 1)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  assert.equal(await heartbeat(h, 'g', 'm', 1), ErrorCode.NONE)
  assert.deepEqual(await commitOne(h, 'g', 1n), [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }] }])
  assert.equal((await gc.fetchOffsets('g', null, false)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  assert.equal(gc.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  assert.equal((await gc.describeGroups(['g']))[0]?.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  assert.deepEqual(await gc.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }])
  log.release()
  await started
  assert.equal(gc.isLoaded, true)
  assert.deepEqual(await commitOne(h, 'g', 1n), [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }])
  await gc.close()
})

test('responses wait for their records; writes to a partition happen in operation order', async () => {
  const h = await startCoordinator()
  h.log.hold()
  const first = commitOne(h, 'g', 1n)
  const second = commitOne(h, 'g', 2n)
  const read = offsetOf(h, 'g')
  assert.equal(await isSettled(first), false, 'no answer before the write')
  assert.equal(await isSettled(read), false, 'a read waits for the writes under way')
  h.log.release()
  await Promise.all([first, second])
  assert.equal(await read, 2n)
  assert.deepEqual(h.log.records().map(r => r.type === 'offsetCommit' ? r.value?.offset : undefined), [1n, 2n])
})

test('a failed write answers with NOT_COORDINATOR and reloads the partition from the log', async () => {
  const h = await startCoordinator()
  await commitOne(h, 'g', 1n)
  h.log.failNextAppend = ErrorCode.KAFKA_STORAGE_ERROR
  assert.deepEqual(await commitOne(h, 'g', 2n), [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NOT_COORDINATOR }] }])
  assert.equal(await offsetOf(h, 'g'), 1n, 'the unwritten commit is gone after the reload')

  // Writes queued behind the failed one were made from the dropped state: they are not written.
  h.log.hold()
  h.log.failNextAppend = ErrorCode.KAFKA_STORAGE_ERROR
  const failing = commitOne(h, 'g', 3n)
  const queued = commitOne(h, 'g', 4n)
  h.log.release()
  assert.equal((await failing)[0]?.partitions[0]?.errorCode, ErrorCode.NOT_COORDINATOR)
  assert.equal((await queued)[0]?.partitions[0]?.errorCode, ErrorCode.NOT_COORDINATOR)
  await flush()
  assert.equal(await offsetOf(h, 'g'), 1n)
  assert.deepEqual(h.log.records().map(r => r.type === 'offsetCommit' ? r.value?.offset : undefined), [1n])

  // A leader's assignment that cannot be written: the members are told, and the group is as the log says.
  const a = await joinNew(h, 'x')
  h.clock.advance(0)
  await a.response
  h.log.failNextAppend = ErrorCode.KAFKA_STORAGE_ERROR
  const s = await sync(h, 'x', a.memberId, 1, [])
  assert.equal(s.errorCode, ErrorCode.NOT_COORDINATOR)
  await flush()
  assert.equal(h.gc.isLoaded, true)
  const x = h.gc.groupManager.group('x')
  assert.equal(x?.state, 'Empty', 'the log only has the new group record')
  assert.equal(x?.generationId, 0)
})

test('close() answers parked requests with NOT_COORDINATOR, stops every timer and refuses new requests', async () => {
  const h = await startCoordinator({ initialRebalanceDelayMs: 60_000 })
  const a = await joinNew(h, 'g')
  assert.equal(await isSettled(a.response), false)
  const b = await joinNew(h, 'g2')
  await h.gc.close()
  assert.equal((await a.response).errorCode, ErrorCode.NOT_COORDINATOR)
  assert.equal((await b.response).errorCode, ErrorCode.NOT_COORDINATOR)
  assert.equal(h.clock.pending, 0, 'no timer left behind')
  assert.equal((await join(h, 'g')).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  assert.equal(await heartbeat(h, 'g', a.memberId, 1), ErrorCode.COORDINATOR_NOT_AVAILABLE)
  assert.deepEqual(await commitOne(h, 'g', 1n), [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }] }])
})

test('a loaded group over group.max.size rebalances', async () => {
  const h = await startCoordinator()
  const a = await joinNew(h, 'g')
  const b = await joinNew(h, 'g')
  h.clock.advance(0)
  await Promise.all([a.response, b.response])
  await Promise.all([sync(h, 'g', a.memberId, 1, []), sync(h, 'g', b.memberId, 1)])
  await h.gc.close()
  const h2 = await startCoordinator({ maxSize: 1 }, h.log)
  assert.equal(h2.gc.groupManager.group('g')?.state, 'PreparingRebalance')
  await h2.gc.close()
})
