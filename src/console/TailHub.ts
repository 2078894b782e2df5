// Live tails: every browser tailing a topic (and the sensor chart) shares one fetch loop. A topic's
// tail starts at its high watermark when its first subscriber arrives; each subscriber gets the
// records that pass its own filter from then on. The loop long-polls (TAIL_MAX_WAIT_MS) with one
// consumer that never joins a group, runs only while someone subscribes, and stops with close().
//
// Bounded: subscribers are counted by the server (MAX_SSE_CLIENTS); each Fetch asks for at most
// TAIL_FETCH_MAX_BYTES; a subscriber that reads too slowly loses events in its SseStream, never
// here. A topic that disappears ends its subscribers' tails with an error.

import type { Admin, Consumer } from '@platformatic/kafka'
import type { Logger } from '../Logger.ts'
import { type ConsoleMessage, matchesFilter, type MessageFilter, messagesOfBatches } from './ConsoleMessage.ts'

/** Long-poll wait of one tail Fetch; also how long a new subscription may wait for the loop to notice it. */
export const TAIL_MAX_WAIT_MS = 500
/** Largest response of one tail Fetch, and per partition a quarter of it. */
export const TAIL_FETCH_MAX_BYTES = 1024 * 1024
/** Pause after a failed fetch before trying again. */
const RETRY_DELAY_MS = 1_000
/** How often partitions added to a tailed topic are looked for. */
const METADATA_REFRESH_MS = 10_000

export interface TailSubscriber {
  readonly filter: MessageFilter
  onMessages: (messages: ConsoleMessage[]) => void
  onError: (message: string) => void
  /** Called once the tail's start offsets are known: records produced after this are delivered. */
  onReady?: () => void
}

interface TailedTopic {
  readonly name: string
  readonly subscribers: Set<TailSubscriber>
  /** subscribers not yet told onReady */
  readonly waiting: Set<TailSubscriber>
  topicId: string | null
  /** next offset per partition; empty until the tail's start has been read */
  positions: bigint[]
  leaders: number[]
}

export class TailHub {
  private readonly consumer: Consumer
  private readonly admin: Admin
  private readonly logger: Logger
  private readonly topics = new Map<string, TailedTopic>()
  private running: Promise<void> | null = null
  private closed = false
  private lastMetadata = 0
  private wake: (() => void) | null = null

  constructor (consumer: Consumer, admin: Admin, logger: Logger) {
    this.consumer = consumer
    this.admin = admin
    this.logger = logger
  }

  get subscriberCount (): number {
    let n = 0
    for (const t of this.topics.values()) n += t.subscribers.size
    return n
  }

  /** Starts delivering the topic's new records to `s`; returns the unsubscribe function. */
  subscribe (topic: string, s: TailSubscriber): () => void {
    let t = this.topics.get(topic)
    if (t === undefined) {
      t = { name: topic, subscribers: new Set(), waiting: new Set(), topicId: null, positions: [], leaders: [] }
      this.topics.set(topic, t)
    }
    t.subscribers.add(s)
    if (t.positions.length > 0) queueMicrotask(() => s.onReady?.())
    else t.waiting.add(s)
    if (this.running === null && !this.closed) this.running = this.loop().finally(() => { this.running = null })
    const tailed = t
    return () => {
      tailed.subscribers.delete(s)
      tailed.waiting.delete(s)
      if (tailed.subscribers.size === 0 && this.topics.get(topic) === tailed) this.topics.delete(topic)
    }
  }

