// Log compaction (Kafka's LogCleaner): removes records of a `cleanup.policy=compact` log that a
// later record with the same key has made obsolete. A record with key K at offset O is obsolete
// when a record with key K exists at an offset O' > O.
//
// Sections of a compacted log, in offset order:
//   [ clean section          | dirty section: cleanable           | uncleanable        ]
//   logStartOffset    first dirty offset              first uncleanable offset     LEO
// - the clean section has been cleaned before: no key repeats inside it; its end, the first dirty
//   offset, is kept per partition in each log dir's `cleaner-offset-checkpoint` (LogCleanerManager);
// - the cleanable part of the dirty section ends at the first segment that must not be cleaned
//   yet: the active segment, the segment holding the last stable offset, or a segment younger than
//   min.compaction.lag.ms. Only whole inactive segments are ever cleaned.
// The dirty ratio is cleanable bytes / (clean + cleanable bytes). One log at a time is cleaned: the
// one with the highest ratio above min.cleanable.dirty.ratio, or one with a dirty segment older
// than max.compaction.lag.ms.
//
// Cleaning one log:
// 1. Offset map: the cleanable section is read in order and each keyed record's offset is stored
//    under its key (OffsetMap: a 16-byte digest and an offset per key, bounded by
//    log.cleaner.dedupe.buffer.size). When the map is full, cleaning covers only up to where it
//    got (the map's latestOffset), and the next round continues from there.
// 2. Recopy: segments from the log start up to that offset are grouped (a group fits one segment:
//    segment.bytes, segment.index.bytes, relative offsets) and each group is rewritten into one
//    `<base>.log.cleaned` segment with the first segment's base offset. The active segment is never
//    touched. Each batch is filtered:
//    - a record is kept if its offset is past the map's latestOffset, or its key's latest offset in
//      the map is not greater than its own (it is the latest), unless it is a tombstone (null
//      value) whose batch's delete horizon has passed. Records without a key are dropped;
//    - tombstones (Kafka's KIP-534 delete horizon): the first cleaning that keeps a tombstone
//      rewrites its batch with attribute bit 6 set and baseTimestamp = now + delete.retention.ms
//      (record timestamps re-expressed against it). A later cleaning removes the tombstone once
//      the horizon has passed, so consumers that were behind by less than delete.retention.ms
//      still see the delete;
//    - a batch whose records all remain (and need no horizon) is copied byte for byte; otherwise
//      it is rebuilt with the kept records, the same baseOffset, lastOffsetDelta (so the last
//      sequence survives), producer fields, leader epoch, timestamp type and codec (decompressed,
//      filtered, recompressed);
//    - a batch left empty disappears, except the last batch of each active producer (ProducerStateManager)
//      and the batch ending at the cleaning round's upper bound: those stay as header-only batches
//      (recordsCount 0) so producer sequence state and the last offset survive;
//    - control batches (transaction markers) are kept as they are;
//    - transactional data batches are kept as they are and their keys stay out of the map: samsa has
//      no transaction index yet, so the cleaner cannot tell aborted transactions from committed ones
//      (Kafka removes aborted data and, once their transaction is empty, markers).
//    Offsets never change: cleaned segments have gaps.
// 3. Swap: the cleaned segment is written, indexed (the usual index policy) and fsynced, then
//    Log.replaceSegments renames it `.swap`, swaps it into the segment list in one synchronous step,
//    renames the old segments `.deleted` (unlinked after file.delete.delay.ms, so reads already in
//    them finish) and drops the `.swap` suffix. LogLoader completes or discards an interrupted swap.
// 4. The checkpoint moves to the end of the cleaned range.
//
// Scheduling: the cleaner runs on the event loop, in slices. It reads and writes at most
// log.cleaner.io.buffer.size / 2 bytes at a time (a larger batch is read whole) and yields to the
// event loop between slices, and also within a slice once as many bytes of decompressed records
// have been handled, so appends and fetches on every partition keep being served; appends to
// the log being cleaned wait only for the swap's renames. After a pass that found nothing to clean
// it sleeps log.cleaner.backoff.ms (an unref'd timer). shutdown() abandons a cleaning in progress at
// the next slice (its `.cleaned` files are deleted; the log is untouched) and waits for it. A
// cleaning that fails for any other reason marks the log uncleanable until it is reopened.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { nullLogger, type Logger } from '../Logger.ts'
import { Attributes, BATCH_HEADER_SIZE, decodeRecordBatch, encodeRecordBatch, encodeRecordBatchSync, type RecordBatch, type RecordInput } from '../protocol/records/RecordBatch.ts'
import { BatchHeader } from './BatchHeader.ts'
import type { Log } from './Log.ts'
import { type LogInDir, LogCleanerManager, type LogToClean } from './LogCleanerManager.ts'
import { AppendedBatches, type LogSegment } from './LogSegment.ts'
import { type OffsetMap, SkimpyOffsetMap } from './OffsetMap.ts'

