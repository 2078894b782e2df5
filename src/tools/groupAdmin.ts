// Consumer group administration over the Admin API, what kafka-consumer-groups does: list,
// describe (per partition: committed offset, log end offset, lag, and who owns it), reset offsets
// (computed always, written only when asked to execute, and only while the group has no members),
// and delete (the group, or its offsets for one topic).

import { type Admin, findErrorBy } from '@platformatic/kafka'
import { partitionKey, type TopicPartition } from './PartitionFetcher.ts'
import { ToolError, ToolErrorCodes } from './ToolError.ts'

const EARLIEST = -2n
const LATEST = -1n

export interface GroupListing { groupId: string, state: string, protocolType: string }

export interface GroupMemberDescription {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  host: string
  assignments: TopicPartition[]
}

export interface GroupPartitionDescription extends TopicPartition {
  /** null: the group has committed nothing for this partition */
  currentOffset: bigint | null
  logEndOffset: bigint
  /** logEndOffset - currentOffset; null without a committed offset */
  lag: bigint | null
  consumerId: string | null
  host: string | null
  clientId: string | null
}

export interface GroupDescription {
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: GroupMemberDescription[]
  partitions: GroupPartitionDescription[]
  totalLag: bigint
}

export async function listGroups (admin: Admin): Promise<GroupListing[]> {
  const groups = await admin.listGroups()
  return [...groups.values()]
    .map(g => ({ groupId: g.id, state: g.state, protocolType: g.protocolType }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId))
}

/** Log offsets (timestamp -2n: start, -1n: end, else the first at or after it) of some partitions. */
async function logOffsets (admin: Admin, partitions: readonly TopicPartition[], timestamp: bigint): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>()
  if (partitions.length === 0) return out
  const byTopic = new Map<string, number[]>()
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition])
  const listed = await admin.listOffsets({
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map(partitionIndex => ({ partitionIndex, timestamp })) })),
  })
  for (const t of listed) for (const p of t.partitions) out.set(partitionKey(t.name, p.partitionIndex), p.offset)
  return out
}

async function committedOffsets (admin: Admin, groupId: string): Promise<Map<string, TopicPartition & { offset: bigint }>> {
  const out = new Map<string, TopicPartition & { offset: bigint }>()
  const groups = await admin.listConsumerGroupOffsets({ groups: [groupId] })
  for (const t of groups[0]?.topics ?? []) {
    for (const p of t.partitions) {
      if (p.committedOffset >= 0n) out.set(partitionKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })
    }
  }
  return out
}

function byTopicPartition (a: TopicPartition, b: TopicPartition): number {
  return a.topic.localeCompare(b.topic) || a.partition - b.partition
}

