// Partition sets of KIP-848 consumer groups, keyed by topic id (Kafka's Uuid text), as the
// coordinator keeps them: a target assignment is topic id -> partitions; a member's current
// assignment also remembers, per partition, the epoch at which it was assigned (KIP-1251, which
// lets a member commit with an older epoch for partitions it held since then).
//
// Maps are treated as immutable once built: functions here return new maps and never change their
// arguments, so a member or an assignment can be shared between the group and a computed update.

/** topic id -> partition indexes */
export type TopicPartitions = ReadonlyMap<string, ReadonlySet<number>>
/** topic id -> partition index -> the epoch at which the partition was assigned */
export type PartitionEpochs = ReadonlyMap<string, ReadonlyMap<number, number>>

export const EMPTY_ASSIGNMENT: TopicPartitions = new Map()
export const EMPTY_PARTITION_EPOCHS: PartitionEpochs = new Map()

/** The wire and record shape: topics sorted by id, partitions ascending. */
export interface TopicPartitionList { topicId: string, partitions: number[] }

export function toList (a: TopicPartitions | PartitionEpochs): TopicPartitionList[] {
  return [...a.entries()]
    .filter(([, ps]) => ps.size > 0)
    .sort(([x], [y]) => x < y ? -1 : x > y ? 1 : 0)
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps.keys()].sort((x, y) => x - y) }))
}

export function fromList (list: ReadonlyArray<{ topicId: string, partitions: readonly number[] }>): TopicPartitions {
  const out = new Map<string, Set<number>>()
  for (const t of list) {
    if (t.partitions.length === 0) continue
    let ps = out.get(t.topicId)
    if (ps === undefined) out.set(t.topicId, ps = new Set())
    for (const p of t.partitions) ps.add(p)
  }
  return out
}

export function countPartitions (a: TopicPartitions | PartitionEpochs): number {
  let n = 0
  for (const ps of a.values()) n += ps.size
  return n
}

export function assignmentEquals (a: TopicPartitions | PartitionEpochs, b: TopicPartitions | PartitionEpochs): boolean {
  if (countPartitions(a) !== countPartitions(b)) return false
  for (const [topicId, ps] of a) {
    if (ps.size === 0) continue
    const other = b.get(topicId)
    if (other === undefined) return false
    for (const p of ps.keys()) if (!other.has(p)) return false
  }
  return true
}

/** Same partitions and the same assignment epoch for each. */
export function partitionEpochsEqual (a: PartitionEpochs, b: PartitionEpochs): boolean {
  if (!assignmentEquals(a, b)) return false
  for (const [topicId, ps] of a) for (const [p, epoch] of ps) if (b.get(topicId)?.get(p) !== epoch) return false
  return true
}

/** The record / wire layout of partition epochs: partitions ascending, epochs aligned with them. */
export function toEpochList (a: PartitionEpochs): Array<{ topicId: string, partitions: number[], assignmentEpochs: number[] }> {
  return toList(a).map(({ topicId, partitions }) => ({
    topicId,
    partitions,
    assignmentEpochs: partitions.map(p => a.get(topicId)?.get(p) ?? 0),
  }))
}

/**
 * Reads partition epochs from a record. Records written before KIP-1251 carry no epochs: their
 * partitions count as assigned at `fallbackEpoch` (the member's epoch), as Kafka reads them.
 */
export function fromEpochList (list: ReadonlyArray<{ topicId: string, partitions: readonly number[], assignmentEpochs: readonly number[] | null }>,
  fallbackEpoch: number): PartitionEpochs {
  const out = new Map<string, Map<number, number>>()
  for (const t of list) {
    if (t.partitions.length === 0) continue
    let ps = out.get(t.topicId)
    if (ps === undefined) out.set(t.topicId, ps = new Map())
    const aligned = t.assignmentEpochs !== null && t.assignmentEpochs.length === t.partitions.length
    t.partitions.forEach((p, i) => ps.set(p, aligned ? t.assignmentEpochs?.[i] ?? fallbackEpoch : fallbackEpoch))
  }
  return out
}