/** Smallest read or write slice, whatever log.cleaner.io.buffer.size says (one small batch's worth). */
export const MIN_CLEANER_IO_SLICE_BYTES = 4096
/** Longest delay setTimeout honours; a larger backoff is clamped to it. */
const MAX_TIMER_MS = 0x7fffffff

export interface CleanerConfig {
  'log.cleaner.enable': boolean
  /** Sleep after a pass that found nothing to clean. */
  'log.cleaner.backoff.ms': number
  /** Memory bound of the offset map. */
  'log.cleaner.dedupe.buffer.size': number
  /** Half for reading, half for writing: the size of one slice of work. */
  'log.cleaner.io.buffer.size': number
}

export const DEFAULT_CLEANER_CONFIG: Readonly<CleanerConfig> = Object.freeze({
  'log.cleaner.enable': true,
  'log.cleaner.backoff.ms': 15000,
  'log.cleaner.dedupe.buffer.size': 134217728,
  'log.cleaner.io.buffer.size': 524288,
})

/** Thrown inside a cleaning that must stop (shutdown, the log closed, or its segments changed). */
export class LogCleaningAbortedError extends Error {
  override readonly name = 'LogCleaningAbortedError'
}

/** What one cleaning did (durations by the wall clock, whatever clock the cleaner uses for horizons). */
export class CleanerStats {
  readonly startMs = Date.now()
  endMs = 0
  mapCompleteMs = 0
  /** Offset map: bytes and records scanned. */
  mapBytesRead = 0
  mapMessagesRead = 0
  /** Recopy: bytes and records read, and written to cleaned segments. */
  bytesRead = 0
  messagesRead = 0
  bytesWritten = 0
  messagesWritten = 0
  /** Records without a key (dropped). */
  invalidMessages = 0
  /** Batches kept as header-only batches. */
  emptyBatchesRetained = 0
  bufferUtilization = 0
}

/** A batch's fate (Kafka's BatchRetention). */
type BatchRetention = 'retainEmpty' | 'deleteEmpty'

export interface CleanerOptions {
  offsetMap: OffsetMap
  /** log.cleaner.io.buffer.size. */
  ioBufferSize: number
  logger: Logger
  /** Throws LogCleaningAbortedError when the cleaning of `log` must stop. */
  checkDone: (log: Log) => void
}

export interface CleanResult {
  /** First offset not cleaned: the new first dirty offset. */
  endOffset: number
  stats: CleanerStats
}

/** The logic of cleaning one log (Kafka's Cleaner). */
export class Cleaner {
  readonly offsetMap: OffsetMap
  private readonly sliceBytes: number
  private readonly logger: Logger
  private readonly checkDone: (log: Log) => void
  private readonly header = new BatchHeader()
  private workSinceYield = 0

  constructor (o: CleanerOptions) {
    this.offsetMap = o.offsetMap
    this.sliceBytes = Math.max(MIN_CLEANER_IO_SLICE_BYTES, Math.floor(o.ioBufferSize / 2))
    this.logger = o.logger
    this.checkDone = o.checkDone
  }

