// What OffsetIndex and TimeIndex share: fixed-size entries kept sorted in memory and mirrored to a
// file, keyed by offsets relative to the segment's base offset.
//
// Kafka memory-maps a file preallocated to segment.index.bytes and trims it when the segment rolls.
// samsa keeps the entries in a Buffer (grown by doubling, capped at segment.index.bytes) and writes
// the new ones to the file in batches, so:
// - the file on disk is always exactly `entries * entrySize` bytes once written (nothing to trim);
// - the active segment's file may lag its memory by up to INDEX_WRITE_BATCH_ENTRIES entries, and a
//   crash can leave it short or torn. That is harmless: like Kafka's, indexes carry no checksum and
//   LogLoader rebuilds them from the .log for every segment at or after the recovery point, and for
//   any segment whose index fails `sanityCheck`;
// - once a segment is inactive its index is written whole and fsynced before the recovery point
//   may pass it (LogSegment.flush), so a trusted segment's index is complete.
//
// Invariants: entries are strictly increasing by key (relative offset for OffsetIndex, timestamp
// for TimeIndex) and never more than maxEntries; `writtenEntries <= entries`; the file's first
// `writtenEntries` entries equal memory's.

import { constants as fsConstants } from 'node:fs'
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises'

/** Dirty entries that trigger a write of the active index (4 KiB of offset index). */
export const INDEX_WRITE_BATCH_ENTRIES = 512

const INITIAL_CAPACITY_ENTRIES = 64

export class CorruptIndexError extends Error {
  override readonly name = 'CorruptIndexError'
}

export abstract class AbstractIndex {
  path: string
  readonly baseOffset: number
  readonly maxEntries: number
  entries = 0
  protected buf: Buffer
  protected abstract readonly entrySize: number
  /** Entries [0, writtenEntries) are in the file. */
  private writtenEntries = 0
  /** The file may hold bytes past writtenEntries (after a truncation): cut it before writing. */
  private fileNeedsTruncate = false
  /**
   * Memory holds the index (loaded from the file, or rebuilt/created from empty). An index that was
   * never loaded is left alone by write(): its file is the truth until someone reads it.
   */
  private loaded = false
  /** Everything written to the file has been fsynced. */
  private synced = true
  /** While a write is in flight: the entry count it is writing, lowered by truncations meanwhile. */
  private inflightTo = 0
  private fh: FileHandle | null = null
  private writing: Promise<void> | null = null

  constructor (path: string, baseOffset: number, maxIndexSize: number, entrySize: number) {
    this.path = path
    this.baseOffset = baseOffset
    this.maxEntries = Math.max(1, Math.floor(maxIndexSize / entrySize))
    this.buf = Buffer.alloc(Math.min(this.maxEntries, INITIAL_CAPACITY_ENTRIES) * entrySize)
  }

  get isFull (): boolean { return this.entries >= this.maxEntries }
  get sizeInBytes (): number { return this.entries * this.entrySize }
  /** Entries in memory not yet written to the file. */
  get dirtyEntries (): number { return this.entries - this.writtenEntries }

  /** Checks the loaded entries; throws CorruptIndexError. `logSize` is the segment's .log size. */
  abstract sanityCheck (logSize: number): void

  /**
   * Replaces memory with the file's content (start-up and lazy loading). Throws CorruptIndexError
   * when the file cannot be an index (length, order); a missing file throws ENOENT.
   */
  async load (logSize: number): Promise<void> {
    const data = await readFile(this.path)
    if (data.length % this.entrySize !== 0) {
      throw new CorruptIndexError(`${this.path}: ${data.length} bytes is not a multiple of ${this.entrySize}`)
    }
    const n = data.length / this.entrySize
    if (n > this.maxEntries) throw new CorruptIndexError(`${this.path}: ${n} entries exceed the maximum ${this.maxEntries}`)
    this.buf = data.length > 0 ? data : Buffer.alloc(Math.min(this.maxEntries, INITIAL_CAPACITY_ENTRIES) * this.entrySize)
    this.entries = n
    this.writtenEntries = n
    this.fileNeedsTruncate = false
    this.sanityCheck(logSize)
    this.loaded = true
  }

