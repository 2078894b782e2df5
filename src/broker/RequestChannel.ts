// Bounds the requests being handled across all connections (queued.max.requests), as Kafka's
// RequestChannel bounds its queue: when every slot is taken, connections wait (their sockets stay
// paused) until one frees up.

import assert from 'node:assert/strict'

export class RequestChannel {
  private readonly capacity: number
  private inFlight = 0
  private readonly waiters: Array<() => void> = []

  constructor (capacity: number) {
    assert.ok(capacity >= 1)
    this.capacity = capacity
  }

  get size (): number { return this.inFlight }

  acquire (): Promise<void> | void {
    if (this.inFlight < this.capacity) { this.inFlight++; return }
    return new Promise(resolve => this.waiters.push(() => { this.inFlight++; resolve() }))
  }

  release (): void {
    assert.ok(this.inFlight > 0)
    this.inFlight--
    const next = this.waiters.shift()
    if (next !== undefined) next()
  }
}