  /** Cleans `ltc` as of `currentTime` (tombstone horizons are measured from it). */
  async clean (ltc: LogToClean, currentTime: number): Promise<CleanResult> {
    const log = ltc.log
    const stats = new CleanerStats()
    const map = this.offsetMap
    const upperBound = ltc.firstUncleanableOffset
    await this.buildOffsetMap(log, ltc.firstDirtyOffset, upperBound, map, stats)
    const endOffset = Math.max(ltc.firstDirtyOffset, map.latestOffset + 1)
    stats.mapCompleteMs = Date.now()
    try {
      if (endOffset > ltc.firstDirtyOffset) {
        const segments = log.logSegments(0, endOffset).filter(s => s !== log.activeSegment)
        const groups = groupSegmentsBySize(segments, log.config['segment.bytes'], log.config['segment.index.bytes'], upperBound)
        for (const group of groups) await this.cleanSegments(log, group, map, currentTime, stats, upperBound)
      }
      stats.bufferUtilization = map.utilization
    } finally {
      map.clear()
    }
    stats.endMs = Date.now()
    return { endOffset, stats }
  }

  /**
   * Step 1: key -> latest offset for the records in [start, end). Stops adding keys when the map
   * reaches its desired size (latestOffset then says how far it got).
   */
  async buildOffsetMap (log: Log, start: number, end: number, map: OffsetMap, stats: CleanerStats): Promise<void> {
    map.clear()
    const dirty = log.logSegments(start, end)
    for (let i = 0; i < dirty.length; i++) {
      const seg = dirty[i] as LogSegment
      const nextStart = (dirty[i + 1] as LogSegment | undefined)?.baseOffset ?? end
      await seg.ensureIndexes()
      const full = await this.buildOffsetMapForSegment(log, seg, map, start, stats)
      if (full) {
        this.logger.debug({ segmentsMapped: i, baseOffset: seg.baseOffset, latestOffset: map.latestOffset }, 'offset map full: cleaning up to where it got')
        return
      }
      // the segment may end in a gap (an earlier cleaning): it is covered up to the next one
      map.updateLatestOffset(nextStart - 1)
    }
  }

  /** Returns true when the map filled up inside this segment. */
  private async buildOffsetMapForSegment (log: Log, seg: LogSegment, map: OffsetMap, start: number, stats: CleanerStats): Promise<boolean> {
    let full = false
    const position = seg.offsetIndex.lookup(start).position
    await this.forEachSlice(log, seg, position, seg.size, async (buf, batches) => {
      for (const off of batches) {
        const h = this.header.read(buf, off, off)
        if (!h.isControl && !h.isTransactional) {
          const rb = await decodeRecordBatch(buf, { position: off })
          await this.workDone(recordBytes(rb))
          const base = Number(rb.baseOffset)
          for (const r of rb.records) {
            const offset = base + r.offsetDelta
            stats.mapMessagesRead++
            if (r.key === null || offset < start) continue
            if (map.size >= map.maxDesiredSize && map.get(r.key) < 0) {
              full = true
              return false
            }
            map.put(r.key, offset)
          }
          // `h` is shared: read it again after the await
          this.header.read(buf, off, off)
        }
        if (this.header.lastOffset >= start) map.updateLatestOffset(this.header.lastOffset)
      }
      stats.mapBytesRead += buf.length
      return true
    })
    return full
  }

  /**
   * Step 2 for one group: recopies `segments` into one cleaned segment and swaps it in. Throws
   * LogCleaningAbortedError when the swap is refused (the segments changed meanwhile).
   */
  async cleanSegments (log: Log, segments: readonly LogSegment[], map: OffsetMap, currentTime: number, stats: CleanerStats, upperBoundOffset: number): Promise<void> {
    const sizes = segments.map(s => s.size)
    const cleaned = await log.createCleanedSegment((segments[0] as LogSegment).baseOffset)
    try {
      const lastRecordsOfActiveProducers = new Map<number, { lastDataOffset: number, producerEpoch: number }>()
      for (const [pid, e] of log.producerStateManager.activeProducers()) lastRecordsOfActiveProducers.set(pid, { lastDataOffset: e.lastDataOffset, producerEpoch: e.producerEpoch })
      for (let i = 0; i < segments.length; i++) {
        await this.cleanInto(log, segments[i] as LogSegment, sizes[i] as number, cleaned, map, currentTime, stats, lastRecordsOfActiveProducers, upperBoundOffset)
      }
      this.checkDone(log)
      await cleaned.onBecomeInactiveSegment()
      await cleaned.setLastModified((segments[segments.length - 1] as LogSegment).lastModifiedMs)
      await cleaned.flush()
      this.checkDone(log)
    } catch (err) {
      await cleaned.deleteIfExists().catch(() => {})
      throw err
    }
    // from here the log owns the cleaned segment: it swaps it in or deletes it
    const swapped = await log.replaceSegments(cleaned, segments, sizes)
    if (!swapped) throw new LogCleaningAbortedError(`segments of ${log.topic}-${log.partition} changed during cleaning`)
    this.logger.debug({ baseOffset: cleaned.baseOffset, replaced: segments.length, bytes: cleaned.size }, 'swapped in cleaned segment')
  }