  private async loop (): Promise<void> {
    while (!this.closed && this.topics.size > 0) {
      try {
        await this.startPending()
        await this.fetchOnce()
      } catch (err) {
        if (this.closed) break
        this.logger.debug({ err }, 'tail fetch failed; retrying')
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, RETRY_DELAY_MS)
          this.wake = () => { clearTimeout(timer); resolve() }
        })
        this.wake = null
        this.lastMetadata = 0
      }
    }
  }

  /** Reads topic ids, leaders and start offsets of topics that have none yet (and refreshes them now and then). */
  private async startPending (): Promise<void> {
    const refresh = Date.now() - this.lastMetadata > METADATA_REFRESH_MS
    let pending = [...this.topics.values()].filter(t => t.topicId === null || refresh)
    if (pending.length === 0) return
    const existing = new Set(await this.admin.listTopics({ includeInternals: false }))
    for (const t of pending) if (t.topicId !== null && !existing.has(t.name)) this.fail(t, `topic '${t.name}' was deleted`)
    // A topic not created yet is waited for (the sensor chart may open before the first reading).
    pending = pending.filter(t => existing.has(t.name))
    this.lastMetadata = Date.now()
    if (pending.length === 0) return
    const md = await this.consumer.metadata({ topics: pending.map(t => t.name), forceUpdate: true, autocreateTopics: false })
    this.lastMetadata = Date.now()
    const starting = pending.filter(t => t.topicId === null)
    const latest = starting.length === 0 ? new Map<string, bigint[]>() : await this.consumer.listOffsets({ topics: starting.map(t => t.name) })
    for (const t of pending) {
      const m = md.topics.get(t.name)
      if (m === undefined) continue
      if (t.topicId !== null && t.topicId !== m.id) { this.fail(t, `topic '${t.name}' was deleted`); continue }
      t.topicId = m.id
      t.leaders = m.partitions.map(p => p.leader)
      const start = latest.get(t.name)
      if (start !== undefined) t.positions = [...start]
      // Partitions added since the tail started begin at 0: they were empty when they appeared.
      while (t.positions.length < m.partitionsCount) t.positions.push(0n)
      for (const w of t.waiting) w.onReady?.()
      t.waiting.clear()
    }
  }

  private fail (t: TailedTopic, message: string): void {
    this.topics.delete(t.name)
    for (const s of t.subscribers) s.onError(message)
  }

  private async fetchOnce (): Promise<void> {
    const ready = [...this.topics.values()].filter(t => t.topicId !== null && t.positions.length > 0)
    if (ready.length === 0) {
      // Topics named but not (yet) existing: look again after a pause rather than spin.
      await new Promise<void>(resolve => { const timer = setTimeout(resolve, TAIL_MAX_WAIT_MS); this.wake = () => { clearTimeout(timer); resolve() } })
      this.wake = null
      this.lastMetadata = 0
      return
    }
    const byNode = new Map<number, TailedTopic[]>()
    for (const t of ready) {
      const node = t.leaders[0] ?? -1
      let list = byNode.get(node)
      if (list === undefined) { list = []; byNode.set(node, list) }
      list.push(t)
    }
    for (const [node, topics] of byNode) {
      const byId = new Map(topics.map(t => [t.topicId as string, t]))
      const res = await this.consumer.fetch({
        node,
        topics: topics.map(t => ({
          topicId: t.topicId as string,
          partitions: t.positions.map((fetchOffset, partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, partitionMaxBytes: TAIL_FETCH_MAX_BYTES / 4 })),
        })),
        maxWaitTime: TAIL_MAX_WAIT_MS,
        minBytes: 1,
        maxBytes: TAIL_FETCH_MAX_BYTES,
      })
      if (this.closed) return
      for (const r of res.responses) {
        const t = byId.get(r.topicId)
        if (t === undefined || this.topics.get(t.name) !== t) continue
        for (const p of r.partitions) {
          const pos = t.positions[p.partitionIndex]
          if (pos === undefined) continue
          let next = pos
          for (const b of p.records ?? []) {
            const last = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n
            if (last > next) next = last
          }
          t.positions[p.partitionIndex] = next
          const messages = messagesOfBatches(t.name, p.partitionIndex, p.records, pos)
          if (messages.length === 0) continue
          for (const s of t.subscribers) {
            const passed = messages.filter(m => matchesFilter(m, s.filter))
            if (passed.length > 0) s.onMessages(passed)
          }
        }
      }
    }
  }

  async close (): Promise<void> {
    this.closed = true
    this.wake?.()
    await this.running
    this.topics.clear()
  }
}
