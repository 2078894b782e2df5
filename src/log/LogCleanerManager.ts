// Which compacted log the LogCleaner cleans next, and how far each has been cleaned (Kafka's
// LogCleanerManager).
//
// `cleaner-offset-checkpoint`, one per log dir, in the format of the other offset checkpoints
// (CheckpointFile: version 0, count, then `topic partition offset` lines): for each compacted
// partition, the first offset not yet cleaned, its "first dirty offset". Everything below it is the
// clean section. A missing entry means nothing has been cleaned: the log start offset. An entry
// below the log start offset, or past the log end offset (the log was truncated or recreated), is
// reset to the log start offset, as Kafka does. Entries of partitions no longer in the LogManager
// are dropped when the file is next written; the file is written only when an entry changes.
//
// Choosing a log (grabFilthiestCompactedLog), for each log with cleanup.policy containing compact
// that is not being cleaned and not marked uncleanable:
// - firstUncleanableOffset: the smallest of the last stable offset, the active segment's base
//   offset and, with min.compaction.lag.ms > 0, the base offset of the first dirty segment whose
//   largest timestamp is younger than the lag; then rounded down to the base of its segment, so
//   whole segments are cleaned;
// - cleanBytes: bytes of the segments below the first dirty offset; cleanableBytes: bytes of the
//   segments from the first dirty offset to the first uncleanable one;
// - cleanableRatio = cleanableBytes / (cleanBytes + cleanableBytes), the "dirty ratio";
// - needCompactionNow: some dirty, inactive segment's first batch is older than max.compaction.lag.ms.
// A log qualifies when its ratio exceeds min.cleanable.dirty.ratio, or it needs compaction now and has
// cleanable bytes; the one with the highest ratio wins.
//
// A log whose cleaning failed unexpectedly (not an abort) is marked uncleanable until it is
// reopened (a new Log object): Kafka's markPartitionUncleanable.

import { join } from 'node:path'
import type { Logger } from '../Logger.ts'
import { CheckpointFile, CheckpointFormatError, type TopicPartitionOffset } from './CheckpointFile.ts'
import type { Log } from './Log.ts'
import type { LogSegment } from './LogSegment.ts'

export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

/** A log and the log dir it lives in. */
export interface LogInDir {
  log: Log
  logDir: string
}

/** Kafka's LogToClean: a compacted log with its clean and cleanable sections measured. */
export interface LogToClean {
  log: Log
  logDir: string
  firstDirtyOffset: number
  /** Base offset of the first segment that must not be cleaned this round. */
  firstUncleanableOffset: number
  cleanBytes: number
  cleanableBytes: number
  totalBytes: number
  cleanableRatio: number
  needCompactionNow: boolean
}

export interface OffsetsToClean {
  firstDirtyOffset: number
  /** Not yet rounded to a segment base. */
  firstUncleanableDirtyOffset: number
  /** The checkpointed offset was invalid and has been replaced by the log start offset. */
  forceUpdateCheckpoint: boolean
}

function tpKey (topic: string, partition: number): string {
  return `${topic}-${partition}`
}

export function isCompacted (log: Log): boolean {
  return log.config['cleanup.policy'].split(',').some(p => p.trim() === 'compact')
}

function isCompactAndDelete (log: Log): boolean {
  return isCompacted(log) && log.config['cleanup.policy'].split(',').some(p => p.trim() === 'delete')
}

export class LogCleanerManager {
  readonly logDirs: readonly string[]
  private readonly logger: Logger
  /** log dir -> (topic-partition -> first dirty offset) */
  private readonly checkpoints = new Map<string, Map<string, TopicPartitionOffset>>()
  private readonly uncleanable = new WeakSet<Log>()
  private inProgress: Log | null = null

  constructor (logDirs: readonly string[], logger: Logger) {
    this.logDirs = logDirs
    this.logger = logger
    for (const d of logDirs) this.checkpoints.set(d, new Map())
  }