  /** Filters the batches of `source` (its first `size` bytes) into `dest`. */
  private async cleanInto (log: Log, source: LogSegment, size: number, dest: LogSegment, map: OffsetMap, currentTime: number, stats: CleanerStats,
    lastRecordsOfActiveProducers: ReadonlyMap<number, { lastDataOffset: number, producerEpoch: number }>, upperBoundOffset: number): Promise<void> {
    const deleteRetentionMs = log.config['delete.retention.ms']
    const out: Buffer[] = []
    const outBatches = new AppendedBatches()
    let outBytes = 0
    const flushOut = async (): Promise<void> => {
      if (outBytes === 0) return
      await dest.append(out, outBytes, outBatches, currentTime)
      stats.bytesWritten += outBytes
      out.length = 0
      outBatches.clear()
      outBytes = 0
    }
    const emit = (batch: Buffer): void => {
      const h = new BatchHeader().read(batch, 0, 0)
      out.push(batch)
      outBatches.add(h.baseOffset, h.lastOffset, h.maxTimestamp, h.size)
      outBytes += batch.length
    }
    await this.forEachSlice(log, source, 0, size, async (buf, batches) => {
      for (const off of batches) {
        const h = this.header.read(buf, off, off)
        const batchSize = h.size
        stats.bytesRead += batchSize
        const entry = h.producerId >= 0 ? lastRecordsOfActiveProducers.get(h.producerId) : undefined
        const isLastOfProducer = entry !== undefined &&
          (entry.lastDataOffset >= 0 ? h.lastOffset === entry.lastDataOffset : h.isControl && h.producerEpoch === entry.producerEpoch)
        const retention: BatchRetention = isLastOfProducer || h.nextOffset === upperBoundOffset ? 'retainEmpty' : 'deleteEmpty'
        if (h.isControl || h.isTransactional) {
          // kept as they are (see the header: no transaction index yet)
          stats.messagesRead += h.recordsCount
          stats.messagesWritten += h.recordsCount
          emit(buf.subarray(off, off + batchSize))
          continue
        }
        const rb = await decodeRecordBatch(buf, { position: off })
        await this.workDone(recordBytes(rb))
        const filtered = await filterBatch(rb, buf.subarray(off, off + batchSize), map, currentTime, deleteRetentionMs, retention, stats)
        if (filtered !== null) emit(filtered)
        if (outBytes >= this.sliceBytes) await flushOut()
      }
      await flushOut()
      return true
    })
    await flushOut()
  }