export async function describeGroup (admin: Admin, groupId: string): Promise<GroupDescription> {
  const described = (await admin.describeGroups({ groups: [groupId] })).get(groupId)
  const committed = await committedOffsets(admin, groupId)
  const state = described?.state ?? 'Dead'
  if ((state === 'Dead' || described === undefined) && committed.size === 0) {
    throw new ToolError(ToolErrorCodes.UNKNOWN_GROUP, `consumer group '${groupId}' does not exist`)
  }
  const members: GroupMemberDescription[] = [...(described?.members.values() ?? [])].map(m => ({
    memberId: m.id,
    groupInstanceId: m.groupInstanceId ?? null,
    clientId: m.clientId,
    host: m.clientHost.replace(/^\//, ''),
    assignments: [...(m.assignments?.values() ?? [])].flatMap(a => a.partitions.map(partition => ({ topic: a.topic, partition }))).sort(byTopicPartition),
  }))
  const owner = new Map<string, GroupMemberDescription>()
  for (const m of members) for (const a of m.assignments) owner.set(partitionKey(a.topic, a.partition), m)
  const keys = new Map<string, TopicPartition>()
  for (const c of committed.values()) keys.set(partitionKey(c.topic, c.partition), { topic: c.topic, partition: c.partition })
  for (const m of members) for (const a of m.assignments) keys.set(partitionKey(a.topic, a.partition), a)
  const partitionsOf = [...keys.values()].sort(byTopicPartition)
  // A topic deleted since its offsets were committed has no end offset: list only live topics.
  const live = new Set(await admin.listTopics({ includeInternals: true }))
  const ends = await logOffsets(admin, partitionsOf.filter(p => live.has(p.topic)), LATEST)
  let totalLag = 0n
  const partitions = partitionsOf.filter(p => ends.has(partitionKey(p.topic, p.partition))).map(p => {
    const key = partitionKey(p.topic, p.partition)
    const currentOffset = committed.get(key)?.offset ?? null
    const logEndOffset = ends.get(key) as bigint
    const lag = currentOffset === null ? null : (logEndOffset > currentOffset ? logEndOffset - currentOffset : 0n)
    if (lag !== null) totalLag += lag
    const m = owner.get(key)
    return { ...p, currentOffset, logEndOffset, lag, consumerId: m?.memberId ?? null, host: m?.host ?? null, clientId: m?.clientId ?? null }
  })
  return {
    groupId,
    state,
    protocolType: described?.protocolType ?? '',
    protocol: described?.protocol ?? '',
    members,
    partitions,
    totalLag,
  }
}

export type ResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset', offset: bigint }
  | { kind: 'shift', by: bigint }
  /** the first offset at or after this time (ms since the epoch) */
  | { kind: 'datetime', timestamp: bigint }

export interface ResetScope {
  /** topics (all their partitions) or some partitions of them */
  topics?: ReadonlyArray<{ topic: string, partitions?: readonly number[] }>
  /** every topic the group has committed offsets for */
  allTopics?: boolean
}

export interface PlannedOffset extends TopicPartition { newOffset: bigint }

/**
 * Computes the new offsets, clamped to what each log holds (as kafka-consumer-groups does), and
 * writes them when execute is set. Writing needs a group without members: offsets of an active
 * group belong to its consumers.
 */
export async function resetOffsets (admin: Admin, groupId: string, spec: ResetSpec, scope: ResetScope, execute: boolean): Promise<PlannedOffset[]> {
  const committed = await committedOffsets(admin, groupId)
  const described = (await admin.describeGroups({ groups: [groupId] })).get(groupId)
  const state = described?.state ?? 'Dead'
  const active = described !== undefined && described.members.size > 0
  let partitions: TopicPartition[]
  if (scope.allTopics === true) {
    partitions = [...committed.values()].map(c => ({ topic: c.topic, partition: c.partition }))
  } else {
    const topics = scope.topics ?? []
    if (topics.length === 0) throw new ToolError(ToolErrorCodes.INVALID, 'name the topics to reset (--topic) or --all-topics')
    const metadata = await admin.metadata({ topics: await existingTopics(admin, topics.map(t => t.topic)), forceUpdate: true })
    partitions = []
    for (const t of topics) {
      const count = metadata.topics.get(t.topic)?.partitionsCount ?? 0
      const wanted = t.partitions ?? Array.from({ length: count }, (_, i) => i)
      for (const partition of wanted) {
        if (partition < 0 || partition >= count) throw new ToolError(ToolErrorCodes.INVALID, `topic '${t.topic}' has no partition ${partition} (it has ${count})`)
        partitions.push({ topic: t.topic, partition })
      }
    }
  }
  partitions.sort(byTopicPartition)
  const starts = await logOffsets(admin, partitions, EARLIEST)
  const ends = await logOffsets(admin, partitions, LATEST)
  const atTime = spec.kind === 'datetime' ? await logOffsets(admin, partitions, spec.timestamp) : undefined
  const planned = partitions.map(p => {
    const key = partitionKey(p.topic, p.partition)
    const start = starts.get(key) as bigint
    const end = ends.get(key) as bigint
    const current = committed.get(key)?.offset
    let offset: bigint
    switch (spec.kind) {
      case 'earliest': offset = start; break
      case 'latest': offset = end; break
      case 'current': offset = current ?? end; break
      case 'offset': offset = spec.offset; break
      case 'shift':
        if (current === undefined) throw new ToolError(ToolErrorCodes.INVALID, `cannot shift ${p.topic}/${p.partition}: group '${groupId}' has no committed offset for it`)
        offset = current + spec.by
        break
      case 'datetime': {
        const found = atTime?.get(key)
        offset = found === undefined || found < 0n ? end : found
        break
      }
    }
    if (offset < start) offset = start
    if (offset > end) offset = end
    return { ...p, newOffset: offset }
  })
  if (execute) {
    if (active) throw new ToolError(ToolErrorCodes.GROUP_ACTIVE, `consumer group '${groupId}' has active members (state ${state}); stop its consumers before resetting its offsets`)
    const byTopic = new Map<string, Array<{ partition: number, offset: bigint }>>()
    for (const p of planned) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, offset: p.newOffset }])
    if (byTopic.size > 0) {
      await admin.alterConsumerGroupOffsets({ groupId, topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })) })
    }
  }
  return planned
}

async function existingTopics (admin: Admin, topics: readonly string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics({ includeInternals: true }))
  const missing = topics.filter(t => !existing.has(t))
  if (missing.length > 0) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${missing[0] as string}'`)
  return [...new Set(topics)]
}

/** Deletes a group (which must have no members), or only its offsets for one topic. */
export async function deleteGroup (admin: Admin, groupId: string, options: { topic?: string } = {}): Promise<void> {
  try {
    if (options.topic !== undefined) {
      const metadata = await admin.metadata({ topics: await existingTopics(admin, [options.topic]) })
      const count = metadata.topics.get(options.topic)?.partitionsCount ?? 0
      await admin.deleteConsumerGroupOffsets({ groupId, topics: [{ name: options.topic, partitionIndexes: Array.from({ length: count }, (_, i) => i) }] })
    } else {
      await admin.deleteGroups({ groups: [groupId] })
    }
  } catch (error) {
    if (findErrorBy(error as Error, 'apiId', 'GROUP_ID_NOT_FOUND') !== null) throw new ToolError(ToolErrorCodes.UNKNOWN_GROUP, `consumer group '${groupId}' does not exist`, { cause: error })
    if (findErrorBy(error as Error, 'apiId', 'NON_EMPTY_GROUP') !== null) throw new ToolError(ToolErrorCodes.GROUP_ACTIVE, `consumer group '${groupId}' has active members; stop its consumers first`, { cause: error })
    if (findErrorBy(error as Error, 'apiId', 'GROUP_SUBSCRIBED_TO_TOPIC') !== null) throw new ToolError(ToolErrorCodes.GROUP_ACTIVE, `consumer group '${groupId}' is consuming '${options.topic}'; stop its consumers first`, { cause: error })
    throw error
  }
}
