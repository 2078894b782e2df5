// A bound on open segment files: an LRU of file handles shared by every log of a LogManager.
//
// Kafka keeps a FileChannel open per segment and asks operators for a high `ulimit -n`. samsa keeps
// at most `maxOpen` segment .log files open; the least recently used one that no read or write is
// using (pins === 0) is closed when a new one opens, and reopened on its next use. Active segments
// stay pinned while they are active, so the limit is soft: it can be exceeded by the number of
// pinned files, never by idle ones. Index files are not counted: they are held in memory and
// opened only to be written (see AbstractIndex).

/** What the cache needs from an owner of a file handle (FileRecords). */
export interface CachedFile {
  /** Reads or writes currently using the handle; evicted only at 0. */
  readonly pins: number
  /** Closes the handle (the owner reopens it on next use). Must not throw. */
  evictHandle (): void
}

/**
 * Default cap on open segment files per LogManager. 2048 keeps well under the common 4096-65536
 * `ulimit -n` while leaving room for sockets; an idle reopen costs one open(2).
 */
export const MAX_OPEN_SEGMENT_FILES = 2048

export class FileHandleCache {
  readonly maxOpen: number
  /** Insertion order is recency: the first key is the least recently used. */
  private readonly lru = new Map<CachedFile, true>()

  constructor (maxOpen: number = MAX_OPEN_SEGMENT_FILES) {
    if (!Number.isSafeInteger(maxOpen) || maxOpen < 1) throw new RangeError(`maxOpen must be >= 1, got ${maxOpen}`)
    this.maxOpen = maxOpen
  }

  get size (): number { return this.lru.size }

  /** Records a use of `f` (opened or reused) and evicts idle handles beyond the limit. */
  touch (f: CachedFile): void {
    this.lru.delete(f)
    this.lru.set(f, true)
    if (this.lru.size > this.maxOpen) this.evict()
  }

  /** `f` closed its handle by itself. */
  forget (f: CachedFile): void {
    this.lru.delete(f)
  }

  private evict (): void {
    let excess = this.lru.size - this.maxOpen
    for (const f of this.lru.keys()) {
      if (excess <= 0) break
      if (f.pins > 0) continue
      this.lru.delete(f)
      f.evictHandle()
      excess--
    }
  }
}