  /** Reads every log dir's cleaner-offset-checkpoint (a malformed one is ignored with a warning). */
  async loadCheckpoints (): Promise<void> {
    for (const dir of this.logDirs) {
      const m = new Map<string, TopicPartitionOffset>()
      const file = join(dir, CLEANER_OFFSET_CHECKPOINT_FILE)
      try {
        for (const e of await new CheckpointFile(file).read()) m.set(tpKey(e.topic, e.partition), e)
      } catch (err) {
        if (!(err instanceof CheckpointFormatError)) throw err
        this.logger.warn({ file, reason: err.message }, 'ignoring malformed cleaner checkpoint: compacted logs will be cleaned from their start')
      }
      this.checkpoints.set(dir, m)
    }
  }

  /** The checkpointed first dirty offset of the log, if any. */
  cleanerCheckpoint (logDir: string, topic: string, partition: number): number | undefined {
    return this.checkpoints.get(logDir)?.get(tpKey(topic, partition))?.offset
  }

  /** topic-partition -> first dirty offset, over every log dir. */
  allCleanerCheckpoints (): Map<string, number> {
    const out = new Map<string, number>()
    for (const m of this.checkpoints.values()) for (const [k, e] of m) out.set(k, e.offset)
    return out
  }

  get cleaningInProgress (): Log | null { return this.inProgress }

  isUncleanable (log: Log): boolean {
    return this.uncleanable.has(log)
  }

  markUncleanable (log: Log): void {
    this.uncleanable.add(log)
  }

  /**
   * Sets (offset >= 0) or removes (null) the partition's entry and rewrites the dir's checkpoint,
   * keeping only partitions for which `isLive` holds.
   */
  async updateCheckpoint (logDir: string, topic: string, partition: number, offset: number | null, isLive: (topic: string, partition: number) => boolean): Promise<void> {
    const m = this.checkpoints.get(logDir)
    if (m === undefined) return
    const k = tpKey(topic, partition)
    if (offset === null) m.delete(k)
    else m.set(k, { topic, partition, offset })
    for (const [key, e] of m) if (key !== k && !isLive(e.topic, e.partition)) m.delete(key)
    await new CheckpointFile(join(logDir, CLEANER_OFFSET_CHECKPOINT_FILE)).write([...m.values()])
  }

  /**
   * The compacted log with the highest dirty ratio that qualifies for cleaning, marked in progress
   * (call doneCleaning after), or null. Invalid checkpoints found on the way are reset.
   */
  async grabFilthiestCompactedLog (logs: readonly LogInDir[], now: number, isLive: (topic: string, partition: number) => boolean): Promise<LogToClean | null> {
    if (this.inProgress !== null) return null
    let best: LogToClean | null = null
    for (const { log, logDir } of logs) {
      if (!isCompacted(log) || log.isClosed || log.offlineReason !== null || this.uncleanable.has(log)) continue
      const offsets = await cleanableOffsets(log, this.cleanerCheckpoint(logDir, log.topic, log.partition), now, this.logger)
      if (offsets.forceUpdateCheckpoint) await this.updateCheckpoint(logDir, log.topic, log.partition, offsets.firstDirtyOffset, isLive)
      const needCompactionNow = await maxCompactionDelay(log, offsets.firstDirtyOffset, now) > 0
      const ltc = measure(log, logDir, offsets.firstDirtyOffset, offsets.firstUncleanableDirtyOffset, needCompactionNow)
      if (ltc.totalBytes <= 0) continue
      const qualifies = (ltc.needCompactionNow && ltc.cleanableBytes > 0) || ltc.cleanableRatio > log.config['min.cleanable.dirty.ratio']
      if (qualifies && (best === null || ltc.cleanableRatio > best.cleanableRatio)) best = ltc
    }
    // the logs may have been closed while we awaited
    if (best !== null && !best.log.isClosed) {
      this.inProgress = best.log
      return best
    }
    return null
  }

  /** Ends the in-progress cleaning; with `endOffset`, checkpoints it as the new first dirty offset. */
  async doneCleaning (ltc: LogToClean, endOffset: number | null, isLive: (topic: string, partition: number) => boolean): Promise<void> {
    try {
      if (endOffset !== null && isLive(ltc.log.topic, ltc.log.partition)) {
        await this.updateCheckpoint(ltc.logDir, ltc.log.topic, ltc.log.partition, endOffset, isLive)
      }
    } finally {
      if (this.inProgress === ltc.log) this.inProgress = null
    }
  }
}

