// Opens a partition directory and brings it to a consistent state before the Log serves it.
//
// Directory `<log dir>/<topic>-<partition>/`:
//   <base>.log .index .timeindex    segments (LogSegment), base = 20-digit offset
//   <offset>.snapshot               producer state (ProducerStateManager)
//   *.deleted *.cleaned *.swap *.tmp  leftovers of interrupted deletes, compaction, atomic writes
//
// Steps, in order:
// 1. delete leftovers: `.deleted` (a delete that had been decided), `.cleaned` and `.swap` (samsa
//    has no LogCleaner yet, so none can be a finished compaction to swap in), `.tmp`, and index
//    files whose .log is missing;
// 2. open every segment (indexes load lazily, see LogSegment);
// 3. unless the log dir had a clean shutdown: from the segment holding the recovery point to the
//    end, validate every batch (length, magic, offsets, CRC-32C) and rebuild the indexes; at the
//    first bad batch, truncate that segment there and delete every later segment. One warn line
//    says what was dropped. Recovered segments are fsynced, so the recovery point becomes the LEO;
// 4. the last segment becomes active (its indexes loaded, or rebuilt if missing or insane);
// 5. logStartOffset = max(checkpointed value, first segment's base); if the log now ends below it,
//    the log restarts empty at logStartOffset;
// 6. producer state: the latest snapshot at or below the LEO, then batch headers replayed to the LEO.
//
// A clean shutdown (LogManager's `.kafka_cleanshutdown` marker) skips step 3: every segment was
// flushed and every index written whole at close. Corrupt or missing indexes are still rebuilt on
// first use.

import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../Logger.ts'
import type { FileHandleCache } from './FileHandleCache.ts'
import type { LogConfig } from './LogConfig.ts'
import { DELETED_FILE_SUFFIX, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, LogSegment, TIME_INDEX_FILE_SUFFIX } from './LogSegment.ts'
import { ProducerStateManager } from './ProducerStateManager.ts'

export const CLEANED_FILE_SUFFIX = '.cleaned'
export const SWAP_FILE_SUFFIX = '.swap'
export const TMP_FILE_SUFFIX = '.tmp'
export const TXN_INDEX_FILE_SUFFIX = '.txnindex'

export interface LogLoaderOptions {
  dir: string
  config: LogConfig
  logger: Logger
  now: () => number
  cache?: FileHandleCache | null
  /** Checkpointed offset below which everything was fsynced (0 if unknown). */
  recoveryPoint: number
  /** Checkpointed log start offset (0 if unknown). */
  logStartOffset: number
  hadCleanShutdown: boolean
}

export interface LoadedLog {
  /** Ascending by base offset; the last one is active (becomeActive done). Never empty. */
  segments: LogSegment[]
  logStartOffset: number
  logEndOffset: number
  recoveryPoint: number
  producerStateManager: ProducerStateManager
}

export class LogLoader {
  private readonly o: LogLoaderOptions

  constructor (options: LogLoaderOptions) {
    this.o = options
  }

  async load (): Promise<LoadedLog> {
    const { dir, config, logger, now } = this.o
    const segOpts = { dir, config, cache: this.o.cache ?? null, now, logger }
    const baseOffsets = await this.removeLeftoversAndListSegments()
    let segments: LogSegment[] = []
    for (const baseOffset of baseOffsets) segments.push(await LogSegment.open({ ...segOpts, baseOffset }))

    if (!this.o.hadCleanShutdown && segments.length > 0) segments = await this.recover(segments)

    let logStartOffset = Math.max(this.o.logStartOffset, segments[0]?.baseOffset ?? 0)
    if (segments.length === 0) segments.push(await LogSegment.create({ ...segOpts, baseOffset: logStartOffset }))
    let active = segments[segments.length - 1] as LogSegment
    await active.becomeActive()
    let logEndOffset = await active.readNextOffset()

    if (logEndOffset < logStartOffset) {
      logger.warn({ logEndOffset, logStartOffset }, 'log ends below its checkpointed start offset: restarting it empty at the start offset')
      for (const s of segments) await s.deleteIfExists()
      active = await LogSegment.create({ ...segOpts, baseOffset: logStartOffset })
      await active.becomeActive()
      segments = [active]
      logEndOffset = logStartOffset
    }
    logStartOffset = Math.min(logStartOffset, logEndOffset)
    // a clean shutdown flushed everything; otherwise recover() fsynced all it checked, and what lies
    // before the old recovery point was flushed before it was checkpointed
    const recoveryPoint = logEndOffset

    const psm = new ProducerStateManager(dir, config['producer.id.expiration.ms'], logger)
    await psm.loadSnapshotList()
    const replayed = await rebuildProducerState(psm, segments, logStartOffset, logEndOffset, now())
    await psm.deleteSnapshotsBefore((segments[0] as LogSegment).baseOffset)
    if (replayed > 0) await psm.takeSnapshot()

    return { segments, logStartOffset, logEndOffset, recoveryPoint, producerStateManager: psm }
  }