  /**
   * Reads [start, end) of `seg` slice by slice (at most sliceBytes, or one larger batch whole) and
   * hands `visit` the buffer and the positions of its whole batches. Yields to the event loop
   * between slices and checks for an abort. `visit` returns false to stop.
   */
  private async forEachSlice (log: Log, seg: LogSegment, start: number, end: number, visit: (buf: Buffer, batches: number[]) => Promise<boolean>): Promise<void> {
    const h = new BatchHeader()
    let pos = start
    while (pos < end) {
      this.checkDone(log)
      let buf = await seg.log.read(pos, Math.min(this.sliceBytes, end - pos))
      const batches: number[] = []
      let off = 0
      while (off + BATCH_HEADER_SIZE <= buf.length) {
        h.read(buf, off, pos + off)
        const problem = h.problem(end - pos - off)
        if (problem !== null) throw new Error(`${seg.log.path} at ${pos + off}: ${problem}`)
        if (off + h.size > buf.length) break
        batches.push(off)
        off += h.size
      }
      if (batches.length === 0) {
        if (buf.length < BATCH_HEADER_SIZE) throw new Error(`${seg.log.path} ends inside a batch header at ${pos}`)
        // one batch larger than a slice: read it whole
        buf = await seg.log.read(pos, h.size)
        if (buf.length < h.size) throw new Error(`${seg.log.path} ends inside the batch at ${pos}`)
        batches.push(0)
        off = h.size
      }
      const more = await visit(buf.subarray(0, off), batches)
      if (!more) return
      pos += off
      this.workSinceYield = 0
      await yieldToEventLoop()
    }
  }

  /**
   * Counts `bytes` of decompressed records handled; yields to the event loop once a slice's worth
   * has been handled since the last yield (a slice of compressed batches can hold many times its
   * size in records).
   */
  private async workDone (bytes: number): Promise<void> {
    this.workSinceYield += bytes
    if (this.workSinceYield < this.sliceBytes) return
    this.workSinceYield = 0
    await yieldToEventLoop()
  }
}

/** Bytes of keys and values in a decoded batch: the work its records cost. */
function recordBytes (rb: RecordBatch): number {
  let n = 0
  for (const r of rb.records) n += (r.key?.length ?? 0) + (r.value?.length ?? 0) + 8
  return n
}

/**
 * One data batch through the cleaner's filter: the batch to write (the original bytes, a rebuilt
 * batch or a header-only batch), or null to drop it.
 */
async function filterBatch (rb: RecordBatch, original: Buffer, map: OffsetMap, currentTime: number, deleteRetentionMs: number,
  retention: BatchRetention, stats: CleanerStats): Promise<Buffer | null> {
  const base = Number(rb.baseOffset)
  const hasHorizon = rb.hasDeleteHorizon
  const horizon = hasHorizon ? Number(rb.baseTimestamp) : -1
  const retainDeletes = !hasHorizon || currentTime < horizon
  const kept: RecordBatch['records'] = []
  let containsTombstones = false
  for (const r of rb.records) {
    stats.messagesRead++
    const offset = base + r.offsetDelta
    let keep: boolean
    if (offset > map.latestOffset) {
      keep = true
    } else if (r.key === null) {
      stats.invalidMessages++
      keep = false
    } else {
      keep = offset >= map.get(r.key) && (r.value !== null || retainDeletes)
    }
    if (!keep) continue
    kept.push(r)
    if (r.value === null) containsTombstones = true
  }
  const needToSetDeleteHorizon = containsTombstones && !hasHorizon
  if (kept.length === rb.records.length && !needToSetDeleteHorizon && kept.length > 0) {
    stats.messagesWritten += kept.length
    return original
  }
  if (kept.length > 0) {
    stats.messagesWritten += kept.length
    const deleteHorizonMs = needToSetDeleteHorizon ? BigInt(currentTime + deleteRetentionMs) : hasHorizon ? rb.baseTimestamp : undefined
    const logAppendTime = (rb.attributes & Attributes.TIMESTAMP_TYPE) !== 0
    let maxTimestamp = -1n
    const records: RecordInput[] = kept.map(r => {
      // the stored timestamp (under LogAppendTime the batch's maxTimestamp stands for it on reads)
      const timestamp = rb.baseTimestamp + r.timestampDelta
      if (timestamp > maxTimestamp) maxTimestamp = timestamp
      return { key: r.key, value: r.value, headers: r.headers, timestamp, offsetDelta: r.offsetDelta, attributes: r.attributes }
    })
    return await encodeRecordBatch({
      baseOffset: rb.baseOffset,
      partitionLeaderEpoch: rb.partitionLeaderEpoch,
      attributes: rb.attributes & ~Attributes.DELETE_HORIZON,
      compression: rb.compression,
      deleteHorizonMs,
      baseTimestamp: deleteHorizonMs === undefined ? (records[0]?.timestamp as bigint) : undefined,
      maxTimestamp: logAppendTime ? rb.maxTimestamp : maxTimestamp,
      producerId: rb.producerId,
      producerEpoch: rb.producerEpoch,
      baseSequence: rb.baseSequence,
      lastOffsetDelta: rb.lastOffsetDelta,
      records,
    })
  }
  if (retention === 'retainEmpty') {
    stats.emptyBatchesRetained++
    return emptyBatch(rb)
  }
  return null
}