  /** Room for one more entry; the caller checked isFull. */
  protected slot (): number {
    const need = (this.entries + 1) * this.entrySize
    if (need > this.buf.length) {
      const grown = Buffer.alloc(Math.min(this.maxEntries * this.entrySize, Math.max(need, this.buf.length * 2)))
      this.buf.copy(grown, 0, 0, this.entries * this.entrySize)
      this.buf = grown
    }
    return this.entries * this.entrySize
  }

  /** Drops entries from index `n` on (truncation, rebuild). */
  truncateToEntries (n: number): void {
    if (n >= this.entries) return
    this.entries = n
    if (Math.max(this.writtenEntries, this.inflightTo) > n) {
      this.writtenEntries = Math.min(this.writtenEntries, n)
      this.inflightTo = Math.min(this.inflightTo, n)
      this.fileNeedsTruncate = true
    }
  }

  /** Empties memory and marks the file to be cut to nothing: a new segment, or a rebuild. */
  reset (): void {
    this.truncateToEntries(0)
    this.fileNeedsTruncate = true
    this.loaded = true
  }

  get isLoaded (): boolean { return this.loaded }

  /**
   * Writes dirty entries to the file (one positional write), optionally fsyncs. Calls are chained,
   * so two concurrent writes never interleave. `close` also releases the file handle.
   */
  write (options: { sync?: boolean, close?: boolean } = {}): Promise<void> {
    const run = async (): Promise<void> => {
      const needWrite = this.loaded && (this.fileNeedsTruncate || this.writtenEntries < this.entries)
      const needSync = options.sync === true && (needWrite || !this.synced)
      if (needWrite || needSync) {
        if (needWrite) this.synced = false
        if (this.fh === null) this.fh = await open(this.path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644)
        const fh = this.fh
        if (this.fileNeedsTruncate) {
          await fh.truncate(this.writtenEntries * this.entrySize)
          this.fileNeedsTruncate = false
        }
        const from = this.writtenEntries
        const to = this.entries
        if (to > from) {
          this.inflightTo = to
          const bytes = (to - from) * this.entrySize
          // copy: memory may grow (reallocate) or be truncated while the write is in flight
          const chunk = Buffer.from(this.buf.subarray(from * this.entrySize, to * this.entrySize))
          try {
            let done = 0
            while (done < bytes) {
              const { bytesWritten } = await fh.write(chunk, done, bytes - done, from * this.entrySize + done)
              done += bytesWritten
            }
            // a truncation during the write lowered inflightTo and flagged the file for cutting
            this.writtenEntries = Math.max(this.writtenEntries, this.inflightTo)
          } finally {
            this.inflightTo = 0
          }
        }
        if (needSync) {
          await fh.datasync()
          this.synced = true
        }
      }
      if (options.close === true && this.fh !== null) {
        const fh = this.fh
        this.fh = null
        await fh.close()
      }
    }
    const p = (this.writing ?? Promise.resolve()).then(run)
    const tail = p.catch(() => {})
    this.writing = tail
    tail.then(() => { if (this.writing === tail) this.writing = null })
    return p
  }

  /** Closes without writing (the file is deleted or about to be). */
  async closeHandle (): Promise<void> {
    await this.writing
    const fh = this.fh
    this.fh = null
    await fh?.close()
  }

  async renameTo (path: string): Promise<void> {
    await this.writing
    await rename(this.path, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    this.path = path
  }

  async deleteIfExists (): Promise<void> {
    await this.closeHandle()
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }

  /** Largest slot whose key (read by `keyAt`) is <= target, or -1. Entries are sorted by key. */
  protected largestLowerBound (target: number, keyAt: (slot: number) => number): number {
    if (this.entries === 0 || keyAt(0) > target) return -1
    let lo = 0
    let hi = this.entries - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (keyAt(mid) <= target) lo = mid
      else hi = mid - 1
    }
    return lo
  }
}
