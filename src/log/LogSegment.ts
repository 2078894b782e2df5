// One segment of a partition's log: the batches from `baseOffset` up to the next segment's base.
//
// Files in the partition directory, named by the base offset as 20 zero-padded digits:
//   00000000000000000000.log        the batches (FileRecords)
//   00000000000000000000.index      offset -> position, sparse (OffsetIndex)
//   00000000000000000000.timeindex  timestamp -> offset, sparse (TimeIndex)
// A segment being deleted carries `.deleted` after each name until file.delete.delay.ms passes.
//
// Index policy (Kafka's, so a rebuilt index equals the one written during appends): while walking
// the batches of an append, a batch that starts after more than index.interval.bytes were written
// since the last entry gets an offset-index entry (its last offset, its position) and the time
// index gets (largest timestamp so far, offset of the batch that carried it) if that grew.
//
// Invariants:
// - batches are whole and in offset order below `size`; every offset is >= baseOffset and fits in
//   a relative int32 (the Log rolls before it would not);
// - only the active segment is appended to; `append` is called by one writer at a time, and the
//   indexes and in-memory maxima change only after the write completed, so a concurrent read never
//   sees an index entry past the bytes on disk;
// - indexes of an inactive segment are loaded on first use (`ensureIndexes`) and rebuilt from the
//   .log when missing or failing their sanity check;
// - `maxTimestampSoFar`/`offsetOfMaxTimestampSoFar` cover every batch in the segment once known.

import { stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { BATCH_HEADER_SIZE } from '../protocol/records/RecordBatch.ts'
import { BatchHeader, batchCrcMatches, readInt64 } from './BatchHeader.ts'
import { CorruptIndexError } from './AbstractIndex.ts'
import type { FileHandleCache } from './FileHandleCache.ts'
import { FileRecords } from './FileRecords.ts'
import type { LogConfig } from './LogConfig.ts'
import { OffsetIndex } from './OffsetIndex.ts'
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './TimeIndex.ts'
import type { Logger } from '../Logger.ts'

export const LOG_FILE_SUFFIX = '.log'
export const INDEX_FILE_SUFFIX = '.index'
export const TIME_INDEX_FILE_SUFFIX = '.timeindex'
export const DELETED_FILE_SUFFIX = '.deleted'

/** Batches of the active segment whose positions are remembered, so tail fetches skip the index scan. */
export const RECENT_BATCHES = 256
/** Extra bytes a read takes beyond maxSize + index.interval.bytes, hoping to find its batch in one go. */
export const SPECULATIVE_READ_SLACK_BYTES = 8 * 1024

export function filenamePrefixFromOffset (offset: number): string {
  return String(offset).padStart(20, '0')
}

/** Where a batch sits in the segment's file. */
export interface BatchLocation {
  baseOffset: number
  lastOffset: number
  position: number
  size: number
}

export interface SegmentRead {
  /** Stored bytes from the first batch holding an offset >= the fetch offset; may end mid-batch. */
  records: Buffer
  /** Base offset of the first batch in `records` (may be below the fetch offset), or -1 if empty. */
  firstBatchBaseOffset: number
}

export interface TimestampAndOffset {
  timestamp: number
  offset: number
  leaderEpoch: number
}

/** Decompresses a batch's records section (codec from attributes bits 0-2). */
export type RecordsDecompressor = (compression: number, data: Buffer) => Promise<Buffer>

/** Per-batch facts of one segment append, in order; filled by Log, consumed by LogSegment.append. */
export class AppendedBatches {
  count = 0
  readonly baseOffsets: number[] = []
  readonly lastOffsets: number[] = []
  readonly maxTimestamps: number[] = []
  readonly sizes: number[] = []

  clear (): void { this.count = 0 }

  add (baseOffset: number, lastOffset: number, maxTimestamp: number, size: number): void {
    const i = this.count++
    this.baseOffsets[i] = baseOffset
    this.lastOffsets[i] = lastOffset
    this.maxTimestamps[i] = maxTimestamp
    this.sizes[i] = size
  }
}

/** Ring of the last RECENT_BATCHES batches appended: base, last offset, position, size. */
class RecentBatches {
  private readonly data = new Float64Array(RECENT_BATCHES * 4)
  private start = 0
  private count = 0

  push (baseOffset: number, lastOffset: number, position: number, size: number): void {
    const slot = (this.start + this.count) % RECENT_BATCHES
    if (this.count === RECENT_BATCHES) this.start = (this.start + 1) % RECENT_BATCHES
    else this.count++
    const d = this.data
    d[slot * 4] = baseOffset
    d[slot * 4 + 1] = lastOffset
    d[slot * 4 + 2] = position
    d[slot * 4 + 3] = size
  }

  clear (): void { this.count = 0 }

  private at (i: number, field: number): number {
    return this.data[((this.start + i) % RECENT_BATCHES) * 4 + field] as number
  }

  /** The first remembered batch with lastOffset >= offset, if the ring covers `offset`. */
  find (offset: number): BatchLocation | null {
    if (this.count === 0 || offset < this.at(0, 0) || offset > this.at(this.count - 1, 1)) return null
    let lo = 0
    let hi = this.count - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.at(mid, 1) >= offset) hi = mid
      else lo = mid + 1
    }
    return { baseOffset: this.at(lo, 0), lastOffset: this.at(lo, 1), position: this.at(lo, 2), size: this.at(lo, 3) }
  }
}

