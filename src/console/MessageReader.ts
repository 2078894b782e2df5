// The message browser's reads: the newest (or oldest) records of a topic that pass a filter, read
// with plain Fetch requests from a consumer that never joins a group, so browsing commits nothing
// and disturbs no group.
//
// Where to read: the time filter becomes offsets first (ListOffsets by timestamp gives the first
// offset at or after `from`, and the first after `to`), so a time window costs what it holds.
// Newest first, each partition is read backwards in growing windows until it yields `limit`
// matches or reaches the start; the partitions' matches are merged by timestamp. Every browse reads
// at most MAX_SCAN_RECORDS records, so a filter that matches nothing in a huge topic answers
// "scanned N, incomplete" rather than reading it all. One read runs at a time (the consumer's
// fetch session is per client), later ones wait their turn.

import type { Admin, Consumer } from '@platformatic/kafka'
import { type ConsoleMessage, matchesFilter, type MessageFilter, messagesOfBatches } from './ConsoleMessage.ts'

/** Most messages one browse returns. */
export const MAX_BROWSE_LIMIT = 500
/** Most records one browse reads over all partitions, matched or not. */
export const MAX_SCAN_RECORDS = 20_000
/** Largest Fetch response one read asks for. */
const FETCH_MAX_BYTES = 4 * 1024 * 1024
/** First backward window per partition, in offsets; it doubles on each step. */
const FIRST_WINDOW = 64
const LATEST = -1n
const EARLIEST = -2n

export interface BrowseOptions {
  partition?: number
  filter: MessageFilter
  limit: number
  /** newest first (default) or oldest first */
  order: 'newest' | 'oldest'
}

export interface BrowseResult {
  messages: ConsoleMessage[]
  /** records read */
  scanned: number
  /** false when MAX_SCAN_RECORDS stopped the read before every wanted record was seen */
  complete: boolean
}

export class UnknownTopicError extends Error {}

interface Target { topicId: string, partition: number, leader: number }

export class MessageReader {
  private readonly consumer: Consumer
  private readonly admin: Admin
  private queue: Promise<unknown> = Promise.resolve()

  constructor (consumer: Consumer, admin: Admin) {
    this.consumer = consumer
    this.admin = admin
  }

  browse (topic: string, options: BrowseOptions): Promise<BrowseResult> {
    const run = this.queue.catch(() => {}).then(() => this.doBrowse(topic, options))
    this.queue = run
    return run
  }

  private async doBrowse (topic: string, o: BrowseOptions): Promise<BrowseResult> {
    const names = await this.admin.listTopics({ includeInternals: false })
    if (!names.includes(topic)) throw new UnknownTopicError(`no topic '${topic}'`)
    const md = await this.consumer.metadata({ topics: [topic], forceUpdate: true, autocreateTopics: false })
    const t = md.topics.get(topic)
    if (t === undefined) throw new UnknownTopicError(`no topic '${topic}'`)
    const all = Array.from({ length: t.partitionsCount }, (_, i) => i)
    const partitions = o.partition === undefined ? all : all.filter(p => p === o.partition)
    if (partitions.length === 0) throw new RangeError(`topic '${topic}' has no partition ${o.partition ?? ''}`)

    const [starts, ends] = await Promise.all([
      this.offsetsAt(topic, partitions, o.filter.from === undefined ? EARLIEST : BigInt(o.filter.from)),
      this.offsetsAt(topic, partitions, o.filter.to === undefined ? LATEST : BigInt(o.filter.to + 1)),
    ])
    const limit = Math.max(1, Math.min(o.limit, MAX_BROWSE_LIMIT))
    const budget = { left: MAX_SCAN_RECORDS }
    let complete = true
    const found: ConsoleMessage[] = []
    for (const partition of partitions) {
      const target = { topicId: t.id, partition, leader: t.partitions[partition]?.leader ?? -1 }
      const start = starts.get(partition) ?? 0n
      const end = ends.get(partition) ?? 0n
      const r = o.order === 'oldest'
        ? await this.forward(topic, target, start, end, limit, o.filter, budget)
        : await this.backward(topic, target, start, end, limit, o.filter, budget)
      found.push(...r.messages)
      if (!r.complete) complete = false
    }
    const sign = o.order === 'oldest' ? 1 : -1
    found.sort((a, b) => sign * (a.timestamp - b.timestamp) || a.partition - b.partition || sign * (a.offset - b.offset))
    return { messages: found.slice(0, limit), scanned: MAX_SCAN_RECORDS - budget.left, complete }
  }

