// OffsetFetch (key 9): a group's committed offsets; -1 (and empty metadata) for a partition with
// none. v0-1 name the partitions; v2+ may ask for all of them (null topics) and have a top-level
// error code; below v2 a group-level error (COORDINATOR_LOAD_IN_PROGRESS ...) is reported on
// every requested partition, as old brokers did. v3+ throttle time; v5+ leader epoch; v6+
// flexible; v7+ requireStable (UNSTABLE_OFFSET_COMMIT while a transaction's offsets for the
// partition are pending); v8+ several groups per request, each with its own error; v9+ member id
// and epoch (checked for KIP-848 consumer groups: UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH; ignored
// for classic groups, as Kafka does). Kafka's v0 read
// ZooKeeper; samsa answers v0 from the coordinator, like v1.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { OffsetFetch } from '../../protocol/messages/OffsetFetch.ts'
import type { FetchedGroup } from '../../group/OffsetMetadataManager.ts'
import type { ResponseInput } from '../../protocol/schema.ts'
import { defineHandler } from '../defineHandler.ts'

type Topics = ReadonlyArray<{ name: string, partitionIndexes: readonly number[] }> | null

/** The requested partitions, each with the group's error (v0-1 have no other place for it). */
function partitionsWithError (topics: Topics, errorCode: number): FetchedGroup['topics'] {
  return (topics ?? []).map(t => ({
    name: t.name,
    partitions: t.partitionIndexes.map(partitionIndex => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
  }))
}

function singleGroupResponse (group: FetchedGroup, topics: Topics, apiVersion: number): ResponseInput<typeof OffsetFetch> {
  const out = apiVersion < 2 && group.errorCode !== ErrorCode.NONE ? partitionsWithError(topics, group.errorCode) : group.topics
  return { throttleTimeMs: 0, errorCode: group.errorCode, topics: out }
}

export const handleOffsetFetch = defineHandler(OffsetFetch, {
  versions: '0-9',
  async handle (req, { broker, apiVersion }) {
    const coordinator = broker.groupCoordinator
    if (apiVersion < 8) {
      const group = await coordinator.fetchOffsets(req.groupId, req.topics, req.requireStable)
      return singleGroupResponse(group, req.topics, apiVersion)
    }
    const groups = []
    for (const g of req.groups) {
      const topics = g.topics === null ? null : g.topics.map(t => ({ name: t.name, partitionIndexes: t.partitionIndexes }))
      // v9+: members of KIP-848 consumer groups say who they are (admin clients send null / -1).
      const member = apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null
      groups.push(await coordinator.fetchOffsets(g.groupId, topics, req.requireStable, member))
    }
    return { throttleTimeMs: 0, groups }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    errorCode: code,
    topics: partitionsWithError(req.topics, code),
    groups: req.groups.map(g => ({ groupId: g.groupId, topics: [], errorCode: code })),
  }),
})
