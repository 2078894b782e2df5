// The `uniform` server assignor, the default (Kafka's UniformAssignor): balance first (partition
// counts of any two members differ by at most one where their subscriptions allow it), then
// stickiness (a member keeps as much of its current target assignment as balance permits).
//
// Homogeneous groups (every member subscribes to the same topics) follow Kafka's
// UniformHomogeneousAssignmentBuilder: each member, in member id order, gets a quota (the total
// divided by the member count, the first `total % members` one more), keeps its current partitions
// up to the quota, and the partitions left over go to the members below their quota.
//
// Heterogeneous groups use samsa's own procedure with the same two goals (Kafka's
// UniformHeterogeneousAssignmentBuilder is a larger optimiser whose exact output differs):
// members keep the current partitions of topics they still subscribe to; unowned partitions go,
// topics with the fewest subscribers first, to the subscribed member with the fewest partitions;
// then partitions move from a member to a subscribed member holding at least two fewer, until no
// such move exists. Every step breaks ties by member id, so the result is deterministic.

import type { TopicPartitions } from './Assignment.ts'
import {
  type ConsumerGroupPartitionAssignor, type GroupAssignment, type GroupSpec, type NumPartitions,
  numPartitionsOrThrow, PartitionAssignorError, sortedMemberIds,
} from './PartitionAssignor.ts'

export const UNIFORM_ASSIGNOR_NAME = 'uniform'

type Mutable = Map<string, Set<number>>

function add (a: Mutable, topicId: string, p: number): void {
  let ps = a.get(topicId)
  if (ps === undefined) a.set(topicId, ps = new Set())
  ps.add(p)
}

function remove (a: Mutable, topicId: string, p: number): void {
  const ps = a.get(topicId)
  if (ps === undefined) return
  ps.delete(p)
  if (ps.size === 0) a.delete(topicId)
}

function count (a: Mutable): number {
  let n = 0
  for (const ps of a.values()) n += ps.size
  return n
}

function assignHomogeneous (spec: GroupSpec, numPartitions: NumPartitions): GroupAssignment {
  const memberIds = sortedMemberIds(spec)
  const first = spec.members.get(memberIds[0] as string)
  const topicIds = [...first?.subscribedTopicIds ?? []].sort()
  const out: GroupAssignment = new Map()
  if (topicIds.length === 0) {
    for (const id of memberIds) out.set(id, new Map())
    return out
  }
  const sizes = new Map(topicIds.map(t => [t, numPartitionsOrThrow(numPartitions, t)]))
  let total = 0
  for (const n of sizes.values()) total += n
  // Partitions some member keeps (each at most once, within the topic's current size).
  const kept = new Set<string>()
  const assignments = new Map<string, Mutable>()
  const unassigned: Array<[string, number]> = []
  const minQuota = Math.floor(total / memberIds.length)
  let extra = total % memberIds.length
  const unfilled: Array<[string, number]> = []
  for (const memberId of memberIds) {
    let quota = minQuota
    if (extra > 0) { quota++; extra-- }
    const current = spec.members.get(memberId)?.assignment ?? new Map()
    const mine: Mutable = new Map()
    for (const topicId of [...current.keys()].sort()) {
      const size = sizes.get(topicId)
      if (size === undefined) continue // no longer subscribed: dropped
      for (const p of [...current.get(topicId) ?? []].sort((a, b) => a - b)) {
        const key = `${topicId}:${p}`
        if (p >= size || kept.has(key)) continue
        kept.add(key)
        if (quota > 0) { add(mine, topicId, p); quota-- } else { unassigned.push([topicId, p]) }
      }
    }
    assignments.set(memberId, mine)
    if (quota > 0) unfilled.push([memberId, quota])
  }
  for (const topicId of topicIds) {
    for (let p = 0; p < (sizes.get(topicId) ?? 0); p++) if (!kept.has(`${topicId}:${p}`)) unassigned.push([topicId, p])
  }
  let next = 0
  for (const [memberId, quota] of unfilled) {
    const mine = assignments.get(memberId) as Mutable
    for (let i = 0; i < quota && next < unassigned.length; i++, next++) {
      const [topicId, p] = unassigned[next] as [string, number]
      add(mine, topicId, p)
    }
  }
  if (next < unassigned.length) throw new PartitionAssignorError('Partitions were left unassigned')
  for (const [id, a] of assignments) out.set(id, a as TopicPartitions)
  return out
}

