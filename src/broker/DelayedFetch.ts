// Long poll for Fetch (Kafka's DelayedFetch in the fetch purgatory). A fetch that found fewer than
// minBytes and may wait (maxWaitMs > 0) parks here until one of:
//   - appends to the partitions it reads bring the bytes it found plus the bytes appended since to
//     minBytes ('data');
//   - one of its partitions changed in a way that must be answered now: deleted, truncated, its log
//     start offset moved ('changed');
//   - maxWaitMs passed ('timeout');
//   - the broker shuts down ('shutdown').
// The caller then reads again and answers. Nothing is read or decoded here: appends report their
// byte counts, which is all a parked fetch needs to decide whether to wake.
//
// Bounds: at most `maxParked` fetches wait at once (MAX_PARKED_FETCHES; a parked fetch gives its
// queued.max.requests slot back while it waits). When full, park()
// resolves at once with 'full' and the caller answers with what it has, as Kafka answers a fetch it
// cannot delay. Each parked fetch holds one timer and one entry per partition it watches.

/** Most fetches parked at once (each is a connection waiting for data). */
export const MAX_PARKED_FETCHES = 4096

export type WakeReason = 'data' | 'changed' | 'timeout' | 'shutdown' | 'full'

interface Parked {
  readonly keys: readonly string[]
  /** Bytes still needed before the fetch is worth answering. */
  needed: number
  readonly timer: NodeJS.Timeout
  readonly resolve: (reason: WakeReason) => void
  done: boolean
}

export class DelayedFetchPurgatory {
  readonly maxParked: number
  private readonly watchers = new Map<string, Set<Parked>>()
  private parkedCount = 0
  private closed = false

  constructor (maxParked: number = MAX_PARKED_FETCHES) {
    this.maxParked = Math.max(0, maxParked)
  }

  /** Fetches waiting now. */
  get size (): number { return this.parkedCount }

  /** Partition keys being watched (tests: nothing leaks). */
  get watchedPartitions (): number { return this.watchers.size }

  /**
   * Waits until `neededBytes` more bytes are appended to the partitions `keys`, one of them changes,
   * or `maxWaitMs` passes. Keys are ReplicaManager's partition keys.
   */
  park (keys: readonly string[], neededBytes: number, maxWaitMs: number): Promise<WakeReason> {
    if (this.closed) return Promise.resolve('shutdown')
    if (this.parkedCount >= this.maxParked) return Promise.resolve('full')
    return new Promise<WakeReason>(resolve => {
      const entry: Parked = {
        keys,
        needed: neededBytes,
        done: false,
        resolve,
        timer: setTimeout(() => this.finish(entry, 'timeout'), Math.max(0, maxWaitMs)),
      }
      this.parkedCount++
      for (const k of keys) {
        let set = this.watchers.get(k)
        if (set === undefined) {
          set = new Set()
          this.watchers.set(k, set)
        }
        set.add(entry)
      }
    })
  }

  /** `bytes` were appended to partition `key` and are visible to fetches. */
  onAppend (key: string, bytes: number): void {
    const set = this.watchers.get(key)
    if (set === undefined) return
    for (const p of set) {
      p.needed -= bytes
      if (p.needed <= 0) this.finish(p, 'data')
    }
  }

  /** Partition `key` was deleted, truncated or had its start moved: its parked fetches answer now. */
  onChange (key: string): void {
    const set = this.watchers.get(key)
    if (set === undefined) return
    for (const p of set) this.finish(p, 'changed')
  }

  /** Answers every parked fetch ('shutdown') and refuses new ones. */
  close (): void {
    this.closed = true
    for (const set of [...this.watchers.values()]) for (const p of set) this.finish(p, 'shutdown')
  }

  private finish (p: Parked, reason: WakeReason): void {
    if (p.done) return
    p.done = true
    clearTimeout(p.timer)
    this.parkedCount--
    for (const k of p.keys) {
      const set = this.watchers.get(k)
      if (set === undefined) continue
      set.delete(p)
      if (set.size === 0) this.watchers.delete(k)
    }
    p.resolve(reason)
  }
}
