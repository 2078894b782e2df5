// The `range` server assignor (Kafka's RangeAssignor): for each topic, members subscribed to it
// get contiguous ranges of partitions, the first `partitions % members` of them one extra. Members
// are ordered by instance id (static members first), then by member id, so static members keep
// their ranges across restarts. When every member subscribes to the same topics of equal size,
// each member gets the same partition numbers of every topic (co-partitioning, for joins).
// Not sticky: ranges follow the member order, whatever was assigned before.

import type { TopicPartitions } from './Assignment.ts'
import { type ConsumerGroupPartitionAssignor, type GroupAssignment, type GroupSpec, type NumPartitions, numPartitionsOrThrow } from './PartitionAssignor.ts'

export const RANGE_ASSIGNOR_NAME = 'range'

interface TopicRanges { readonly numPartitions: number, numMembers: number, minQuota: number, extra: number, next: number }

/** Static members first (by instance id), then dynamic members by member id. */
function rangeOrder (spec: GroupSpec): string[] {
  return [...spec.members.keys()].sort((a, b) => {
    const ia = spec.members.get(a)?.instanceId ?? null
    const ib = spec.members.get(b)?.instanceId ?? null
    if (ia !== null && ib !== null) return ia < ib ? -1 : ia > ib ? 1 : 0
    if (ia !== null) return -1
    if (ib !== null) return 1
    return a < b ? -1 : a > b ? 1 : 0
  })
}

function takeRange (topicId: string, t: TopicRanges, into: Map<string, Set<number>>): void {
  if (t.minQuota < 0) {
    t.minQuota = Math.floor(t.numPartitions / t.numMembers)
    t.extra = t.numPartitions % t.numMembers
  }
  let quota = t.minQuota
  if (t.extra > 0) { quota++; t.extra-- }
  const start = t.next
  const end = Math.min(start + quota, t.numPartitions)
  t.next = end
  if (start < end) into.set(topicId, new Set(Array.from({ length: end - start }, (_, i) => start + i)))
}

export const RangeAssignor: ConsumerGroupPartitionAssignor = {
  name: RANGE_ASSIGNOR_NAME,
  assign (spec: GroupSpec, numPartitions: NumPartitions): GroupAssignment {
    const out: GroupAssignment = new Map()
    if (spec.members.size === 0) return out
    const order = rangeOrder(spec)
    const topics = new Map<string, TopicRanges>()
    for (const memberId of order) {
      for (const topicId of [...spec.members.get(memberId)?.subscribedTopicIds ?? []].sort()) {
        let t = topics.get(topicId)
        if (t === undefined) topics.set(topicId, t = { numPartitions: numPartitionsOrThrow(numPartitions, topicId), numMembers: 0, minQuota: -1, extra: -1, next: 0 })
        t.numMembers++
      }
    }
    for (const memberId of order) {
      const assignment = new Map<string, Set<number>>()
      for (const topicId of [...spec.members.get(memberId)?.subscribedTopicIds ?? []].sort()) {
        const t = topics.get(topicId)
        if (t !== undefined) takeRange(topicId, t, assignment)
      }
      out.set(memberId, assignment as TopicPartitions)
    }
    return out
  },
}