export interface LogSegmentOptions {
  dir: string
  baseOffset: number
  config: LogConfig
  cache?: FileHandleCache | null
  now: () => number
  logger: Logger
  /** Name suffix after the usual extension ('' normally, '.deleted' while being deleted). */
  fileSuffix?: string
}

export class LogSegment {
  readonly baseOffset: number
  readonly log: FileRecords
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  indexIntervalBytes: number
  /** Random part subtracted from segment.ms for this segment. */
  readonly rollJitterMs: number
  /** Largest batch maxTimestamp in the segment, -1 if none or not known yet (see timestampKnown). */
  maxTimestampSoFar = -1
  /** Last offset of the batch that carried maxTimestampSoFar. */
  offsetOfMaxTimestampSoFar: number
  /** Whether maxTimestampSoFar covers the whole segment (false until the indexes are read). */
  timestampKnown: boolean
  /** Needs an fsync (data appended, or indexes finalised) before the recovery point may pass it. */
  needsFlush = false
  private readonly created: number
  private lastModified: number
  /** maxTimestamp of the first batch (segment.ms is measured from it); null = unknown/none. */
  private rollingBasedTimestamp: number | null = null
  private bytesSinceLastIndexEntry = 0
  private loadingIndexes: Promise<void> | null = null
  private recent: RecentBatches | null = null
  private active = false
  private readonly logger: Logger
  /** Header view for reads (used synchronously between awaits only). */
  private readonly scratchHeader = new BatchHeader()

  private constructor (o: LogSegmentOptions, log: FileRecords, mtimeMs: number) {
    const prefix = join(o.dir, filenamePrefixFromOffset(o.baseOffset))
    const suffix = o.fileSuffix ?? ''
    this.baseOffset = o.baseOffset
    this.log = log
    this.offsetIndex = new OffsetIndex(prefix + INDEX_FILE_SUFFIX + suffix, o.baseOffset, o.config['segment.index.bytes'])
    this.timeIndex = new TimeIndex(prefix + TIME_INDEX_FILE_SUFFIX + suffix, o.baseOffset, o.config['segment.index.bytes'])
    this.indexIntervalBytes = o.config['index.interval.bytes']
    const jitter = Math.min(o.config['segment.jitter.ms'], o.config['segment.ms'])
    this.rollJitterMs = jitter > 0 ? Math.floor(Math.random() * jitter) : 0
    this.offsetOfMaxTimestampSoFar = o.baseOffset
    this.timestampKnown = log.size === 0
    this.created = o.now()
    this.lastModified = mtimeMs
    this.logger = o.logger
  }

  /** Creates an empty segment (its three files) to be the active one. */
  static async create (o: LogSegmentOptions): Promise<LogSegment> {
    const path = join(o.dir, filenamePrefixFromOffset(o.baseOffset) + LOG_FILE_SUFFIX + (o.fileSuffix ?? ''))
    const log = await FileRecords.open(path, { create: true, cache: o.cache })
    const seg = new LogSegment(o, log, o.now())
    seg.offsetIndex.reset()
    seg.timeIndex.reset()
    seg.bytesSinceLastIndexEntry = 0
    await Promise.all([seg.offsetIndex.write({ close: true }), seg.timeIndex.write({ close: true })])
    return seg
  }

