// Committed offsets through the coordinator on a manual clock: commit versions' timestamps and
// retention, offsets.retention.minutes expiry (simple, empty and live groups), transactional
// offsets replayed with their markers, and deletion.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { encodeCoordinatorRecord } from '../../../src/group/records.ts'
import type { OffsetCommitRequestData } from '../../../src/group/OffsetMetadataManager.ts'
import { ctx, flush, join, joinNew, startCoordinator, sync, subscription, type Harness } from './helpers.ts'

const DAY = 24 * 3600_000

function commit (h: Harness, groupId: string, offsets: Record<string, number>, more: Partial<OffsetCommitRequestData> = {}, apiVersion = 8): ReturnType<Harness['gc']['commitOffsets']> {
  const byTopic = new Map<string, Array<{ partitionIndex: number, committedOffset: bigint, committedLeaderEpoch: number, commitTimestamp: bigint, committedMetadata: string | null }>>()
  for (const [tp, offset] of Object.entries(offsets)) {
    const [topic, p] = tp.split(':') as [string, string]
    let list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, list = [])
    list.push({ partitionIndex: Number(p), committedOffset: BigInt(offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })
  }
  return h.gc.commitOffsets(ctx(apiVersion), {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    ...more,
  })
}

async function fetched (h: Harness, groupId: string, requireStable = false): Promise<Record<string, bigint | string>> {
  const r = await h.gc.fetchOffsets(groupId, null, requireStable)
  const out: Record<string, bigint | string> = {}
  for (const t of r.topics) for (const p of t.partitions) out[`${t.name}:${p.partitionIndex}`] = p.errorCode === 0 ? p.committedOffset : `error ${p.errorCode}`
  return out
}

test('a v1 commit keeps its commit timestamp; a v2 retention time becomes an expire timestamp (value v1)', async () => {
  const h = await startCoordinator()
  const committedAt = h.clock.now() - 1000
  const r = await h.gc.commitOffsets(ctx(1), {
    groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: BigInt(committedAt), committedMetadata: 'x' }] }],
  })
  assert.deepEqual(r, [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }])
  await commit(h, 'g', { 't:1': 6 }, { retentionTimeMs: 60_000n }, 2)
  const values = h.log.records().flatMap(x => x.type === 'offsetCommit' && x.value !== null ? [[x.partition, x.value.commitTimestamp, x.value.expireTimestamp]] : [])
  assert.deepEqual(values, [[0, BigInt(committedAt), -1n], [1, BigInt(h.clock.now()), BigInt(h.clock.now() + 60_000)]])
  // The expire timestamp rules: gone a minute later, at the next expiry check.
  h.clock.advance(h.config.offsetsRetentionCheckIntervalMs)
  await flush()
  assert.deepEqual(await fetched(h, 'g'), { 't:0': 5n })
})

test('offsets of a simple group expire offsets.retention.minutes after their commit, then the group goes', async () => {
  const h = await startCoordinator({ offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 3600_000 })
  await commit(h, 'simple', { 't:0': 1 })
  h.clock.advance(12 * 3600_000)
  await commit(h, 'simple', { 't:1': 2 })
  h.clock.advance(13 * 3600_000)
  await flush()
  assert.deepEqual(await fetched(h, 'simple'), { 't:1': 2n })
  h.clock.advance(12 * 3600_000)
  await flush()
  assert.deepEqual(await fetched(h, 'simple'), {})
  assert.equal(h.gc.groupManager.group('simple'), undefined)
  const last = h.log.records().at(-1)
  assert.deepEqual(last, { type: 'groupMetadata', group: 'simple', value: null })
})

test('offsets of a consumer group are kept while it is alive and expire a retention period after it became empty', async () => {
  const h = await startCoordinator({ offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 3600_000 })
  const a = await joinNew(h, 'g', { protocols: [{ name: 'range', metadata: subscription(['t']) }], sessionTimeoutMs: 60_000 })
  h.clock.advance(0)
  const j = await a.response
  await sync(h, 'g', a.memberId, 1, [])
  await commit(h, 'g', { 't:0': 10, 'other:0': 20 }, { generationIdOrMemberEpoch: 1, memberId: a.memberId })
  // A day with the member alive (heartbeating): the subscribed topic stays, the other expires.
  for (let i = 0; i < 48 * 60; i++) {
    h.clock.advance(30_000)
    assert.equal(await h.gc.heartbeat({ groupId: 'g', generationId: j.generationId, memberId: a.memberId, groupInstanceId: null }), ErrorCode.NONE)
  }
  await flush()
  assert.deepEqual(await fetched(h, 'g'), { 't:0': 10n })
  await h.gc.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }])
  h.clock.advance(23 * 3600_000)
  await flush()
  assert.deepEqual(await fetched(h, 'g'), { 't:0': 10n })
  h.clock.advance(2 * 3600_000)
  await flush()
  assert.deepEqual(await fetched(h, 'g'), {})
  assert.equal(h.gc.groupManager.group('g'), undefined)
})

test('transactional offsets count once their commit marker is replayed; aborted ones never', async () => {
  const h = await startCoordinator()
  const p = h.gc.partitionFor('g')
  const rec = (partition: number, offset: bigint): ReturnType<typeof encodeCoordinatorRecord> =>
    encodeCoordinatorRecord({ type: 'offsetCommit', group: 'g', topic: 't', partition, value: { offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1n, expireTimestamp: -1n } })
  const log = h.log
  let n = 0n
  const add = (partition: number, offset: bigint, producerId: bigint): void => {
    const r = rec(partition, offset)
    log.appendRaw(p, { kind: 'record', key: r.key, value: r.value, producerId, offset: n++ })
  }
  add(0, 1n, -1n)
  add(0, 5n, 7n)
  add(1, 6n, 8n)
  await h.gc.close()

  const h2 = await startCoordinator({}, log)
  assert.deepEqual(await fetched(h2, 'g'), { 't:0': 1n })
  assert.deepEqual(await fetched(h2, 'g', true), { 't:0': `error ${ErrorCode.UNSTABLE_OFFSET_COMMIT}` })
  await h2.gc.close()

  log.appendRaw(p, { kind: 'endTxn', producerId: 7n, committed: true, offset: n++ })
  log.appendRaw(p, { kind: 'endTxn', producerId: 8n, committed: false, offset: n++ })
  const h3 = await startCoordinator({}, log)
  assert.deepEqual(await fetched(h3, 'g', true), { 't:0': 5n })
})

test('DeleteGroups writes tombstones for the group and all its offsets; a restart finds nothing', async () => {
  const h = await startCoordinator()
  await commit(h, 'g', { 't:0': 1, 't:1': 2, 'u:0': 3 })
  const parked = join(h, 'busy', { version: 3 })
  h.clock.advance(0)
  const busy = await parked
  assert.deepEqual(await h.gc.deleteGroups(['g', 'busy', 'none']), [
    { groupId: 'g', errorCode: 0 }, { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP }, { groupId: 'none', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
  ])
  void busy
  assert.deepEqual(await fetched(h, 'g'), {})
  const tombstones = h.log.records().filter(r => r.value === null).map(r => r.type === 'offsetCommit' ? `${r.topic}:${r.partition}` : 'group')
  assert.deepEqual(tombstones.sort(), ['group', 't:0', 't:1', 'u:0'])
  await h.gc.close()
  const h2 = await startCoordinator({}, h.log)
  assert.equal(h2.gc.groupManager.group('g'), undefined)
  assert.deepEqual(await fetched(h2, 'g'), {})
})