  /**
   * Offsets of the partitions at a timestamp: -1 latest, -2 earliest, else the first offset whose
   * timestamp is at or after it; a partition with no such record gives its latest offset.
   */
  private async offsetsAt (topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, bigint>> {
    const ask = async (ts: bigint): Promise<Map<number, bigint>> => {
      const out = new Map<number, bigint>()
      const listed = await this.admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map(partitionIndex => ({ partitionIndex, timestamp: ts })) }] })
      for (const t of listed) for (const p of t.partitions) out.set(p.partitionIndex, p.offset)
      return out
    }
    const out = await ask(timestamp)
    if (partitions.some(p => (out.get(p) ?? -1n) < 0n)) {
      const latest = await ask(LATEST)
      for (const p of partitions) if ((out.get(p) ?? -1n) < 0n) out.set(p, latest.get(p) ?? 0n)
    }
    return out
  }

  private async forward (topic: string, target: Target, start: bigint, end: bigint, limit: number, filter: MessageFilter, budget: { left: number }): Promise<{ messages: ConsoleMessage[], complete: boolean }> {
    const out: ConsoleMessage[] = []
    let pos = start
    while (pos < end && out.length < limit) {
      if (budget.left <= 0) return { messages: out, complete: false }
      const { messages, next } = await this.read(topic, target, pos, end)
      budget.left -= messages.length
      for (const m of messages) if (out.length < limit && matchesFilter(m, filter)) out.push(m)
      if (next <= pos) break
      pos = next
    }
    return { messages: out, complete: true }
  }

  private async backward (topic: string, target: Target, start: bigint, end: bigint, limit: number, filter: MessageFilter, budget: { left: number }): Promise<{ messages: ConsoleMessage[], complete: boolean }> {
    let out: ConsoleMessage[] = []
    let hi = end
    let window = BigInt(Math.max(FIRST_WINDOW, limit))
    while (hi > start && out.length < limit) {
      if (budget.left <= 0) return { messages: out, complete: false }
      const lo = hi - window > start ? hi - window : start
      const matched: ConsoleMessage[] = []
      let pos = lo
      while (pos < hi) {
        const { messages, next } = await this.read(topic, target, pos, hi)
        budget.left -= messages.length
        for (const m of messages) if (matchesFilter(m, filter)) matched.push(m)
        if (next <= pos) break
        pos = next
      }
      out = matched.concat(out)
      hi = lo
      window *= 2n
    }
    return { messages: out.slice(-limit).reverse(), complete: true }
  }

  /** One Fetch from `pos`: the records in [pos, end) and the offset to read next. */
  private async read (topic: string, target: Target, pos: bigint, end: bigint): Promise<{ messages: ConsoleMessage[], next: bigint }> {
    const res = await this.consumer.fetch({
      node: target.leader,
      topics: [{ topicId: target.topicId, partitions: [{ partition: target.partition, currentLeaderEpoch: -1, fetchOffset: pos, lastFetchedEpoch: -1, partitionMaxBytes: FETCH_MAX_BYTES }] }],
      maxWaitTime: 0,
      minBytes: 0,
      maxBytes: FETCH_MAX_BYTES,
    })
    let next = pos
    const messages: ConsoleMessage[] = []
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.partitionIndex !== target.partition) continue
        for (const b of p.records ?? []) {
          const last = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n
          if (last > next) next = last
        }
        for (const m of messagesOfBatches(topic, target.partition, p.records, pos)) if (BigInt(m.offset) < end) messages.push(m)
      }
    }
    return { messages, next }
  }
}