  /** Step 1; returns the base offsets of the segments found, ascending. */
  private async removeLeftoversAndListSegments (): Promise<number[]> {
    const { dir, logger } = this.o
    const names = await readdir(dir)
    const logs = new Set<string>()
    for (const n of names) if (n.endsWith(LOG_FILE_SUFFIX) && /^\d{20}\.log$/.test(n)) logs.add(n.slice(0, 20))
    const removed: string[] = []
    for (const n of names) {
      const leftover = n.endsWith(DELETED_FILE_SUFFIX) || n.endsWith(CLEANED_FILE_SUFFIX) || n.endsWith(SWAP_FILE_SUFFIX) || n.endsWith(TMP_FILE_SUFFIX)
      const orphanIndex = (n.endsWith(INDEX_FILE_SUFFIX) || n.endsWith(TIME_INDEX_FILE_SUFFIX) || n.endsWith(TXN_INDEX_FILE_SUFFIX)) && !logs.has(n.slice(0, 20))
      if (leftover || orphanIndex) {
        await unlink(join(dir, n)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
        removed.push(n)
      }
    }
    if (removed.length > 0) logger.info({ files: removed.length, examples: removed.slice(0, 5) }, 'removed leftover files from the partition directory')
    return [...logs].map(Number).sort((a, b) => a - b)
  }

  /** Step 3: validates from the recovery point's segment on; returns the segments that remain. */
  private async recover (segments: LogSegment[]): Promise<LogSegment[]> {
    const { logger } = this.o
    const rp = this.o.recoveryPoint
    let first = 0
    for (let i = 0; i < segments.length; i++) if ((segments[i] as LogSegment).baseOffset <= rp) first = i
    let validBatches = 0
    let truncatedBytes = 0
    let droppedSegments = 0
    let problem: string | null = null
    let segmentPath = ''
    let keep = segments.length
    for (let i = first; i < segments.length; i++) {
      const seg = segments[i] as LogSegment
      const r = await seg.recover()
      validBatches += r.batches
      await seg.flush()
      if (r.truncatedBytes > 0) {
        truncatedBytes += r.truncatedBytes
        problem = r.problem
        segmentPath = seg.log.path
        keep = i + 1
        break
      }
    }
    for (let i = keep; i < segments.length; i++) {
      const seg = segments[i] as LogSegment
      truncatedBytes += seg.size
      droppedSegments++
      await seg.deleteIfExists()
    }
    if (truncatedBytes > 0) {
      logger.warn({ segment: segmentPath, problem, truncatedBytes, droppedSegments, validBatches, recoveredSegments: keep - first },
        'recovery truncated a torn or corrupt log tail')
    }
    return segments.slice(0, keep)
  }
}

/**
 * Replays batch headers from the latest usable snapshot (or `logStartOffset`) up to
 * `logEndOffset` into `psm`. Returns the number of batches replayed.
 */
export async function rebuildProducerState (psm: ProducerStateManager, segments: readonly LogSegment[], logStartOffset: number, logEndOffset: number, now: number): Promise<number> {
  const from = await psm.truncateAndReload(logStartOffset, logEndOffset, now)
  let replayed = 0
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as LogSegment
    const next = segments[i + 1]
    if (next !== undefined && next.baseOffset <= from) continue
    let start = 0
    if (seg.baseOffset < from) {
      await seg.ensureIndexes()
      start = seg.offsetIndex.lookup(from).position
    }
    await seg.log.scan(start, seg.size, h => {
      if (h.baseOffset < from) return
      if (h.baseOffset >= logEndOffset) return false
      psm.replayBatch(h)
      replayed++
    })
  }
  psm.updateMapEndOffset(logEndOffset)
  return replayed
}
