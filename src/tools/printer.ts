// The exercise's printer: reads a topic and hands every record to a callback, which prints it.
//
// Without a group it reads every partition (or the ones asked for) from a chosen start: the
// beginning, the end, an offset, the last N records of each partition, or the first record at or
// after a time. Nothing is committed and no group is created on the broker.
// With a group it joins it, starts each assigned partition at the group's committed offset (or at
// the chosen start when the group has none), and commits what it handed over: every second, and
// when it stops. After a rebalance it starts again from the committed offsets (at-least-once).
//
// It stops when the signal aborts, after maxMessages records, or, with exitAtEnd, once every
// partition it reads has reached the end offset of its latest fetch (kcat's -e).

import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { Consumer } from '@platformatic/kafka'
import { type ClientConfig, consumerOptions } from './clientOptions.ts'
import { GroupMembership, needsRejoin } from './GroupMembership.ts'
import { type FetchedRecord, fetcherOptionsOf, listOffsets, PartitionFetcher, partitionKey, type PartitionPosition, type TopicPartition } from './PartitionFetcher.ts'
import { isUnreachable, ToolError, ToolErrorCodes } from './ToolError.ts'

/** How often a printer in a group commits what it printed. */
export const PRINTER_COMMIT_INTERVAL_MS = 1_000
/** How long a group member with no partitions waits before looking again. */
const IDLE_WAIT_MS = 200

export type StartPosition =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'offset', offset: bigint }
  | { kind: 'last', count: bigint }
  | { kind: 'time', timestamp: bigint }

/** `beginning`, `end`, an offset, `-N` (the last N of each partition) or `@TIME` (ISO 8601 or ms since the epoch). */
export function parseStartPosition (text: string): StartPosition {
  if (text === 'beginning' || text === 'earliest') return { kind: 'beginning' }
  if (text === 'end' || text === 'latest') return { kind: 'end' }
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) }
  if (/^-\d+$/.test(text)) return { kind: 'last', count: BigInt(text.slice(1)) }
  if (text.startsWith('@')) {
    const rest = text.slice(1)
    const ms = /^\d+$/.test(rest) ? Number(rest) : Date.parse(rest)
    if (Number.isFinite(ms)) return { kind: 'time', timestamp: BigInt(ms) }
  }
  throw new ToolError(ToolErrorCodes.INVALID, `--from: expected beginning, end, an offset, -N or @TIME, got '${text}'`)
}

export interface PrinterOptions extends ClientConfig {
  topic: string
  /** consume in this consumer group (committed offsets, commits); none: no group at all */
  group?: string
  /** where to start without a committed offset (default: end, as Kafka's console consumer) */
  from?: StartPosition
  /** only these partitions (not with a group) */
  partitions?: readonly number[]
  exitAtEnd?: boolean
  maxMessages?: number
  signal?: AbortSignal
  /** called once the start positions are known, before the first record */
  onStart?: (positions: readonly PartitionPosition[]) => void
  onRecord: (record: FetchedRecord) => void | Promise<void>
}

export interface PrinterResult {
  count: number
  /** why it stopped */
  reason: 'end' | 'max-messages' | 'signal'
}

/** The partitions of a topic, or ToolError when it does not exist. */
export async function topicPartitions (consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, topic: string): Promise<number> {
  try {
    const metadata = await consumer.metadata({ topics: [topic], autocreateTopics: false })
    const t = metadata.topics.get(topic)
    if (t === undefined) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${topic}'`)
    return t.partitionsCount
  } catch (error) {
    if (error instanceof ToolError || isUnreachable(error)) throw error
    if (/unknown topic/i.test(String((error as Error).message))) throw new ToolError(ToolErrorCodes.UNKNOWN_TOPIC, `unknown topic '${topic}'`, { cause: error })
    throw error
  }
}

/** Start offsets for partitions without a committed offset, clamped to what each log holds. */
export async function startOffsets (consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, partitions: readonly TopicPartition[], from: StartPosition): Promise<PartitionPosition[]> {
  if (partitions.length === 0) return []
  const ends = await listOffsets(consumer, partitions, -1n)
  const starts = from.kind === 'end' ? ends : await listOffsets(consumer, partitions, -2n)
  const atTime = from.kind === 'time' ? await listOffsets(consumer, partitions, from.timestamp) : undefined
  return partitions.map(p => {
    const key = partitionKey(p.topic, p.partition)
    const start = starts.get(key) as bigint
    const end = ends.get(key) as bigint
    let offset: bigint
    switch (from.kind) {
      case 'beginning': offset = start; break
      case 'end': offset = end; break
      case 'offset': offset = from.offset; break
      case 'last': offset = end - from.count; break
      case 'time': offset = atTime?.get(key) ?? end; break
    }
    if (offset < start) offset = start
    if (offset > end) offset = end
    return { ...p, offset }
  })
}

