// Tumbling event-time windows per sensor, for the readings of ONE input partition: the state of
// the aggregator, kept apart from any I/O so that it can be tested alone.
//
// A reading at event time t belongs to the window [floor(t / size) * size, + size) of its sensor.
// A window closes (is emitted) when
//   - the partition's watermark passes its end: watermark = max event time seen - allowed lateness;
//   - or, earlier, when the same sensor sends a reading for a later window (a sensor's own readings
//     arrive in order: one key, one partition).
// A reading whose window already closed is late and dropped (counted).
//
// Restart safety. The input offset committed for the partition is the first offset of the oldest
// window still open (or the position, when none is open): replaying from it rebuilds every open
// window exactly. Readings replayed from there whose window was emitted before the commit must not
// count again, so the commit carries, in its metadata, the checkpoint: `closed` (every window
// ending at or before it was emitted or had only late readings), the max event time, and `early`
// (per sensor, the end of the last window closed early, only where it is past `closed`). A window
// emitted after the last commit is emitted again after a crash, with the same stats (at-least-once
// with deterministic output: dedupe downstream by sensor and window start if needed).

/** Kafka's default offset.metadata.max.bytes is 4096; the checkpoint stays below it. */
export const MAX_CHECKPOINT_BYTES = 4000

export interface FieldStats { min: number, max: number, mean: number }

export interface ClosedWindow {
  sensorId: string
  /** ms since the epoch */
  startMs: number
  endMs: number
  count: number
  /** per numeric field of the readings (mean rounded to 3 decimals) */
  fields: Record<string, FieldStats>
}

interface OpenWindow {
  sensorId: string
  startMs: number
  endMs: number
  count: number
  firstOffset: bigint
  fields: Map<string, { min: number, max: number, sum: number, n: number }>
}

export interface WindowCheckpoint {
  closedMs: number | null
  maxEventTimeMs: number | null
  early: Record<string, number>
}

export interface TumblingWindowsOptions {
  sizeMs: number
  latenessMs?: number
  checkpoint?: WindowCheckpoint
}

/** The checkpoint a commit's metadata holds, or undefined for none (or one from something else). */
export function parseCheckpoint (metadata: string | null | undefined): WindowCheckpoint | undefined {
  if (metadata === null || metadata === undefined || metadata === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(metadata)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (v.v !== 1) return undefined
  const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null)
  const early: Record<string, number> = {}
  if (typeof v.early === 'object' && v.early !== null) {
    for (const [k, e] of Object.entries(v.early as Record<string, unknown>)) if (typeof e === 'number' && Number.isFinite(e)) early[k] = e
  }
  return { closedMs: num(v.closed), maxEventTimeMs: num(v.max), early }
}

function windowKey (sensorId: string, startMs: number): string {
  return `${startMs}\u0000${sensorId}`
}

export class TumblingWindows {
  readonly sizeMs: number
  readonly latenessMs: number
  /** readings dropped because their window had closed */
  late = 0
  readonly #open = new Map<string, OpenWindow>()
  #closedMs = -Infinity
  #maxEventTimeMs = -Infinity
  /** per sensor: the end of the last window closed early (only while it is past #closedMs) */
  readonly #early = new Map<string, number>()
  #earlyBytes = 0