  /**
   * Opens an existing segment without reading its indexes (they load on first use). The time
   * index's last entry is read, when it looks sane, for the segment's largest timestamp.
   */
  static async open (o: LogSegmentOptions): Promise<LogSegment> {
    const path = join(o.dir, filenamePrefixFromOffset(o.baseOffset) + LOG_FILE_SUFFIX + (o.fileSuffix ?? ''))
    const log = await FileRecords.open(path, { create: false, cache: o.cache })
    const st = await stat(path)
    const seg = new LogSegment(o, log, st.mtimeMs)
    await seg.readLastTimeIndexEntry()
    return seg
  }

  get size (): number { return this.log.size }
  get isActive (): boolean { return this.active }

  /** Time used by time-based retention: the largest record timestamp, else the file's mtime. */
  get largestTimestamp (): number {
    return this.maxTimestampSoFar >= 0 ? this.maxTimestampSoFar : this.lastModified
  }

  /** The .log file's last modification (ms), as loaded or as set by the last append. */
  get lastModifiedMs (): number { return this.lastModified }

  /**
   * Sets the .log file's mtime: LogCleaner gives a cleaned segment the time of the last segment it
   * replaces, so time-based retention of a compact,delete topic sees the data's age, not the cleaning's.
   */
  async setLastModified (ms: number): Promise<void> {
    await utimes(this.log.path, ms / 1000, ms / 1000)
    this.lastModified = ms
  }

  private async readLastTimeIndexEntry (): Promise<void> {
    if (this.log.size === 0) return
    try {
      const st = await stat(this.timeIndex.path)
      if (st.size === 0 || st.size % TIME_INDEX_ENTRY_SIZE !== 0) return
      const fr = await FileRecords.open(this.timeIndex.path, { create: false })
      try {
        const buf = await fr.read(st.size - TIME_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE)
        const ts = readInt64(buf, 0)
        const rel = buf.readInt32BE(8)
        if (buf.length === TIME_INDEX_ENTRY_SIZE && !Number.isNaN(ts) && rel >= 0) {
          this.maxTimestampSoFar = ts
          this.offsetOfMaxTimestampSoFar = this.baseOffset + rel
          this.timestampKnown = true
        }
      } finally {
        await fr.close()
      }
    } catch {
      // missing or unreadable: ensureIndexes() rebuilds it
    }
  }

  /** Makes this the segment appends go to: pins its file and loads indexes and first timestamp. */
  async becomeActive (): Promise<void> {
    await this.ensureIndexes()
    await this.log.pin()
    this.active = true
    this.recent = new RecentBatches()
    if (this.log.size > 0 && this.rollingBasedTimestamp === null) {
      await this.log.scan(0, this.log.size, h => {
        this.rollingBasedTimestamp = h.maxTimestamp
        return false
      })
    }
  }

  /**
   * Loads both indexes from their files, or rebuilds them from the .log (header scan, no
   * truncation) when a file is missing or fails its sanity check. Idempotent.
   */
  ensureIndexes (): Promise<void> {
    if (this.offsetIndex.isLoaded && this.timeIndex.isLoaded) return Promise.resolve()
    if (this.loadingIndexes === null) {
      this.loadingIndexes = this.loadIndexes().finally(() => { this.loadingIndexes = null })
    }
    return this.loadingIndexes
  }

  private async loadIndexes (): Promise<void> {
    try {
      await this.offsetIndex.load(this.log.size)
      await this.timeIndex.load(this.log.size)
      if (this.offsetIndex.entries > 0 && this.timeIndex.entries === 0) {
        // an offset index with entries and an empty time index cannot come from the same appends
        throw new CorruptIndexError(`${this.timeIndex.path} is empty while ${this.offsetIndex.path} is not`)
      }
      const last = this.timeIndex.lastEntry()
      if (last.timestamp > this.maxTimestampSoFar || !this.timestampKnown) {
        this.maxTimestampSoFar = last.timestamp
        this.offsetOfMaxTimestampSoFar = last.offset
      }
      await this.recoverTailState()
      this.timestampKnown = true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (!(err instanceof CorruptIndexError) && code !== 'ENOENT') throw err
      this.logger.warn({ segment: this.log.path, reason: err instanceof Error ? err.message : String(err) }, 'rebuilding segment indexes')
      await this.rebuildIndexes()
    }
  }