export async function runPrinter (options: PrinterOptions): Promise<PrinterResult> {
  const from = options.from ?? { kind: 'end' }
  const consumerConfig = consumerOptions(options, 'samsa-consume', options.group ?? `samsa-consume-${randomUUID()}`)
  const consumer = new Consumer(consumerConfig)
  let clientError: Error | undefined
  consumer.on('error', (error: Error) => { clientError ??= error })
  const fetcher = new PartitionFetcher(consumer, fetcherOptionsOf(consumerConfig, 'earliest'))
  const membership = options.group !== undefined ? new GroupMembership(consumer, [options.topic]) : undefined
  let count = 0
  let reason: PrinterResult['reason'] = 'signal'
  /** per partition: the offset after the last record handed over (what a commit records) */
  const consumed = new Map<string, PartitionPosition>()
  let lastCommit = Date.now()
  const stopped = (): boolean => options.signal?.aborted === true

  const commit = async (): Promise<void> => {
    if (membership === undefined || consumed.size === 0) return
    try {
      await membership.commit([...consumed.values()])
    } catch (error) {
      // A rebalance ended this generation: the next round starts again from the committed offsets
      // (records printed since the last commit may be printed again: at-least-once).
      if (!needsRejoin(error)) throw error
      await membership.join()
    }
    lastCommit = Date.now()
  }

  try {
    const partitionCount = await topicPartitions(consumer, options.topic)
    if (membership === undefined) {
      const wanted = options.partitions ?? Array.from({ length: partitionCount }, (_, i) => i)
      for (const p of wanted) {
        if (!Number.isInteger(p) || p < 0 || p >= partitionCount) throw new ToolError(ToolErrorCodes.INVALID, `topic '${options.topic}' has no partition ${p} (it has ${partitionCount})`)
      }
      const positions = await startOffsets(consumer, wanted.map(partition => ({ topic: options.topic, partition })), from)
      fetcher.assign(positions)
      options.onStart?.(positions)
    } else {
      await membership.join()
    }

    let started = membership === undefined
    loop: while (!stopped()) {
      if (clientError !== undefined) throw clientError
      if (membership !== undefined && membership.rebalanced()) {
        // A new generation: start again from what the group committed.
        consumed.clear()
        const assigned = membership.assignment()
        const committed = assigned.length > 0
          ? await consumer.listCommittedOffsets({ topics: [{ topic: options.topic, partitions: assigned.map(a => a.partition) }] })
          : new Map<string, bigint[]>()
        const withoutCommit = assigned.filter(a => (committed.get(a.topic)?.[a.partition] ?? -1n) < 0n)
        const fallback = new Map((await startOffsets(consumer, withoutCommit, from)).map(p => [partitionKey(p.topic, p.partition), p]))
        const positions = assigned.map(a => fallback.get(partitionKey(a.topic, a.partition)) ?? { ...a, offset: committed.get(a.topic)?.[a.partition] as bigint })
        fetcher.assign(positions)
        if (!started) options.onStart?.(positions)
        started = true
      }
      if (fetcher.positions().length === 0) {
        if (options.exitAtEnd === true) { reason = 'end'; break }
        await delay(IDLE_WAIT_MS, undefined, { signal: options.signal }).catch(() => {})
        continue
      }
      const records = await fetcher.fetch()
      const lastInRound = new Map<string, bigint>()
      for (const r of records) lastInRound.set(partitionKey(r.topic, r.partition), r.offset)
      const handled = new Map<string, bigint>()
      for (const r of records) {
        if (stopped()) break
        await options.onRecord(r)
        count++
        handled.set(partitionKey(r.topic, r.partition), r.offset + 1n)
        if (options.maxMessages !== undefined && count >= options.maxMessages) {
          reason = 'max-messages'
          markConsumed(consumed, fetcher.positions(), lastInRound, handled)
          break loop
        }
      }
      if (stopped()) { markConsumed(consumed, fetcher.positions(), lastInRound, handled); break }
      for (const p of fetcher.positions()) consumed.set(partitionKey(p.topic, p.partition), p)
      if (membership !== undefined && Date.now() - lastCommit >= PRINTER_COMMIT_INTERVAL_MS) await commit()
      if (options.exitAtEnd === true && fetcher.caughtUp()) { reason = 'end'; break }
    }
    await commit()
    return { count, reason }
  } finally {
    await consumer.close(true).catch(() => {})
  }
}

/** After stopping mid-round: a partition counts as consumed up to its last handed-over record. */
function markConsumed (consumed: Map<string, PartitionPosition>, positions: readonly PartitionPosition[], lastInRound: ReadonlyMap<string, bigint>, handled: ReadonlyMap<string, bigint>): void {
  for (const p of positions) {
    const key = partitionKey(p.topic, p.partition)
    const last = lastInRound.get(key)
    const done = handled.get(key)
    if (last === undefined || done === last + 1n) consumed.set(key, p) // nothing left unhanded in this round
    else if (done !== undefined) consumed.set(key, { ...p, offset: done })
  }
}