  constructor (options: TumblingWindowsOptions) {
    if (!(Number.isInteger(options.sizeMs) && options.sizeMs > 0)) throw new RangeError(`window size must be a positive integer of ms, got ${options.sizeMs}`)
    this.sizeMs = options.sizeMs
    this.latenessMs = options.latenessMs ?? 0
    const c = options.checkpoint
    if (c !== undefined) {
      if (c.closedMs !== null) this.#closedMs = c.closedMs
      if (c.maxEventTimeMs !== null) this.#maxEventTimeMs = c.maxEventTimeMs
      for (const [sensor, end] of Object.entries(c.early)) if (end > this.#closedMs) this.#setEarly(sensor, end)
    }
  }

  get openWindows (): number { return this.#open.size }

  /**
   * Adds one reading (its input offset, sensor, event time in ms and numeric fields). Returns the
   * windows it closed, ordered by end, then sensor.
   */
  add (offset: bigint, sensorId: string, eventTimeMs: number, values: Readonly<Record<string, number>>): ClosedWindow[] {
    const startMs = Math.floor(eventTimeMs / this.sizeMs) * this.sizeMs
    const endMs = startMs + this.sizeMs
    const closed: OpenWindow[] = []
    if (endMs <= this.#closedMs || endMs <= (this.#early.get(sensorId) ?? -Infinity)) {
      this.late++
    } else {
      const key = windowKey(sensorId, startMs)
      let w = this.#open.get(key)
      if (w === undefined) this.#open.set(key, w = { sensorId, startMs, endMs, count: 0, firstOffset: offset, fields: new Map() })
      w.count++
      if (offset < w.firstOffset) w.firstOffset = offset
      for (const [name, value] of Object.entries(values)) {
        const f = w.fields.get(name)
        if (f === undefined) w.fields.set(name, { min: value, max: value, sum: value, n: 1 })
        else {
          if (value < f.min) f.min = value
          if (value > f.max) f.max = value
          f.sum += value
          f.n++
        }
      }
    }
    // The watermark closes every sensor's windows that end at or before it.
    if (eventTimeMs > this.#maxEventTimeMs) this.#maxEventTimeMs = eventTimeMs
    const watermark = this.#maxEventTimeMs - this.latenessMs
    if (watermark > this.#closedMs) {
      this.#closedMs = watermark
      for (const [key, w] of this.#open) {
        if (w.endMs <= watermark) { closed.push(w); this.#open.delete(key) }
      }
      for (const [sensor, end] of this.#early) if (end <= watermark) this.#deleteEarly(sensor)
    }
    // A later reading of the same sensor closes that sensor's earlier windows, if the checkpoint
    // has room to remember it (otherwise the window waits for the watermark).
    for (const [key, w] of this.#open) {
      if (w.sensorId !== sensorId || w.endMs > startMs) continue
      if (!this.#setEarly(sensorId, Math.max(w.endMs, this.#early.get(sensorId) ?? -Infinity))) break
      closed.push(w)
      this.#open.delete(key)
    }
    return closed.sort((a, b) => a.endMs - b.endMs || a.sensorId.localeCompare(b.sensorId) || a.startMs - b.startMs).map(toClosed)
  }

  /** The input offset to commit: the first offset of the oldest open window, or `position`. */
  commitOffset (position: bigint): bigint {
    let offset = position
    for (const w of this.#open.values()) if (w.firstOffset < offset) offset = w.firstOffset
    return offset
  }

  checkpoint (): WindowCheckpoint {
    return {
      closedMs: Number.isFinite(this.#closedMs) ? this.#closedMs : null,
      maxEventTimeMs: Number.isFinite(this.#maxEventTimeMs) ? this.#maxEventTimeMs : null,
      early: Object.fromEntries(this.#early),
    }
  }

  /** The checkpoint as a commit's metadata string (at most MAX_CHECKPOINT_BYTES). */
  checkpointMetadata (): string {
    const c = this.checkpoint()
    return JSON.stringify({ v: 1, closed: c.closedMs, max: c.maxEventTimeMs, early: c.early })
  }

  #setEarly (sensorId: string, end: number): boolean {
    const had = this.#early.has(sensorId)
    const cost = had ? 0 : JSON.stringify(sensorId).length + 18
    if (this.#earlyBytes + cost + 64 > MAX_CHECKPOINT_BYTES) return false
    this.#earlyBytes += cost
    this.#early.set(sensorId, end)
    return true
  }

  #deleteEarly (sensorId: string): void {
    if (!this.#early.delete(sensorId)) return
    this.#earlyBytes -= JSON.stringify(sensorId).length + 18
  }
}

function toClosed (w: OpenWindow): ClosedWindow {
  const fields: Record<string, FieldStats> = {}
  for (const [name, f] of w.fields) fields[name] = { min: f.min, max: f.max, mean: Math.round((f.sum / f.n) * 1000) / 1000 }
  return { sensorId: w.sensorId, startMs: w.startMs, endMs: w.endMs, count: w.count, fields }
}