  /**
   * After loading or truncating indexes: walks the batches after the last offset-index entry to
   * restore bytesSinceLastIndexEntry and the largest timestamp (the time index is sparse).
   */
  private async recoverTailState (): Promise<void> {
    const from = this.offsetIndex.lastEntry().position
    let bytes = 0
    await this.log.scan(from, this.log.size, h => {
      bytes += h.size
      if (h.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = h.maxTimestamp
        this.offsetOfMaxTimestampSoFar = h.lastOffset
      }
    })
    this.bytesSinceLastIndexEntry = bytes
  }

  /** Rebuilds both indexes by walking every batch header (no validation, no truncation). */
  async rebuildIndexes (): Promise<void> {
    this.resetIndexState()
    const r = await this.log.scan(0, this.log.size, h => { this.indexBatch(h.lastOffset, h.maxTimestamp, h.position, h.size) })
    if (r.problem !== null) this.logger.warn({ segment: this.log.path, position: r.position, problem: r.problem }, 'segment has unreadable data after its indexed part')
    this.timestampKnown = true
    await Promise.all([this.offsetIndex.write({ close: true }), this.timeIndex.write({ close: true })])
  }

  private resetIndexState (): void {
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.bytesSinceLastIndexEntry = 0
    this.maxTimestampSoFar = -1
    this.offsetOfMaxTimestampSoFar = this.baseOffset
    this.recent?.clear()
  }

