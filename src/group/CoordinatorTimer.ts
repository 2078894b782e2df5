// Keyed timers for the group coordinator, as Kafka's CoordinatorTimer: scheduling a key again
// replaces its pending operation, cancel(key) drops it, and a fired operation runs through the
// coordinator like a request (its records are written before its effects are visible).
//
// Time comes from a Clock so that unit tests drive it by hand while the broker uses
// the system clock with unref'd Node timers, which never keep the process alive. close() cancels
// everything; a closed timer ignores new schedules.

/** Node's setTimeout cannot wait longer than this (2^31 - 1 ms); longer delays are re-armed. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

export interface Clock {
  now: () => number
  /** Runs fn after delayMs; returns a function that cancels it. */
  setTimer: (delayMs: number, fn: () => void) => () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer (delayMs, fn) {
    let handle: NodeJS.Timeout
    const deadline = Date.now() + delayMs
    const arm = (ms: number): void => {
      handle = setTimeout(() => {
        const left = deadline - Date.now()
        if (left > 0) arm(left)
        else fn()
      }, Math.min(Math.max(ms, 0), MAX_TIMER_DELAY_MS))
      handle.unref()
    }
    arm(delayMs)
    return () => clearTimeout(handle)
  },
}

/**
 * Timers by key. Each key belongs to a scope (a group id, or null for coordinator-wide timers) so
 * that everything of one group can be cancelled at once.
 */
export class CoordinatorTimer<Op> {
  private readonly clock: Clock
  private readonly run: (key: string, op: Op) => void
  private readonly timers = new Map<string, { cancel: () => void, scope: string | null }>()
  private readonly byScope = new Map<string | null, Set<string>>()
  private closed = false

  /** run is called with a fired key's operation. */
  constructor (clock: Clock, run: (key: string, op: Op) => void) {
    this.clock = clock
    this.run = run
  }

  schedule (scope: string | null, key: string, delayMs: number, op: Op): void {
    if (this.closed) return
    this.cancel(key)
    const entry = {
      scope,
      cancel: this.clock.setTimer(delayMs, () => {
        if (this.timers.get(key) !== entry) return
        this.forget(key, scope)
        this.run(key, op)
      }),
    }
    this.timers.set(key, entry)
    let keys = this.byScope.get(scope)
    if (keys === undefined) this.byScope.set(scope, keys = new Set())
    keys.add(key)
  }

  cancel (key: string): void {
    const entry = this.timers.get(key)
    if (entry === undefined) return
    this.forget(key, entry.scope)
    entry.cancel()
  }

  private forget (key: string, scope: string | null): void {
    this.timers.delete(key)
    const keys = this.byScope.get(scope)
    keys?.delete(key)
    if (keys?.size === 0) this.byScope.delete(scope)
  }

  isScheduled (key: string): boolean { return this.timers.has(key) }
  get size (): number { return this.timers.size }

  /** Cancels every timer of the scope. */
  cancelScope (scope: string | null): void {
    for (const key of [...this.byScope.get(scope) ?? []]) this.cancel(key)
  }

  close (): void {
    this.closed = true
    for (const key of [...this.timers.keys()]) this.cancel(key)
  }
}
