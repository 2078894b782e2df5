// Reusable buffers for the fetch path. A fetch reads stored batches into buffers leased from the
// pool and gives them back once the response carrying them has been written to the socket
// (RequestContext.afterResponse), so a busy consumer does not allocate a fresh buffer per fetch.
//
// Buffers come in power-of-two size classes from POOL_MIN_CLASS to POOL_MAX_CLASS; a read smaller
// or larger is allocated plainly and not pooled. At most POOL_MAX_IDLE_BYTES of idle buffers are
// kept. Each pooled buffer is its own ArrayBuffer and is tracked while out: giving one back twice
// is a no-op, so a buffer can never be handed to two readers at once.

/** Smaller reads are not worth pooling (Buffer.allocUnsafe already slices a shared slab for them). */
export const POOL_MIN_CLASS = 16 * 1024
/** Larger reads are rare (one huge batch) and would pin too much memory when idle. */
export const POOL_MAX_CLASS = 8 * 1024 * 1024
/** Most bytes of idle buffers kept for reuse; the rest are left to the garbage collector. */
export const POOL_MAX_IDLE_BYTES = 64 * 1024 * 1024

export interface BufferLease {
  /** A buffer of exactly `size` bytes (a view of a pooled buffer), owned by this lease. */
  readonly alloc: (size: number) => Buffer
  /** Gives every buffer of this lease back to the pool. Call once the bytes are no longer read. */
  readonly release: () => void
}

function sizeClass (size: number): number {
  let c = POOL_MIN_CLASS
  while (c < size) c *= 2
  return c
}

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>()
  private readonly out = new WeakSet<ArrayBufferLike>()
  private idle = 0
  /** Pooled buffers handed out, and how many of them were reused rather than allocated. */
  acquired = 0
  reused = 0

  get idleBytes (): number { return this.idle }

  /** A buffer of at least `size` bytes: the whole pooled buffer, or a plain one outside the classes. */
  acquire (size: number): Buffer {
    if (size < POOL_MIN_CLASS || size > POOL_MAX_CLASS) return Buffer.allocUnsafe(size)
    const c = sizeClass(size)
    this.acquired++
    let buf = this.free.get(c)?.pop()
    if (buf !== undefined) {
      this.idle -= buf.length
      this.reused++
    } else {
      buf = Buffer.allocUnsafeSlow(c)
    }
    this.out.add(buf.buffer)
    return buf
  }

  /** Takes back a buffer from acquire(); anything else, or a second release, is ignored. */
  release (buf: Buffer): void {
    if (!this.out.has(buf.buffer)) return
    this.out.delete(buf.buffer)
    if (this.idle + buf.length > POOL_MAX_IDLE_BYTES) return
    let list = this.free.get(buf.length)
    if (list === undefined) { list = []; this.free.set(buf.length, list) }
    list.push(buf)
    this.idle += buf.length
  }

  lease (): BufferLease {
    const held: Buffer[] = []
    let released = false
    return {
      alloc: (size: number): Buffer => {
        if (released) throw new Error('buffer lease used after release')
        const root = this.acquire(size)
        held.push(root) // release() ignores the plain ones
        return root.length === size ? root : root.subarray(0, size)
      },
      release: (): void => {
        if (released) return
        released = true
        for (const b of held) this.release(b)
        held.length = 0
      },
    }
  }
}
