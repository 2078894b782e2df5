// The live charts' data: every SAMPLE_INTERVAL_MS, messages/s and bytes/s per topic (from the
// change in high watermarks and in log sizes, as DescribeLogDirs reports them, since the previous
// sample) and the total lag of each consumer group; and, as they arrive, the sensor readings of
// the sensor topic (JSON values, tailed through the TailHub).
//
// Sampling runs only while a browser listens (the stats stream), so an idle console costs the
// cluster nothing. What was sampled is kept in bounded histories (HISTORY_POINTS samples,
// MAX_READINGS readings) that a newly opened page receives first.

import type { Logger } from '../Logger.ts'
import type { ClusterView } from './ClusterView.ts'
import type { ConsoleMessage } from './ConsoleMessage.ts'
import type { SseStream } from './SseStream.ts'
import type { TailHub } from './TailHub.ts'

export const SAMPLE_INTERVAL_MS = 1_000
/** Samples kept: five minutes at one a second. */
export const HISTORY_POINTS = 300
/** Sensor readings kept. */
export const MAX_READINGS = 600
/** Numeric fields of a reading that are bookkeeping, not measurements. */
const NOT_MEASUREMENTS = new Set(['seq', 'sequence', 'timestamp', 'ts', 'time', 'offset', 'partition'])
/** Fields naming the sensor, in order of preference; else the record key. */
const SENSOR_ID_FIELDS = ['sensor_id', 'sensorId', 'sensor', 'device', 'id']

export interface RatePoint {
  /** ms since the epoch */
  t: number
  topics: Record<string, { messagesPerSec: number, bytesPerSec: number }>
}

export interface LagPoint { t: number, groups: Record<string, number> }

export interface Reading {
  t: number
  /** series name ("sensor-1 temperature") to value */
  values: Record<string, number>
}

export interface StatsSnapshot {
  intervalMs: number
  sensorTopic: string
  rates: RatePoint[]
  lag: LagPoint[]
  readings: Reading[]
}

interface Totals { t: number, topics: Map<string, { offsets: number, bytes: number }> }

/** The measurements of one sensor record: a JSON object's numeric fields, named after its sensor. */
export function readingOf (m: ConsoleMessage): Reading | null {
  if (m.value === null || m.valueEncoding !== 'utf8') return null
  let v: unknown
  try { v = JSON.parse(m.value) } catch { return null }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null
  const o = v as Record<string, unknown>
  const idField = SENSOR_ID_FIELDS.find(f => typeof o[f] === 'string' || typeof o[f] === 'number')
  const sensor = idField !== undefined ? String(o[idField]) : (m.key ?? 'sensor')
  const values: Record<string, number> = {}
  let any = false
  for (const [k, x] of Object.entries(o)) {
    if (typeof x !== 'number' || !Number.isFinite(x) || NOT_MEASUREMENTS.has(k) || k === idField) continue
    values[`${sensor} ${k}`] = x
    any = true
  }
  return any ? { t: m.timestamp, values } : null
}

export class StatsSampler {
  private readonly view: ClusterView
  private readonly tail: TailHub
  private readonly logger: Logger
  readonly intervalMs: number
  readonly sensorTopic: string
  private readonly streams = new Set<SseStream>()
  private readonly rates: RatePoint[] = []
  private readonly lag: LagPoint[] = []
  private readonly readings: Reading[] = []
  private previous: Totals | null = null
  private timer: NodeJS.Timeout | null = null
  private sampling: Promise<void> | null = null
  private unsubscribeSensors: (() => void) | null = null
  private closed = false

  constructor (view: ClusterView, tail: TailHub, logger: Logger, options: { intervalMs?: number, sensorTopic?: string } = {}) {
    this.view = view
    this.tail = tail
    this.logger = logger
    this.intervalMs = options.intervalMs ?? SAMPLE_INTERVAL_MS
    this.sensorTopic = options.sensorTopic ?? 'sensors'
  }

  snapshot (): StatsSnapshot {
    return { intervalMs: this.intervalMs, sensorTopic: this.sensorTopic, rates: [...this.rates], lag: [...this.lag], readings: [...this.readings] }
  }

  /** Sends the histories, then every new sample and reading, until the stream closes. */
  attach (stream: SseStream): void {
    stream.send('snapshot', this.snapshot())
    this.streams.add(stream)
    stream.onClose(() => {
      this.streams.delete(stream)
      if (this.streams.size === 0) this.stop()
    })
    if (this.timer === null && this.sampling === null) this.schedule(0)
  }

  private schedule (delay: number): void {
    if (this.closed || this.streams.size === 0) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.sampling = this.sample().catch((err: unknown) => this.logger.debug({ err }, 'console stats sample failed')).finally(() => {
        this.sampling = null
        this.schedule(this.intervalMs)
      })
    }, delay)
  }

  private stop (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.unsubscribeSensors?.()
    this.unsubscribeSensors = null
    // The next listener starts a new baseline: a rate across the gap would average over it.
    this.previous = null
  }

  private broadcast (event: string, data: unknown): void {
    for (const s of this.streams) s.send(event, data)
  }

  private async sample (): Promise<void> {
    const md = await this.view.metadata()
    const topics = [...md.topics].map(([name, t]) => ({ name, partitions: t.partitionsCount })).filter(t => !t.name.startsWith('__'))
    if (this.unsubscribeSensors === null && topics.some(t => t.name === this.sensorTopic)) this.watchSensors()
    const [offsets, sizes, groups] = await Promise.all([
      this.view.offsets(topics),
      this.view.logSizes(topics),
      this.view.admin.listGroups().then(g => [...g.keys()]),
    ])
    const now: Totals = { t: Date.now(), topics: new Map() }
    for (const t of topics) {
      const end = offsets.get(t.name)?.end ?? []
      const size = sizes.get(t.name) ?? []
      now.topics.set(t.name, { offsets: end.reduce((a, b) => a + b, 0), bytes: size.reduce((a, b) => a + b, 0) })
    }
    const prev = this.previous
    this.previous = now
    if (prev !== null && now.t > prev.t) {
      const seconds = (now.t - prev.t) / 1000
      const point: RatePoint = { t: now.t, topics: {} }
      for (const [name, cur] of now.topics) {
        const before = prev.topics.get(name)
        if (before === undefined) continue
        point.topics[name] = {
          messagesPerSec: Math.max(0, cur.offsets - before.offsets) / seconds,
          bytesPerSec: Math.max(0, cur.bytes - before.bytes) / seconds,
        }
      }
      push(this.rates, point, HISTORY_POINTS)
      this.broadcast('rates', point)
    }
    if (groups.length > 0 || this.lag.length > 0) {
      const lags = await this.view.lag(groups)
      const point: LagPoint = { t: Date.now(), groups: {} }
      for (const [g, rows] of lags) point.groups[g] = rows.reduce((a, r) => a + r.lag, 0)
      push(this.lag, point, HISTORY_POINTS)
      this.broadcast('lag', point)
    }
  }

  private watchSensors (): void {
    this.unsubscribeSensors = this.tail.subscribe(this.sensorTopic, {
      filter: {},
      onMessages: messages => {
        for (const m of messages) {
          const r = readingOf(m)
          if (r === null) continue
          push(this.readings, r, MAX_READINGS)
          this.broadcast('reading', r)
        }
      },
      onError: () => { this.unsubscribeSensors = null },
    })
  }

  async close (): Promise<void> {
    this.closed = true
    this.stop()
    await this.sampling
  }
}

function push<T> (list: T[], item: T, max: number): void {
  list.push(item)
  if (list.length > max) list.splice(0, list.length - max)
}