  /** The index policy for one batch (see the header comment). */
  private indexBatch (lastOffset: number, maxTimestamp: number, position: number, size: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp
      this.offsetOfMaxTimestampSoFar = lastOffset
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position)
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += size
  }

  /**
   * Validates every batch (length, magic, offsets in order and in range, CRC-32C), rebuilding the
   * indexes on the way, and truncates the file at the first bad batch. Used by LogLoader for
   * segments at or after the recovery point.
   */
  async recover (): Promise<{ validBytes: number, truncatedBytes: number, batches: number, nextOffset: number, problem: string | null }> {
    this.resetIndexState()
    this.rollingBasedTimestamp = null
    let expected = this.baseOffset
    let problem: string | null = null
    const r = await this.log.scan(0, this.log.size, (h, buf, off) => {
      if (h.baseOffset < expected) {
        problem = `batch at ${h.position} has baseOffset ${h.baseOffset}, expected at least ${expected}`
        return false
      }
      if (!this.offsetIndex.canAppendOffset(h.lastOffset)) {
        problem = `batch at ${h.position} has offsets outside the segment's relative range`
        return false
      }
      if (!batchCrcMatches(buf, off, h.size)) {
        problem = `batch at ${h.position} (baseOffset ${h.baseOffset}) fails its CRC-32C`
        return false
      }
      if (this.rollingBasedTimestamp === null) this.rollingBasedTimestamp = h.maxTimestamp
      this.indexBatch(h.lastOffset, h.maxTimestamp, h.position, h.size)
      expected = h.nextOffset
    }, { wholeBatches: true })
    problem ??= r.problem
    const truncatedBytes = this.log.size - r.position
    if (truncatedBytes > 0) await this.log.truncateTo(r.position)
    this.timestampKnown = true
    await Promise.all([this.offsetIndex.write({ close: true }), this.timeIndex.write({ close: true })])
    return { validBytes: r.position, truncatedBytes, batches: r.batches, nextOffset: expected, problem: truncatedBytes > 0 ? problem : null }
  }

  /**
   * Writes `buffers` (whole batches, `bytes` in total, described by `batches`) at the end of the
   * file, then updates indexes and maxima. Called by the Log's single writer.
   */
  async append (buffers: readonly Buffer[], bytes: number, batches: AppendedBatches, now: number): Promise<void> {
    let position = this.log.size
    await this.log.append(buffers, bytes)
    this.needsFlush = true
    this.lastModified = now
    for (let i = 0; i < batches.count; i++) {
      const size = batches.sizes[i] as number
      const maxTimestamp = batches.maxTimestamps[i] as number
      const lastOffset = batches.lastOffsets[i] as number
      if (this.rollingBasedTimestamp === null) this.rollingBasedTimestamp = maxTimestamp
      this.indexBatch(lastOffset, maxTimestamp, position, size)
      this.recent?.push(batches.baseOffsets[i] as number, lastOffset, position, size)
      position += size
    }
  }

  /** Whether the next append (`messagesSize` bytes on top of `pendingBytes`) must go to a new segment. */
  shouldRoll (p: { pendingBytes: number, messagesSize: number, maxTimestampInMessages: number, maxOffsetInMessages: number, now: number, segmentBytes: number, segmentMs: number }): boolean {
    const size = this.log.size + p.pendingBytes
    const reachedRollMs = this.timeWaitedForRoll(p.now, p.maxTimestampInMessages) > p.segmentMs - this.rollJitterMs
    return size > p.segmentBytes - p.messagesSize ||
      (size > 0 && reachedRollMs) ||
      this.offsetIndex.isFull || this.timeIndex.isFull ||
      !this.offsetIndex.canAppendOffset(p.maxOffsetInMessages)
  }

  private timeWaitedForRoll (now: number, messageTimestamp: number): number {
    const t = this.rollingBasedTimestamp
    return t !== null && t >= 0 ? messageTimestamp - t : now - this.created
  }

  /**
   * Location of the first batch whose last offset is >= `offset`, searching from
   * `startingPosition`, or null when the segment holds no such batch below its size.
   */
  async translateOffset (offset: number, startingPosition = 0): Promise<BatchLocation | null> {
    const hit = this.recent?.find(offset) ?? null
    if (hit !== null && hit.position >= startingPosition) return hit
    await this.ensureIndexes()
    const start = Math.max(this.offsetIndex.lookup(offset).position, startingPosition)
    let found: BatchLocation | null = null
    await this.log.scan(start, this.log.size, h => {
      if (h.lastOffset < offset) return true
      found = { baseOffset: h.baseOffset, lastOffset: h.lastOffset, position: h.position, size: h.size }
      return false
    })
    return found
  }

  /**
   * Reads from the first batch holding an offset >= `startOffset`: at most `maxSize` bytes (the
   * whole first batch when `minOneMessage`, however large) and never at or past `maxPosition`.
   * Returns null when no batch in this segment reaches `startOffset`. Buffers come from `alloc`
   * when given (a lease of the fetch path's pool: the caller gives them back).
   */
  async read (startOffset: number, maxSize: number, maxPosition: number, minOneMessage: boolean, alloc?: (size: number) => Buffer): Promise<SegmentRead | null> {
    const hit = this.recent?.find(startOffset) ?? null
    let resumeAt = 0
    if (hit === null) {
      // One read for the scan and the data: from the index entry, the target batch starts at most
      // about an index interval (plus one batch) further on, so read that slack on top of maxSize.
      await this.ensureIndexes()
      const start = this.offsetIndex.lookup(startOffset).position
      if (start < maxPosition) {
        const window = Math.min(maxPosition - start, maxSize + this.indexIntervalBytes + SPECULATIVE_READ_SLACK_BYTES)
        const buf = await this.log.read(start, window, alloc)
        const h = this.scratchHeader
        let p = 0
        while (p + BATCH_HEADER_SIZE <= buf.length) {
          h.read(buf, p, start + p)
          if (h.problem(Number.MAX_SAFE_INTEGER) !== null) break
          if (h.lastOffset >= startOffset) {
            const fetchSize = Math.min(maxPosition - h.position, minOneMessage ? Math.max(maxSize, h.size) : maxSize)
            if (fetchSize <= 0) return { records: EMPTY, firstBatchBaseOffset: -1 }
            const firstBatchBaseOffset = h.baseOffset
            if (p + fetchSize <= buf.length) return { records: buf.subarray(p, p + fetchSize), firstBatchBaseOffset }
            // h is shared: take what is needed before awaiting
            return { records: await this.log.read(h.position, fetchSize, alloc), firstBatchBaseOffset }
          }
          p += h.size
        }
        resumeAt = start + p
      }
    }
    const loc = hit ?? await this.translateOffset(startOffset, resumeAt)
    if (loc === null) return null
    const adjustedMaxSize = minOneMessage ? Math.max(maxSize, loc.size) : maxSize
    const fetchSize = Math.min(maxPosition - loc.position, adjustedMaxSize)
    if (fetchSize <= 0) return { records: EMPTY, firstBatchBaseOffset: -1 }
    return { records: await this.log.read(loc.position, fetchSize, alloc), firstBatchBaseOffset: loc.baseOffset }
  }

  /**
   * The first record at or after `startingOffset` whose timestamp is >= `timestamp`, searching
   * below `maxPosition`, or null. Uses the time index to skip ahead, then reads whole batches;
   * inside a batch, records are walked when uncompressed (or decompressed with `decompress`),
   * otherwise the batch's base offset stands for its records.
   */
  async findOffsetByTimestamp (timestamp: number, startingOffset: number, maxPosition: number, decompress?: RecordsDecompressor): Promise<TimestampAndOffset | null> {
    await this.ensureIndexes()
    const te = this.timeIndex.lookup(timestamp)
    let position = this.offsetIndex.lookup(Math.max(te.offset, startingOffset)).position
    while (position < maxPosition) {
      const hit: { batch: Buffer | null, h: BatchHeader } = { batch: null, h: new BatchHeader() }
      await this.log.scan(position, maxPosition, (h, buf, off) => {
        if (h.maxTimestamp < timestamp || h.lastOffset < startingOffset) return true
        hit.batch = Buffer.from(buf.subarray(off, off + h.size))
        hit.h.read(hit.batch, 0, h.position)
        return false
      }, { wholeBatches: true })
      const { batch, h } = hit
      if (batch === null) return null
      const fallback = { timestamp: h.maxTimestamp, offset: Math.max(h.baseOffset, startingOffset), leaderEpoch: h.partitionLeaderEpoch }
      // under LogAppendTime every record carries the batch's maxTimestamp
      if (h.isLogAppendTime) return fallback
      let records: Buffer | null = null
      if (h.compression === 0) records = batch.subarray(BATCH_HEADER_SIZE)
      else if (decompress !== undefined) records = await decompress(h.compression, batch.subarray(BATCH_HEADER_SIZE)).catch(() => null)
      if (records === null) return fallback
      const found = firstRecordAtOrAfter(records, h.baseOffset, h.baseTimestamp, timestamp, startingOffset)
      if (found !== null) return { timestamp: found.timestamp, offset: found.offset, leaderEpoch: h.partitionLeaderEpoch }
      position = h.position + h.size
    }
    return null
  }

  /** Marks the segment as no longer appended to: final time-index entry, indexes written whole. */
  async onBecomeInactiveSegment (): Promise<void> {
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true)
    this.recent = null
    if (this.active) {
      this.active = false
      this.log.unpin()
    }
    this.needsFlush = true
    await Promise.all([this.offsetIndex.write({ close: true }), this.timeIndex.write({ close: true })])
  }

  /**
   * fsyncs the .log and, for an inactive segment, writes and fsyncs its indexes, so a recovery
   * point past this segment can trust all three files.
   */
  async flush (): Promise<void> {
    this.needsFlush = false
    try {
      await this.log.flush()
      if (!this.active) await Promise.all([this.offsetIndex.write({ sync: true, close: true }), this.timeIndex.write({ sync: true, close: true })])
      else if (this.offsetIndex.dirtyEntries > 0 || this.timeIndex.dirtyEntries > 0) await Promise.all([this.offsetIndex.write({ close: true }), this.timeIndex.write({ close: true })])
    } catch (err) {
      this.needsFlush = true
      throw err
    }
  }

  /**
   * Writes index entries the active segment accumulated (keeps its files close behind the log).
   * The index files are opened for the write only, so a partition holds one descriptor: its .log.
   */
  async writeIndexesIfDirty (minEntries: number): Promise<void> {
    if (this.offsetIndex.dirtyEntries >= minEntries || this.timeIndex.dirtyEntries >= minEntries) {
      await Promise.all([this.offsetIndex.write({ close: true }), this.timeIndex.write({ close: true })])
    }
  }

  /**
   * Removes every batch from the one holding `offset` on (that batch included, as Kafka does),
   * with their index entries. Returns the bytes removed.
   */
  async truncateTo (offset: number): Promise<number> {
    await this.ensureIndexes()
    const loc = await this.translateOffset(offset)
    if (loc === null) return 0
    this.offsetIndex.truncateTo(offset)
    this.timeIndex.truncateTo(offset)
    const removed = this.log.size - loc.position
    await this.log.truncateTo(loc.position)
    const last = this.timeIndex.lastEntry()
    this.maxTimestampSoFar = last.timestamp
    this.offsetOfMaxTimestampSoFar = last.offset
    this.recent?.clear()
    if (this.log.size === 0) this.rollingBasedTimestamp = null
    await this.recoverTailState()
    await Promise.all([this.offsetIndex.write({ close: true }), this.timeIndex.write({ close: true })])
    this.needsFlush = true
    return removed
  }

  /** The offset after the segment's last batch (baseOffset when empty). */
  async readNextOffset (): Promise<number> {
    await this.ensureIndexes()
    let next = this.baseOffset
    await this.log.scan(this.offsetIndex.lastEntry().position, this.log.size, h => { next = h.nextOffset })
    return next
  }

  /** Renames the three files by swapping suffixes ('' -> '.deleted'). Missing index files are fine. */
  async changeFileSuffixes (oldSuffix: string, newSuffix: string): Promise<void> {
    const swap = (p: string): string => p.slice(0, p.length - oldSuffix.length) + newSuffix
    await this.log.renameTo(swap(this.log.path))
    await this.offsetIndex.renameTo(swap(this.offsetIndex.path))
    await this.timeIndex.renameTo(swap(this.timeIndex.path))
  }

  /** Writes the final index state and closes every handle. */
  async close (): Promise<void> {
    if (this.active) {
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true)
      this.active = false
      this.log.unpin()
    }
    await Promise.all([this.offsetIndex.write({ sync: true, close: true }), this.timeIndex.write({ sync: true, close: true })])
    await this.log.close()
  }

  /** Closes handles without writing anything (the segment is being deleted or the log is failed). */
  async closeHandlers (): Promise<void> {
    if (this.active) {
      this.active = false
      this.log.unpin()
    }
    await Promise.all([this.offsetIndex.closeHandle(), this.timeIndex.closeHandle()])
    await this.log.close()
  }

  async deleteIfExists (): Promise<void> {
    await this.closeHandlers()
    await Promise.all([this.log.deleteIfExists(), this.offsetIndex.deleteIfExists(), this.timeIndex.deleteIfExists()])
  }
}