/** A header-only batch standing for `rb` (Kafka's writeEmptyHeader): offsets, producer fields, maxTimestamp. */
export function emptyBatch (rb: RecordBatch): Buffer {
  return encodeRecordBatchSync({
    baseOffset: rb.baseOffset,
    partitionLeaderEpoch: rb.partitionLeaderEpoch,
    attributes: rb.attributes & (Attributes.TIMESTAMP_TYPE | Attributes.TRANSACTIONAL | Attributes.CONTROL),
    baseTimestamp: -1n,
    maxTimestamp: rb.maxTimestamp,
    producerId: rb.producerId,
    producerEpoch: rb.producerEpoch,
    baseSequence: rb.baseSequence,
    lastOffsetDelta: rb.lastOffsetDelta,
    records: [],
  })
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose total .log bytes fit maxSize and whose
 * index entries fit maxIndexSize go into one cleaned segment, as long as every offset stays within
 * a relative int32 of the group's base (the last segment's end estimated by the next base offset,
 * or firstUncleanableOffset).
 */
export function groupSegmentsBySize (segments: readonly LogSegment[], maxSize: number, maxIndexSize: number, firstUncleanableOffset: number): LogSegment[][] {
  const groups: LogSegment[][] = []
  let i = 0
  while (i < segments.length) {
    const first = segments[i] as LogSegment
    const group = [first]
    let logSize = first.size
    let indexSize = first.offsetIndex.sizeInBytes
    let timeIndexSize = first.timeIndex.sizeInBytes
    i++
    while (i < segments.length) {
      const s = segments[i] as LogSegment
      const lastOffset = i + 1 < segments.length ? (segments[i + 1] as LogSegment).baseOffset - 1 : firstUncleanableOffset - 1
      if (logSize + s.size > maxSize || indexSize + s.offsetIndex.sizeInBytes > maxIndexSize || timeIndexSize + s.timeIndex.sizeInBytes > maxIndexSize) break
      if (s.size !== 0 && lastOffset - first.baseOffset > 0x7fffffff) break
      group.push(s)
      logSize += s.size
      indexSize += s.offsetIndex.sizeInBytes
      timeIndexSize += s.timeIndex.sizeInBytes
      i++
    }
    groups.push(group)
  }
  return groups
}

export interface LogCleanerOptions {
  config?: Partial<CleanerConfig>
  logDirs: readonly string[]
  /** The logs to consider, with their log dirs (LogManager's). */
  logs: () => LogInDir[]
  logger?: Logger
  now?: () => number
}

/** The cleaner's loop and its state (Kafka's LogCleaner with one CleanerThread). */
export class LogCleaner {
  readonly config: CleanerConfig
  readonly manager: LogCleanerManager
  readonly cleaner: Cleaner
  /** Statistics of the last completed cleaning, if any. */
  lastStats: CleanerStats | null = null
  private readonly logs: () => LogInDir[]
  private readonly logger: Logger
  private readonly now: () => number
  private timer: ReturnType<typeof setTimeout> | null = null
  private running: Promise<unknown> | null = null
  private stopped = false

  constructor (o: LogCleanerOptions) {
    this.config = { ...DEFAULT_CLEANER_CONFIG, ...o.config }
    this.logger = (o.logger ?? nullLogger).child({ component: 'LogCleaner' })
    this.logs = o.logs
    this.now = o.now ?? Date.now
    this.manager = new LogCleanerManager(o.logDirs, this.logger)
    this.cleaner = new Cleaner({
      offsetMap: new SkimpyOffsetMap(this.config['log.cleaner.dedupe.buffer.size']),
      ioBufferSize: this.config['log.cleaner.io.buffer.size'],
      logger: this.logger,
      checkDone: log => {
        if (this.stopped) throw new LogCleaningAbortedError('the cleaner is shutting down')
        if (log.isClosed || log.offlineReason !== null) throw new LogCleaningAbortedError(`${log.topic}-${log.partition} was closed`)
      },
    })
  }