/**
 * Kafka's cleanableOffsets: the first dirty offset (checkpoint, reset to the log start offset when
 * invalid) and the first offset that may not be cleaned (LSO, active segment, min.compaction.lag.ms).
 */
export async function cleanableOffsets (log: Log, lastCleanOffset: number | undefined, now: number, logger?: Logger): Promise<OffsetsToClean> {
  const logStartOffset = log.logStartOffset
  const checkpointDirtyOffset = lastCleanOffset ?? logStartOffset
  let firstDirtyOffset = checkpointDirtyOffset
  let forceUpdateCheckpoint = false
  if (checkpointDirtyOffset < logStartOffset) {
    if (!isCompactAndDelete(log)) logger?.warn({ topic: log.topic, partition: log.partition, checkpointDirtyOffset, logStartOffset }, 'cleaner checkpoint below the log start offset: resetting it')
    firstDirtyOffset = logStartOffset
    forceUpdateCheckpoint = true
  } else if (checkpointDirtyOffset > log.logEndOffset) {
    logger?.warn({ topic: log.topic, partition: log.partition, checkpointDirtyOffset, logEndOffset: log.logEndOffset }, 'cleaner checkpoint past the log end offset: cleaning the whole log again')
    firstDirtyOffset = logStartOffset
    forceUpdateCheckpoint = true
  }
  let firstUncleanable = Math.min(log.lastStableOffset, log.activeSegment.baseOffset)
  const minLag = Math.max(log.config['min.compaction.lag.ms'], 0)
  if (minLag > 0) {
    for (const s of log.logSegments(firstDirtyOffset, log.activeSegment.baseOffset)) {
      if (!s.timestampKnown) await s.ensureIndexes()
      if (s.largestTimestamp > now - minLag) {
        firstUncleanable = Math.min(firstUncleanable, s.baseOffset)
        break
      }
    }
  }
  return { firstDirtyOffset, firstUncleanableDirtyOffset: Math.max(firstDirtyOffset, firstUncleanable), forceUpdateCheckpoint }
}

/**
 * How long past max.compaction.lag.ms the oldest dirty inactive segment is (by its first batch's
 * largest timestamp), 0 when none is overdue. Reads one batch header per dirty segment, and only
 * when the lag is finite.
 */
export async function maxCompactionDelay (log: Log, firstDirtyOffset: number, now: number): Promise<number> {
  const maxLag = Math.max(log.config['max.compaction.lag.ms'], 0)
  if (maxLag >= Number.MAX_SAFE_INTEGER || now - maxLag < 0) return 0
  let earliest = Number.MAX_SAFE_INTEGER
  for (const s of log.logSegments(firstDirtyOffset, log.activeSegment.baseOffset)) {
    const ts = await firstBatchTimestamp(s)
    if (ts > 0 && ts < earliest) earliest = ts
  }
  const cleanUntil = now - maxLag
  return earliest < cleanUntil ? cleanUntil - earliest : 0
}

async function firstBatchTimestamp (s: LogSegment): Promise<number> {
  let ts = -1
  if (s.size === 0) return ts
  await s.log.scan(0, s.size, h => {
    ts = h.maxTimestamp
    return false
  })
  return ts
}

/** LogToClean's measurements (Kafka's calculateCleanableBytes and ratio). */
export function measure (log: Log, logDir: string, firstDirtyOffset: number, uncleanableOffset: number, needCompactionNow: boolean): LogToClean {
  const active = log.activeSegment
  const holding = uncleanableOffset >= active.baseOffset ? active : (log.logSegments(uncleanableOffset, uncleanableOffset + 1)[0] ?? active)
  const firstUncleanableOffset = holding.baseOffset
  let cleanBytes = 0
  for (const s of log.logSegments(-1, firstDirtyOffset)) cleanBytes += s.size
  let cleanableBytes = 0
  for (const s of log.logSegments(Math.min(firstDirtyOffset, firstUncleanableOffset), firstUncleanableOffset)) cleanableBytes += s.size
  const totalBytes = cleanBytes + cleanableBytes
  return {
    log,
    logDir,
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    totalBytes,
    cleanableRatio: totalBytes > 0 ? cleanableBytes / totalBytes : 0,
    needCompactionNow,
  }
}
