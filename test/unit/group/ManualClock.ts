// A Clock for unit tests that only moves when told to: advance() fires due timers in deadline order.
import type { Clock } from '../../../src/group/CoordinatorTimer.ts'

export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly timers = new Map<number, { at: number, fn: () => void }>()

  constructor (start = 1_700_000_000_000) { this.time = start }

  now = (): number => this.time

  setTimer = (delayMs: number, fn: () => void): () => void => {
    const id = this.seq++
    this.timers.set(id, { at: this.time + Math.max(delayMs, 0), fn })
    return () => { this.timers.delete(id) }
  }

  get pending (): number { return this.timers.size }

  /** Moves time forward by ms, firing each timer due on the way at its own deadline. */
  advance (ms: number): void {
    const end = this.time + ms
    for (;;) {
      let nextId = -1
      let next: { at: number, fn: () => void } | undefined
      for (const [id, t] of this.timers) {
        if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && id < nextId))) { next = t; nextId = id }
      }
      if (next === undefined) break
      this.timers.delete(nextId)
      this.time = Math.max(this.time, next.at)
      next.fn()
    }
    this.time = end
  }
}