const EMPTY = Buffer.alloc(0)

/** Zigzag varint at buf[pos] as [value, nextPos]; NaN value when malformed. */
function readVarint (buf: Buffer, pos: number, end: number): [number, number] {
  let result = 0
  let mul = 1
  for (let i = 0; i < 10 && pos < end; i++) {
    const b = buf[pos++] as number
    result += (b & 0x7f) * mul
    if ((b & 0x80) === 0) {
      // zigzag: (n >>> 1) ^ -(n & 1), done in float arithmetic for values past 32 bits
      const half = Math.floor(result / 2)
      return [result % 2 === 0 ? half : -half - 1, pos]
    }
    mul *= 128
  }
  return [NaN, pos]
}

/**
 * Walks uncompressed records and returns the first whose offset >= startingOffset and timestamp
 * >= target. Reads only length, timestampDelta and offsetDelta of each record.
 */
function firstRecordAtOrAfter (records: Buffer, baseOffset: number, baseTimestamp: number, target: number, startingOffset: number): { offset: number, timestamp: number } | null {
  let pos = 0
  const end = records.length
  while (pos < end) {
    const [length, bodyStart] = readVarint(records, pos, end)
    if (Number.isNaN(length) || length < 0 || bodyStart + length > end) return null
    const [tsDelta, p2] = readVarint(records, bodyStart + 1, end)
    const [offsetDelta] = readVarint(records, p2, end)
    if (Number.isNaN(tsDelta) || Number.isNaN(offsetDelta)) return null
    const offset = baseOffset + offsetDelta
    const ts = baseTimestamp + tsDelta
    if (offset >= startingOffset && ts >= target) return { offset, timestamp: ts }
    pos = bodyStart + length
  }
  return null
}
