// Opens a partition directory and brings it to a consistent state before the Log serves it.
//
// Directory `<log dir>/<topic>-<partition>/`:
//   <base>.log .index .timeindex    segments (LogSegment), base = 20-digit offset
//   <offset>.snapshot               producer state (ProducerStateManager)
//   *.deleted *.cleaned *.swap *.tmp  leftovers of interrupted deletes, compaction, atomic writes
//
// Steps, in order:
// 1. delete leftovers: `.deleted` (a delete that had been decided), `.cleaned` (a compaction that
//    had not reached its swap), `.tmp`; then finish interrupted swaps (Kafka's rules):
//    - LogCleaner (Log.replaceSegments) renames a cleaned segment's files `.cleaned` -> `.swap` and
//      fsyncs the directory before it touches the segments it replaces, so a `<base>.log.swap` that
//      is whole holds a finished compaction. A `.swap` at or above the lowest `.cleaned` base offset
//      belongs to a rename that did not finish (KAFKA-6264) and is deleted, as is a `.log.swap` that
//      does not validate (length, magic, offsets, CRC-32C);
//    - for every other `.log.swap`, the regular segment files with a base offset in
//      [lowest swap base, highest swap next offset) are the replaced segments not yet renamed
//      `.deleted`: they are deleted (with the indexes under the swap's own name), the `.log.swap`
//      takes its final name, and `.index.swap` / `.timeindex.swap` are deleted (indexes are rebuilt
//      from the .log on first use);
//    then index files whose .log is missing are deleted;
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

import { readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../Logger.ts'
import type { FileHandleCache } from './FileHandleCache.ts'
import type { LogConfig } from './LogConfig.ts'
import { fsyncDir } from './CheckpointFile.ts'
import { FileRecords } from './FileRecords.ts'
import { batchCrcMatches } from './BatchHeader.ts'
import { DELETED_FILE_SUFFIX, filenamePrefixFromOffset, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, LogSegment, TIME_INDEX_FILE_SUFFIX } from './LogSegment.ts'
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
    await this.completeSwaps()
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

  /**
   * Step 1's swaps: deletes `.deleted`, `.tmp` and `.cleaned` files, then completes the swaps whose
   * `.swap` files are whole (see the header) and deletes the others.
   */
  private async completeSwaps (): Promise<void> {
    const { dir, logger } = this.o
    const names = await readdir(dir)
    const swaps: string[] = []
    let minCleaned = Infinity
    for (const n of names) {
      if (n.endsWith(DELETED_FILE_SUFFIX) || n.endsWith(TMP_FILE_SUFFIX)) {
        await unlinkIfExists(join(dir, n))
      } else if (n.endsWith(CLEANED_FILE_SUFFIX)) {
        const base = baseOffsetOf(n)
        if (base !== null) minCleaned = Math.min(minCleaned, base)
        await unlinkIfExists(join(dir, n))
      } else if (n.endsWith(SWAP_FILE_SUFFIX)) {
        swaps.push(n)
      }
    }
    if (swaps.length === 0) return
    let minSwap = Infinity
    let maxSwap = -Infinity
    const toRename: string[] = []
    for (const n of swaps) {
      const base = baseOffsetOf(n)
      if (base === null || n !== filenamePrefixFromOffset(base) + LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX) continue
      if (base >= minCleaned) {
        logger.warn({ file: n, lowestCleaned: minCleaned }, 'discarding a swap file from an unfinished rename')
        continue
      }
      const next = await validSwapNextOffset(join(dir, n), base)
      if (next === null) {
        logger.warn({ file: n }, 'discarding a swap file that does not validate')
        continue
      }
      minSwap = Math.min(minSwap, base)
      maxSwap = Math.max(maxSwap, next)
      toRename.push(n)
    }
    const replaced: string[] = []
    for (const n of names) {
      const base = baseOffsetOf(n)
      if (base === null || base < minSwap || base >= maxSwap) continue
      if (n.endsWith(LOG_FILE_SUFFIX) || n.endsWith(INDEX_FILE_SUFFIX) || n.endsWith(TIME_INDEX_FILE_SUFFIX) || n.endsWith(TXN_INDEX_FILE_SUFFIX)) {
        await unlinkIfExists(join(dir, n))
        replaced.push(n)
      }
    }
    for (const n of toRename) {
      // an empty swap replaces nothing by range: still, the old indexes under its name must go
      const prefix = n.slice(0, 20)
      for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) await unlinkIfExists(join(dir, prefix + suffix))
      await rename(join(dir, n), join(dir, n.slice(0, -SWAP_FILE_SUFFIX.length)))
    }
    // every other .swap (indexes, discarded segments) goes: indexes are rebuilt from the .log
    for (const n of swaps) if (!toRename.includes(n)) await unlinkIfExists(join(dir, n))
    await fsyncDir(dir)
    if (toRename.length > 0) logger.info({ swapped: toRename, replacedFiles: replaced.length }, 'completed an interrupted compaction swap')
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

/** The base offset a segment file name starts with (20 digits), or null. */
function baseOffsetOf (name: string): number | null {
  return /^\d{20}\./.test(name) ? Number(name.slice(0, 20)) : null
}

async function unlinkIfExists (path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
}

/**
 * The offset after the last batch of the segment file at `path` if every batch in it is whole and
 * valid (magic, offsets ascending from `base`, CRC-32C), else null. An empty file is valid (a
 * cleaning that kept nothing of its group).
 */
async function validSwapNextOffset (path: string, base: number): Promise<number | null> {
  const fr = await FileRecords.open(path, { create: false })
  try {
    let next = base
    let bad = false
    const r = await fr.scan(0, fr.size, (h, buf, off) => {
      if (h.baseOffset < next || !batchCrcMatches(buf, off, h.size)) {
        bad = true
        return false
      }
      next = h.nextOffset
    }, { wholeBatches: true })
    return bad || r.problem !== null || r.position !== fr.size ? null : next
  } finally {
    await fr.close()
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
