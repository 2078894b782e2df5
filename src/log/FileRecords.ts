// The .log file of one segment: record batches v2 back to back, exactly as producers sent them
// (with baseOffset and partitionLeaderEpoch rewritten) and exactly as Fetch returns them.
//
//   <20-digit baseOffset>.log := batch*      batch := baseOffset int64 | batchLength int32 | ...
//
// Invariants:
// - `size` is the end of the last completed write. Bytes past it may be an append in flight and are
//   never read; everything below it is whole batches (recovery truncates a torn tail at start-up).
// - One writer: the owning Log issues one write at a time, always at `size`, so positional writes
//   never overlap. Reads use explicit positions too and run concurrently with that write.
// - The handle is opened lazily and may be closed by the FileHandleCache when no read or write has
//   it pinned; `withHandle` reopens it. All I/O is async (FileHandle); no sync fs here.

import { constants as fsConstants } from 'node:fs'
import { open, rename, unlink, type FileHandle } from 'node:fs/promises'
import { BATCH_HEADER_SIZE } from '../protocol/records/RecordBatch.ts'
import { BatchHeader } from './BatchHeader.ts'
import type { CachedFile, FileHandleCache } from './FileHandleCache.ts'

/** Bytes read at a time when walking batch headers: a few index intervals' worth of small batches. */
export const HEADER_SCAN_CHUNK_BYTES = 16 * 1024
/** Bytes read at a time when walking whole batches (recovery): large sequential reads. */
export const BATCH_SCAN_CHUNK_BYTES = 1024 * 1024

/** Where a scan stopped. */
export interface ScanResult {
  /** Position after the last batch visited (or where `visit` returned false: that batch's start). */
  position: number
  /** Why the scan stopped before `end`, if the data was bad; null when it ended cleanly. */
  problem: string | null
  /** Batches visited and accepted. */
  batches: number
}

/** Returns false to stop the scan at this batch (its position is then the result's position). */
export type BatchVisitor = (h: BatchHeader, buf: Buffer, off: number) => boolean | void

export class FileRecords implements CachedFile {
  path: string
  /** End of the completed writes (see invariants). */
  size: number
  pins = 0
  private fh: FileHandle | null = null
  private opening: Promise<FileHandle> | null = null
  private readonly cache: FileHandleCache | null
  private closed = false

  private constructor (path: string, size: number, cache: FileHandleCache | null) {
    this.path = path
    this.size = size
    this.cache = cache
  }

  /**
   * Opens the file at `path`, or with `create` makes it new and empty (truncating a stray file of
   * that name). An existing file's length becomes `size`: LogLoader validates its content.
   */
  static async open (path: string, options: { create: boolean, cache?: FileHandleCache | null }): Promise<FileRecords> {
    const flags = fsConstants.O_RDWR | (options.create ? fsConstants.O_CREAT | fsConstants.O_TRUNC : 0)
    const fh = await open(path, flags, 0o644)
    const { size } = await fh.stat()
    const r = new FileRecords(path, size, options.cache ?? null)
    r.fh = fh
    r.cache?.touch(r)
    return r
  }

  /** Keeps the handle open until unpin (the active segment's writes). */
  async pin (): Promise<FileHandle> {
    this.pins++
    try {
      return await this.handle()
    } catch (err) {
      this.pins--
      throw err
    }
  }

  unpin (): void {
    this.pins--
  }

  /** Runs `fn` with the open handle, pinned so the cache does not close it meanwhile. */
  async withHandle<T> (fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    this.pins++
    try {
      return await fn(await this.handle())
    } finally {
      this.pins--
    }
  }