  /** Reads the checkpoints and, unless `schedule` is false, starts the background passes. */
  async startup (options: { schedule?: boolean } = {}): Promise<void> {
    await this.manager.loadCheckpoints()
    if (options.schedule !== false) this.arm(this.config['log.cleaner.backoff.ms'])
    this.logger.info({ backoffMs: this.config['log.cleaner.backoff.ms'], dedupeBufferSize: this.config['log.cleaner.dedupe.buffer.size'] }, 'log cleaner started')
  }

  /** Stops the passes; a cleaning in progress is abandoned at its next slice and awaited. */
  async shutdown (): Promise<void> {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    await this.running
  }

  private arm (delayMs: number): void {
    if (this.stopped) return
    const t = setTimeout(() => {
      this.timer = null
      const run = this.cleanFilthiestLog()
      this.running = run
      run.then(cleaned => this.arm(cleaned ? 0 : this.config['log.cleaner.backoff.ms']), (err: unknown) => {
        this.logger.error({ err }, 'log cleaner pass failed')
        this.arm(this.config['log.cleaner.backoff.ms'])
      }).finally(() => { if (this.running === run) this.running = null })
    }, Math.min(Math.max(delayMs, 0), MAX_TIMER_MS))
    t.unref()
    this.timer = t
  }

  /** Whether a partition still has a log (checkpoint entries of others are dropped). */
  private liveness (): (topic: string, partition: number) => boolean {
    const live = new Set<string>()
    for (const { log } of this.logs()) live.add(`${log.topic}\u0000${log.partition}`)
    return (topic, partition) => live.has(`${topic}\u0000${partition}`)
  }

  /**
   * One pass: cleans the filthiest compacted log, if one qualifies. Returns whether one was
   * cleaned (with progress), so the caller knows whether to back off.
   */
  async cleanFilthiestLog (): Promise<boolean> {
    if (this.stopped) return false
    const ltc = await this.manager.grabFilthiestCompactedLog(this.logs(), this.now(), this.liveness())
    if (ltc === null) return false
    const { log } = ltc
    const logger = this.logger.child({ topic: log.topic, partition: log.partition })
    let endOffset: number | null = null
    try {
      const r = await this.cleaner.clean(ltc, this.now())
      endOffset = r.endOffset
      this.lastStats = r.stats
      const s = r.stats
      logger.info({
        firstDirtyOffset: ltc.firstDirtyOffset,
        endOffset,
        dirtyRatio: Number(ltc.cleanableRatio.toFixed(3)),
        bytesRead: s.bytesRead,
        bytesWritten: s.bytesWritten,
        messagesRead: s.messagesRead,
        messagesWritten: s.messagesWritten,
        bufferUtilization: Number(s.bufferUtilization.toFixed(3)),
        ms: s.endMs - s.startMs,
      }, 'cleaned log')
    } catch (err) {
      if (err instanceof LogCleaningAbortedError) {
        logger.info({ reason: err.message }, 'log cleaning abandoned')
      } else if (log.isClosed || log.offlineReason !== null) {
        logger.info({ reason: err instanceof Error ? err.message : String(err) }, 'log cleaning stopped: the log was closed')
      } else {
        this.manager.markUncleanable(log)
        logger.warn({ err }, 'log cleaning failed: the partition is left uncleanable until it is reopened')
      }
    } finally {
      await this.manager.doneCleaning(ltc, endOffset, this.liveness())
    }
    return endOffset !== null && endOffset > ltc.firstDirtyOffset
  }

  /** The partition's log was deleted: forget its checkpoint entry (a cleaning of it aborts on its own). */
  async removeLog (logDir: string, topic: string, partition: number): Promise<void> {
    if (this.manager.cleanerCheckpoint(logDir, topic, partition) === undefined) return
    await this.manager.updateCheckpoint(logDir, topic, partition, null, this.liveness())
  }
}