function assignHeterogeneous (spec: GroupSpec, numPartitions: NumPartitions): GroupAssignment {
  const memberIds = sortedMemberIds(spec)
  const subscribers = new Map<string, string[]>()
  for (const id of memberIds) {
    for (const topicId of spec.members.get(id)?.subscribedTopicIds ?? []) {
      let list = subscribers.get(topicId)
      if (list === undefined) subscribers.set(topicId, list = [])
      list.push(id)
    }
  }
  const sizes = new Map([...subscribers.keys()].map(t => [t, numPartitionsOrThrow(numPartitions, t)]))
  const assignments = new Map<string, Mutable>(memberIds.map(id => [id, new Map()]))
  const owner = new Map<string, string>()
  // 1. Stickiness: keep current partitions of still-subscribed topics.
  for (const id of memberIds) {
    const m = spec.members.get(id)
    for (const [topicId, ps] of m?.assignment ?? []) {
      if (m?.subscribedTopicIds.has(topicId) !== true) continue
      const size = sizes.get(topicId) ?? 0
      for (const p of [...ps].sort((a, b) => a - b)) {
        const key = `${topicId}:${p}`
        if (p >= size || owner.has(key)) continue
        owner.set(key, id)
        add(assignments.get(id) as Mutable, topicId, p)
      }
    }
  }
  const sizeOf = (id: string): number => count(assignments.get(id) as Mutable)
  const leastLoaded = (candidates: readonly string[]): string => {
    let best = candidates[0] as string
    for (const c of candidates) if (sizeOf(c) < sizeOf(best)) best = c
    return best
  }
  // 2. Unowned partitions, topics with the fewest subscribers first.
  const topicOrder = [...subscribers.keys()].sort((a, b) =>
    (subscribers.get(a)?.length ?? 0) - (subscribers.get(b)?.length ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
  for (const topicId of topicOrder) {
    const candidates = subscribers.get(topicId) ?? []
    for (let p = 0; p < (sizes.get(topicId) ?? 0); p++) {
      const key = `${topicId}:${p}`
      if (owner.has(key)) continue
      const to = leastLoaded(candidates)
      owner.set(key, to)
      add(assignments.get(to) as Mutable, topicId, p)
    }
  }
  // 3. Balance: move a partition to a subscribed member holding two or more fewer. Each move
  // lowers the sum of squared sizes, so this ends; the bound is a guard against a bug.
  let moves = 0
  const maxMoves = owner.size * Math.max(memberIds.length, 1) + 1
  for (let moved = true; moved && moves < maxMoves;) {
    moved = false
    for (const topicId of topicOrder) {
      const candidates = subscribers.get(topicId) ?? []
      for (let p = 0; p < (sizes.get(topicId) ?? 0); p++) {
        const key = `${topicId}:${p}`
        const from = owner.get(key) as string
        const to = leastLoaded(candidates)
        if (sizeOf(to) + 2 > sizeOf(from)) continue
        remove(assignments.get(from) as Mutable, topicId, p)
        add(assignments.get(to) as Mutable, topicId, p)
        owner.set(key, to)
        moved = true
        moves++
      }
    }
  }
  const out: GroupAssignment = new Map()
  for (const [id, a] of assignments) out.set(id, a as TopicPartitions)
  return out
}

export const UniformAssignor: ConsumerGroupPartitionAssignor = {
  name: UNIFORM_ASSIGNOR_NAME,
  assign (spec: GroupSpec, numPartitions: NumPartitions): GroupAssignment {
    if (spec.members.size === 0) return new Map()
    return spec.homogeneous ? assignHomogeneous(spec, numPartitions) : assignHeterogeneous(spec, numPartitions)
  },
}