  private handle (): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`))
    if (this.fh !== null) {
      this.cache?.touch(this)
      return Promise.resolve(this.fh)
    }
    if (this.opening === null) {
      this.opening = open(this.path, fsConstants.O_RDWR).then(fh => {
        this.opening = null
        if (this.closed) {
          fh.close().catch(() => {})
          throw new Error(`${this.path} is closed`)
        }
        this.fh = fh
        this.cache?.touch(this)
        return fh
      }, (err: unknown) => {
        this.opening = null
        throw err
      })
    }
    return this.opening
  }

  evictHandle (): void {
    const fh = this.fh
    this.fh = null
    fh?.close().catch(() => {})
  }

  /** Writes `buffers` (total `bytes`) at `size`, then advances `size`. Single writer (see invariants). */
  async append (buffers: readonly Buffer[], bytes: number): Promise<void> {
    const position = this.size
    await this.withHandle(async fh => {
      let written = 0
      let bufs = buffers
      while (written < bytes) {
        const { bytesWritten } = await fh.writev(bufs, position + written)
        if (bytesWritten <= 0) throw new Error(`short write to ${this.path}`)
        written += bytesWritten
        if (written < bytes) bufs = remainingBuffers(buffers, written)
      }
    })
    this.size = position + bytes
  }

  /**
   * Reads up to `length` bytes at `position` (fewer only at end of file), into a buffer from
   * `alloc` when given (the fetch path's pooled buffers).
   */
  read (position: number, length: number, alloc?: (size: number) => Buffer): Promise<Buffer> {
    const buf = alloc !== undefined ? alloc(length) : Buffer.allocUnsafe(length)
    return this.readInto(buf, 0, length, position).then(n => n === length ? buf : buf.subarray(0, n))
  }

  /** Fills buf[off, off + length) from `position`; returns the bytes read (short only at end of file). */
  readInto (buf: Buffer, off: number, length: number, position: number): Promise<number> {
    return this.withHandle(async fh => {
      let done = 0
      while (done < length) {
        const { bytesRead } = await fh.read(buf, off + done, length - done, position + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return done
    })
  }

  /** fdatasync: the data and the file length (not the mtime) reach the disk. */
  flush (): Promise<void> {
    return this.withHandle(fh => fh.datasync())
  }

  /** Cuts the file to `size` bytes (a batch boundary chosen by the caller). */
  async truncateTo (size: number): Promise<void> {
    await this.withHandle(fh => fh.truncate(size))
    this.size = size
  }

  /**
   * Visits the batches in [start, end) in order. With `wholeBatches`, `buf[off, off + h.size)` holds
   * the entire batch (for CRC checks or record scans); otherwise only its 61-byte header is there.
   * Stops at the first structurally bad batch and says why (recovery decides what to do with it).
   */
  async scan (start: number, end: number, visit: BatchVisitor, options: { wholeBatches?: boolean } = {}): Promise<ScanResult> {
    const whole = options.wholeBatches === true
    const chunk = whole ? BATCH_SCAN_CHUNK_BYTES : HEADER_SCAN_CHUNK_BYTES
    let buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(end - start, BATCH_HEADER_SIZE)))
    let bufStart = 0
    let bufLen = 0
    const h = new BatchHeader()
    let pos = start
    let batches = 0
    while (pos < end) {
      if (end - pos < BATCH_HEADER_SIZE) return { position: pos, problem: `${end - pos} trailing bytes, less than a batch header`, batches }
      if (pos < bufStart || pos + BATCH_HEADER_SIZE > bufStart + bufLen) {
        if (buf.length < BATCH_HEADER_SIZE) buf = Buffer.allocUnsafe(chunk)
        bufLen = await this.readInto(buf, 0, Math.min(buf.length, end - pos), pos)
        bufStart = pos
        if (bufLen < BATCH_HEADER_SIZE) return { position: pos, problem: 'file shorter than expected', batches }
      }
      h.read(buf, pos - bufStart, pos)
      const problem = h.problem(end - pos)
      if (problem !== null) return { position: pos, problem, batches }
      if (whole && pos + h.size > bufStart + bufLen) {
        if (h.size > buf.length) buf = Buffer.allocUnsafe(Math.max(h.size, chunk))
        bufLen = await this.readInto(buf, 0, Math.min(buf.length, end - pos), pos)
        bufStart = pos
        if (bufLen < h.size) return { position: pos, problem: 'file shorter than expected', batches }
        h.read(buf, 0, pos)
      }
      if (visit(h, buf, pos - bufStart) === false) return { position: pos, problem: null, batches }
      batches++
      pos += h.size
    }
    return { position: pos, problem: null, batches }
  }

  /** Renames the file (a deleted segment keeps serving in-flight reads under its new name). */
  async renameTo (path: string): Promise<void> {
    await rename(this.path, path)
    this.path = path
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.cache?.forget(this)
    const fh = this.fh ?? (this.opening !== null ? await this.opening.catch(() => null) : null)
    this.fh = null
    await fh?.close()
  }

  async deleteIfExists (): Promise<void> {
    await this.close()
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}

/** The tail of `buffers` after the first `skip` bytes (after a short writev). */
function remainingBuffers (buffers: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = []
  let s = skip
  for (const b of buffers) {
    if (s >= b.length) {
      s -= b.length
      continue
    }
    out.push(s > 0 ? b.subarray(s) : b)
    s = 0
  }
  return out
}
