// One partition's log (Kafka's UnifiedLog; samsa has no tiered storage, hence the shorter name):
// an ordered list of LogSegments in `<log dir>/<topic>-<partition>/`, the offsets clients see, the
// producer state, and the single writer that appends.
//
// Offsets (Kafka's names), with logStartOffset <= lastStableOffset <= highWatermark <= logEndOffset:
// - logStartOffset: first offset still served; moves on retention (to the base of the first kept
//   segment) and on deleteRecordsBefore;
// - logEndOffset (LEO): the offset after the last batch whose write completed;
// - highWatermark (HW): what consumers may read. Single node: it advances to the LEO as soon as a
//   write completed, or after its fsync when flush.messages/flush.ms ask for one, so with
//   flush.messages=1 no consumer sees, and no producer is acknowledged for, data not on disk;
// - lastStableOffset (LSO): == HW until transactions exist (hook: ProducerStateManager.firstUnstableOffset);
// - recoveryPoint: everything below it is fsynced (LogLoader recovers from its segment after a crash).
//
// Appends: `append` checks the batches' framing, then queues the request (at most
// LOG_APPEND_QUEUE_MAX_OPS requests / LOG_APPEND_QUEUE_MAX_BYTES bytes; callers wait for room, which
// is how a busy partition slows its producers). One writer drains the queue: it takes as many
// queued requests as fit in the active segment (up to APPEND_GROUP_MAX_*), checks producer state,
// assigns offsets in queue order by rewriting each batch's baseOffset in place (and stamps
// partitionLeaderEpoch, and under LogAppendTime the timestamp type, maxTimestamp and CRC), writes
// them with one writev, fsyncs if the flush policy says so, then advances LEO/HW, applies producer
// state and resolves the requests, in order. Nothing is re-encoded and no record is looked at.
// Maintenance that changes the segment list (roll, retention, truncation, close) runs in the same
// writer between groups (`runExclusive`), so it never interleaves with a write.
//
// Reads (`read`) run concurrently with the writer: they see only whole batches below the HW's
// file position and return the stored bytes as read from the file.
//
// Compaction (LogCleaner, for cleanup.policy=compact) writes cleaned copies of inactive segments
// and swaps each in with `replaceSegments`, in the writer: the segment list changes in one
// synchronous step, and the replaced files are deleted after file.delete.delay.ms like retention's,
// so a read already inside them finishes. Offsets never move; cleaned segments have gaps.
//
// Failures: an I/O error in the writer takes the log offline (appends answer KAFKA_STORAGE_ERROR)
// rather than writing past a hole; LogLoader repairs the files at the next start. A violated
// invariant (node:assert) is a samsa bug and propagates.

import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import { Attributes, BATCH_HEADER_SIZE, MAX_DECOMPRESSED_BATCH_BYTES, MAX_TIMESTAMP, ATTRIBUTES, PARTITION_LEADER_EPOCH } from '../protocol/records/RecordBatch.ts'
import { decompress } from '../protocol/records/compression/compress.ts'
import { isCompressionType } from '../protocol/records/compression/CompressionType.ts'
import { nullLogger, type Logger } from '../Logger.ts'
import { BatchHeader, writeBatchCrc, writeInt64 } from './BatchHeader.ts'
import { INDEX_WRITE_BATCH_ENTRIES } from './AbstractIndex.ts'
import type { FileHandleCache } from './FileHandleCache.ts'
import type { LogConfig } from './LogConfig.ts'
import { fsyncDir } from './CheckpointFile.ts'
import { CLEANED_FILE_SUFFIX, LogLoader, rebuildProducerState, SWAP_FILE_SUFFIX } from './LogLoader.ts'
import { AppendedBatches, DELETED_FILE_SUFFIX, LogSegment, type RecordsDecompressor } from './LogSegment.ts'
import { type AppendOrigin, type ProducerAppendInfo, ProducerStateManager } from './ProducerStateManager.ts'

/** Queued append requests per partition before `append` waits for room. */
export const LOG_APPEND_QUEUE_MAX_OPS = 1024
/** Queued append bytes per partition before `append` waits (a lone larger request is still admitted). */
export const LOG_APPEND_QUEUE_MAX_BYTES = 64 * 1024 * 1024
/** Bytes written by one writev: bounds the latency one group adds to the next. */
export const APPEND_GROUP_MAX_BYTES = 8 * 1024 * 1024
/** Requests per writev (one buffer each): Linux's IOV_MAX. */
export const APPEND_GROUP_MAX_OPS = 1024

/** ListOffsets special timestamps. */
export const ListOffsetsTimestamp = {
  LATEST: -1,
  EARLIEST: -2,
  MAX_TIMESTAMP: -3,
  EARLIEST_LOCAL: -4,
  LATEST_TIERED: -5,
} as const

export interface LogOptions {
  /** The partition directory, `<log dir>/<topic>-<partition>` (must exist). */
  dir: string
  topic: string
  partition: number
  config: LogConfig
  logger?: Logger
  now?: () => number
  cache?: FileHandleCache | null
  /** From recovery-point-offset-checkpoint (default 0: recover everything after a crash). */
  recoveryPoint?: number
  /** From log-start-offset-checkpoint (default 0). */
  logStartOffset?: number
  /** The log dir had `.kafka_cleanshutdown`: skip recovery. Default false. */
  hadCleanShutdown?: boolean
  /** Used by offsetForTimestamp to find the exact record inside compressed batches (default: the records codecs). */
  decompress?: RecordsDecompressor
  /** Called (synchronously) each time the high watermark advances, e.g. to complete delayed fetches. */
  onHighWatermarkUpdated?: (log: Log) => void
}

export interface AppendOptions {
  /** Stamped into every batch's partitionLeaderEpoch. Default 0. */
  leaderEpoch?: number
  /** 'client' (producers: full producer-state checks), 'coordinator' (epoch only), 'replication'. */
  origin?: AppendOrigin
}

export interface LogAppendResult {
  /** NONE, or CORRUPT_MESSAGE, RECORD_LIST_TOO_LARGE, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, UNKNOWN_PRODUCER_ID, KAFKA_STORAGE_ERROR, NOT_LEADER_OR_FOLLOWER (log closed). */
  errorCode: number
  errorMessage: string | null
  /** Offset of the first record, -1 on error. For a duplicate: the original batch's. */
  baseOffset: number
  lastOffset: number
  /** Broker time stamped under LogAppendTime, else -1. */
  logAppendTime: number
  logStartOffset: number
  /** The batch had been appended before (idempotent retry): nothing was written. */
  duplicate: boolean
}

export interface LogReadOptions {
  /** Read nothing at or past this offset. Default: HW (read_uncommitted) or LSO (isolationLevel 1). */
  maxOffset?: number
  /** Return the first batch whole even when larger than maxBytes (Fetch v3+). Default true. */
  minOneMessage?: boolean
  isolationLevel?: 0 | 1
  /** Where the read's buffers come from (a BufferLease's alloc); default: fresh allocations. */
  alloc?: (size: number) => Buffer
}

export interface LogReadResult {
  /** NONE, OFFSET_OUT_OF_RANGE, or KAFKA_STORAGE_ERROR. */
  errorCode: number
  /** Stored batches from the one holding the fetch offset; the last one may be cut at maxBytes. */
  records: Buffer
  /** Base offset of the first batch in `records` (<= fetch offset), -1 when empty. */
  firstBatchBaseOffset: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  logEndOffset: number
}

export interface OffsetForTimestampResult {
  errorCode: number
  /** -1 for the special timestamps other than MAX_TIMESTAMP, and when nothing matched. */
  timestamp: number
  /** -1 when no record matches. */
  offset: number
  /** partitionLeaderEpoch of the batch found, -1 when not looked up. */
  leaderEpoch: number
}

interface AppendOp {
  kind: 'append'
  records: Buffer
  bytes: number
  /** Offsets the request consumes: sum of (lastOffsetDelta + 1). */
  offsetCount: number
  maxTimestamp: number
  hasProducerIds: boolean
  leaderEpoch: number
  origin: AppendOrigin
  result: LogAppendResult | null
  resolve: (r: LogAppendResult) => void
}

interface ExclusiveOp {
  kind: 'exclusive'
  run: () => Promise<void>
}

type Op = AppendOp | ExclusiveOp

const EMPTY = Buffer.alloc(0)

export class Log {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  private _config: LogConfig
  private readonly logger: Logger
  private readonly now: () => number
  private readonly cache: FileHandleCache | null
  private readonly decompress: RecordsDecompressor
  private readonly onHighWatermarkUpdated: ((log: Log) => void) | undefined
  readonly producerStateManager: ProducerStateManager

  private segments: LogSegment[]
  private _logStartOffset: number
  private _logEndOffset: number
  private _highWatermark: number
  /** Segment and file position of the HW: reads stop there. */
  private hwSegment: LogSegment
  private hwPosition: number
  private _recoveryPoint: number
  private lastFlushTime: number

  private readonly queue: Op[] = []
  private queuedBytes = 0
  private readonly roomWaiters: Array<() => void> = []
  private draining = false
  private flushing: Promise<void> = Promise.resolve()
  private readonly header = new BatchHeader()
  private readonly groupBatches = new AppendedBatches()
  private readonly pendingDeletes = new Map<LogSegment, ReturnType<typeof setTimeout>>()
  private failure: Error | null = null
  private closed = false
  private closing: Promise<void> | null = null

  private constructor (o: LogOptions, loaded: Awaited<ReturnType<LogLoader['load']>>, logger: Logger, now: () => number) {
    this.dir = o.dir
    this.topic = o.topic
    this.partition = o.partition
    this._config = o.config
    this.logger = logger
    this.now = now
    this.cache = o.cache ?? null
    this.decompress = o.decompress ?? defaultDecompress
    this.onHighWatermarkUpdated = o.onHighWatermarkUpdated
    this.segments = loaded.segments
    this.producerStateManager = loaded.producerStateManager
    this._logStartOffset = loaded.logStartOffset
    this._logEndOffset = loaded.logEndOffset
    this._highWatermark = loaded.logEndOffset
    this.hwSegment = this.activeSegment
    this.hwPosition = this.activeSegment.size
    this._recoveryPoint = loaded.recoveryPoint
    this.lastFlushTime = now()
  }

  /** Loads (recovering if needed) or creates the log in `options.dir`. */
  static async open (options: LogOptions): Promise<Log> {
    const logger = (options.logger ?? nullLogger).child({ topic: options.topic, partition: options.partition })
    const now = options.now ?? Date.now
    const loaded = await new LogLoader({
      dir: options.dir,
      config: options.config,
      logger,
      now,
      cache: options.cache ?? null,
      recoveryPoint: options.recoveryPoint ?? 0,
      logStartOffset: options.logStartOffset ?? 0,
      hadCleanShutdown: options.hadCleanShutdown ?? false,
    }).load()
    return new Log(options, loaded, logger, now)
  }

  // ---- state ----------------------------------------------------------------------------------

  get config (): LogConfig { return this._config }
  get logStartOffset (): number { return this._logStartOffset }
  get logEndOffset (): number { return this._logEndOffset }
  get highWatermark (): number { return this._highWatermark }
  get lastStableOffset (): number {
    const firstUnstable = this.producerStateManager.firstUnstableOffset()
    return firstUnstable === null ? this._highWatermark : Math.min(firstUnstable, this._highWatermark)
  }

  get recoveryPoint (): number { return this._recoveryPoint }
  /** Bytes in all segments. */
  get size (): number {
    let n = 0
    for (const s of this.segments) n += s.size
    return n
  }

  get numberOfSegments (): number { return this.segments.length }
  get segmentBaseOffsets (): number[] { return this.segments.map(s => s.baseOffset) }
  get activeSegment (): LogSegment { return this.segments[this.segments.length - 1] as LogSegment }
  /** Why the log went offline, or null. */
  get offlineReason (): Error | null { return this.failure }
  get isClosed (): boolean { return this.closed }

  /** New topic config (IncrementalAlterConfigs): applies to later appends, rolls and retention. */
  updateConfig (config: LogConfig): void {
    this._config = config
    for (const s of this.segments) s.indexIntervalBytes = config['index.interval.bytes']
    this.producerStateManager.producerIdExpirationMs = config['producer.id.expiration.ms']
  }

  private checkInvariants (): void {
    assert.ok(this._logStartOffset <= this._highWatermark, `logStartOffset ${this._logStartOffset} > highWatermark ${this._highWatermark}`)
    assert.ok(this._highWatermark <= this._logEndOffset, `highWatermark ${this._highWatermark} > logEndOffset ${this._logEndOffset}`)
  }

  // ---- append ---------------------------------------------------------------------------------

  /**
   * Appends `records` (one or more record batches v2, already validated by the broker). The buffer
   * is modified in place (baseOffset, partitionLeaderEpoch, LogAppendTime fields) and must not be
   * reused by the caller until the promise settles. Resolves once the write (and any fsync the
   * flush policy demands) completed; never rejects for I/O or input problems (see errorCode).
   */
  append (records: Buffer, options: AppendOptions = {}): Promise<LogAppendResult> {
    if (this.closed) return Promise.resolve(this.errorResult(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the log is closed'))
    if (this.failure !== null) return Promise.resolve(this.errorResult(ErrorCode.KAFKA_STORAGE_ERROR, `the log is offline: ${this.failure.message}`))
    const h = this.header
    const now = this.now()
    const logAppendTime = this._config['message.timestamp.type'] === 'LogAppendTime'
    let pos = 0
    let offsetCount = 0
    let maxTimestamp = -1
    let hasProducerIds = false
    while (pos < records.length) {
      if (records.length - pos < BATCH_HEADER_SIZE) return Promise.resolve(this.errorResult(ErrorCode.CORRUPT_MESSAGE, 'records end inside a batch header'))
      h.read(records, pos, pos)
      const problem = h.problem(records.length - pos)
      if (problem !== null) return Promise.resolve(this.errorResult(ErrorCode.CORRUPT_MESSAGE, problem))
      offsetCount += h.lastOffsetDelta + 1
      if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp
      if (h.producerId >= 0 || Number.isNaN(h.producerId)) hasProducerIds = true
      pos += h.size
    }
    if (records.length === 0) return Promise.resolve(this.errorResult(ErrorCode.CORRUPT_MESSAGE, 'no record batch'))
    if (records.length > this._config['segment.bytes']) {
      return Promise.resolve(this.errorResult(ErrorCode.RECORD_LIST_TOO_LARGE, `${records.length} bytes do not fit in a ${this._config['segment.bytes']}-byte segment`))
    }
    const op: AppendOp = {
      kind: 'append',
      records,
      bytes: records.length,
      offsetCount,
      maxTimestamp: logAppendTime ? now : maxTimestamp,
      hasProducerIds,
      leaderEpoch: options.leaderEpoch ?? 0,
      origin: options.origin ?? 'client',
      result: null,
      resolve: noop,
    }
    if (this.hasRoomFor(op.bytes)) return this.enqueueAppend(op)
    return this.waitForRoom(op.bytes).then(() => {
      if (this.closed) return this.errorResult(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the log is closed')
      if (this.failure !== null) return this.errorResult(ErrorCode.KAFKA_STORAGE_ERROR, `the log is offline: ${this.failure.message}`)
      return this.enqueueAppend(op)
    })
  }

  private hasRoomFor (bytes: number): boolean {
    if (this.queue.length === 0) return true
    return this.queue.length < LOG_APPEND_QUEUE_MAX_OPS && this.queuedBytes + bytes <= LOG_APPEND_QUEUE_MAX_BYTES
  }

  private async waitForRoom (bytes: number): Promise<void> {
    while (!this.hasRoomFor(bytes) && !this.closed && this.failure === null) {
      await new Promise<void>(resolve => this.roomWaiters.push(resolve))
    }
  }

  private wakeRoomWaiters (): void {
    const waiters = this.roomWaiters.splice(0)
    for (const w of waiters) w()
  }

  private enqueueAppend (op: AppendOp): Promise<LogAppendResult> {
    return new Promise(resolve => {
      op.resolve = resolve
      this.queue.push(op)
      this.queuedBytes += op.bytes
      this.kick()
    })
  }

  /** Runs `fn` in the writer, between append groups: nothing is written meanwhile. */
  private runExclusive<T> (fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'exclusive', run: () => fn().then(resolve, reject) })
      this.kick()
    })
  }

  private kick (): void {
    if (this.draining) return
    this.draining = true
    this.drain().catch((err: unknown) => this.fail(err))
  }

  private async drain (): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0] as Op
        if (head.kind === 'exclusive') {
          this.queue.shift()
          await head.run()
          continue
        }
        if (this.failure !== null || this.closed) {
          this.queue.shift()
          this.queuedBytes -= head.bytes
          head.resolve(this.failure !== null
            ? this.errorResult(ErrorCode.KAFKA_STORAGE_ERROR, `the log is offline: ${this.failure.message}`)
            : this.errorResult(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the log is closed'))
          continue
        }
        try {
          await this.appendGroup()
        } catch (err) {
          this.fail(err)
        }
      }
    } finally {
      this.draining = false
      this.wakeRoomWaiters()
    }
  }

  /** Takes the leading append requests that fit one write, writes them, completes them. */
  private async appendGroup (): Promise<void> {
    const now = this.now()
    const cfg = this._config
    const first = this.queue[0] as AppendOp
    if (this.activeSegment.shouldRoll(this.rollParams(0, first, this._logEndOffset, now))) await this.roll()
    const seg = this.activeSegment
    const logAppendTime = cfg['message.timestamp.type'] === 'LogAppendTime'
    const group: AppendOp[] = []
    const buffers: Buffer[] = []
    const batches = this.groupBatches
    batches.clear()
    let bytes = 0
    let offset = this._logEndOffset
    let groupInfo: ProducerAppendInfo | null = null
    const h = this.header
    while (this.queue.length > 0) {
      const op = this.queue[0] as Op
      if (op.kind !== 'append') break
      if (group.length > 0) {
        if (group.length >= APPEND_GROUP_MAX_OPS || bytes + op.bytes > APPEND_GROUP_MAX_BYTES) break
        if (seg.shouldRoll(this.rollParams(bytes, op, offset, now))) break
      }
      this.queue.shift()
      this.queuedBytes -= op.bytes
      group.push(op)

      let info: ProducerAppendInfo | null = null
      if (op.hasProducerIds) {
        groupInfo ??= this.producerStateManager.prepareUpdate()
        info = this.producerStateManager.prepareUpdate(groupInfo)
        for (let pos = 0; pos < op.records.length && op.result === null; pos += h.size) {
          h.read(op.records, pos, pos)
          if (!(h.producerId >= 0) && !Number.isNaN(h.producerId)) continue
          const check = info.check(h, op.origin)
          if (check.kind === 'error') op.result = this.errorResult(check.errorCode, check.message)
          else if (check.kind === 'duplicate') op.result = this.duplicateResult(check.baseOffset, check.lastOffset)
        }
        if (op.result !== null) continue
      }

      // assign offsets in place: header fields only
      const buf = op.records
      const baseOffset = offset
      for (let pos = 0; pos < buf.length; pos += h.size) {
        h.read(buf, pos, pos)
        writeInt64(buf, pos, offset)
        buf.writeInt32BE(op.leaderEpoch, pos + PARTITION_LEADER_EPOCH)
        h.baseOffset = offset
        if (logAppendTime) {
          buf.writeInt16BE(h.attributes | Attributes.TIMESTAMP_TYPE, pos + ATTRIBUTES)
          writeInt64(buf, pos + MAX_TIMESTAMP, now)
          writeBatchCrc(buf, pos, h.size)
          h.maxTimestamp = now
        }
        if (info !== null && h.producerId >= 0) info.appendDataBatch(h)
        batches.add(offset, h.lastOffset, h.maxTimestamp, h.size)
        offset += h.lastOffsetDelta + 1
      }
      info?.mergeIntoParent()
      op.result = {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        baseOffset,
        lastOffset: offset - 1,
        logAppendTime: logAppendTime ? now : -1,
        logStartOffset: -1,
        duplicate: false,
      }
      buffers.push(buf)
      bytes += op.bytes
    }
    this.wakeRoomWaiters()

    if (bytes > 0) {
      try {
        await seg.append(buffers, bytes, batches, now)
        this._logEndOffset = offset
        const unflushed = offset - this._recoveryPoint
        if (unflushed >= cfg['flush.messages'] || now - this.lastFlushTime >= cfg['flush.ms']) await this.flush()
      } catch (err) {
        this.fail(err)
        const failed = this.errorResult(ErrorCode.KAFKA_STORAGE_ERROR, `the log is offline: ${(this.failure as Error).message}`)
        for (const op of group) op.resolve(failed)
        return
      }
      if (groupInfo !== null) this.producerStateManager.update(groupInfo, offset)
      else this.producerStateManager.updateMapEndOffset(offset)
      this._highWatermark = offset
      this.hwSegment = seg
      this.hwPosition = seg.size
      this.checkInvariants()
    }
    for (const op of group) {
      const r = op.result as LogAppendResult
      r.logStartOffset = this._logStartOffset
      op.resolve(r)
    }
    if (bytes > 0) {
      try {
        this.onHighWatermarkUpdated?.(this)
      } catch (err) {
        this.logger.error({ err }, 'onHighWatermarkUpdated listener threw')
      }
      await seg.writeIndexesIfDirty(INDEX_WRITE_BATCH_ENTRIES)
    }
  }

  private rollParams (pendingBytes: number, op: AppendOp, nextOffset: number, now: number): Parameters<LogSegment['shouldRoll']>[0] {
    return {
      pendingBytes,
      messagesSize: op.bytes,
      maxTimestampInMessages: op.maxTimestamp,
      maxOffsetInMessages: nextOffset + op.offsetCount - 1,
      now,
      segmentBytes: this._config['segment.bytes'],
      segmentMs: this._config['segment.ms'],
    }
  }

  private errorResult (errorCode: number, message: string): LogAppendResult {
    return { errorCode, errorMessage: message, baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this._logStartOffset, duplicate: false }
  }

  private duplicateResult (baseOffset: number, lastOffset: number): LogAppendResult {
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset, lastOffset, logAppendTime: -1, logStartOffset: this._logStartOffset, duplicate: true }
  }

  /** Takes the log offline after an I/O failure: later appends get KAFKA_STORAGE_ERROR. */
  private fail (err: unknown): void {
    if (this.failure !== null) return
    this.failure = err instanceof Error ? err : new Error(String(err))
    this.logger.error({ err: this.failure }, 'log I/O failed: partition offline until restart')
    this.wakeRoomWaiters()
  }

  /**
   * Starts a new active segment at the LEO (writer only). The old one gets its final time-index
   * entry and its indexes written; its fsync happens in the background (the recovery point waits
   * for it). A producer-state snapshot is written at the new base offset.
   */
  private async roll (): Promise<void> {
    const old = this.activeSegment
    if (old.size === 0) return
    const started = this.now()
    const seg = await LogSegment.create({ dir: this.dir, baseOffset: this._logEndOffset, config: this._config, cache: this.cache, now: this.now, logger: this.logger })
    await old.onBecomeInactiveSegment()
    await seg.becomeActive()
    this.segments.push(seg)
    await this.producerStateManager.takeSnapshot()
    this.logger.info({ baseOffset: seg.baseOffset, previousSegmentBytes: old.size, ms: this.now() - started }, 'rolled new log segment')
    this.flush().catch((err: unknown) => this.fail(err))
  }

  // ---- flush ----------------------------------------------------------------------------------

  /**
   * fsyncs every segment written since the last flush (and finalised indexes of rolled ones), then
   * moves the recovery point to the LEO as it was when the flush started. Flushes run one at a time.
   */
  flush (): Promise<void> {
    const run = async (): Promise<void> => {
      const upTo = this._logEndOffset
      const started = this.now()
      for (const s of this.segments.slice()) {
        if (!s.needsFlush || !this.segments.includes(s)) continue
        await s.flush()
      }
      if (upTo > this._recoveryPoint) this._recoveryPoint = upTo
      this.lastFlushTime = started
    }
    const p = this.flushing.then(run)
    this.flushing = p.catch(() => {})
    return p
  }

  /** Milliseconds since the last flush started (LogManager's flush scheduler compares with flush.ms). */
  timeSinceLastFlush (now: number = this.now()): number {
    return now - this.lastFlushTime
  }

  // ---- read -----------------------------------------------------------------------------------

  /**
   * Reads stored batches from the one holding `fetchOffset`: up to `maxBytes` (the first batch whole
   * if minOneMessage), never past `maxOffset` (default HW, or LSO for isolationLevel 1).
   * OFFSET_OUT_OF_RANGE when fetchOffset < logStartOffset or > LEO; empty records at the visible end.
   */
  async read (fetchOffset: number, maxBytes: number, options: LogReadOptions = {}): Promise<LogReadResult> {
    for (let attempt = 0; ; attempt++) {
      const lso = this.lastStableOffset
      const base = { highWatermark: this._highWatermark, lastStableOffset: lso, logStartOffset: this._logStartOffset, logEndOffset: this._logEndOffset }
      if (fetchOffset < this._logStartOffset || fetchOffset > this._logEndOffset) {
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: EMPTY, firstBatchBaseOffset: -1, ...base }
      }
      const maxOffset = Math.min(options.maxOffset ?? (options.isolationLevel === 1 ? lso : this._highWatermark), this._highWatermark)
      if (fetchOffset >= maxOffset) return { errorCode: ErrorCode.NONE, records: EMPTY, firstBatchBaseOffset: -1, ...base }
      try {
        const r = await this.readBelow(fetchOffset, maxBytes, maxOffset, options.minOneMessage ?? true, options.alloc)
        return { errorCode: ErrorCode.NONE, records: r?.records ?? EMPTY, firstBatchBaseOffset: r?.firstBatchBaseOffset ?? -1, ...base }
      } catch (err) {
        // most likely a segment deleted by retention under the read: look again (the offset may
        // be out of range now); a second failure is a storage error
        if (attempt === 0) continue
        this.logger.error({ err, fetchOffset }, 'log read failed')
        return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: EMPTY, firstBatchBaseOffset: -1, ...base }
      }
    }
  }

  private async readBelow (fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean, alloc: ((size: number) => Buffer) | undefined): Promise<{ records: Buffer, firstBatchBaseOffset: number } | null> {
    let maxSegment = this.hwSegment
    let maxPosition = this.hwPosition
    if (maxOffset < this._highWatermark) {
      maxSegment = this.floorSegment(maxOffset) ?? this.segments[0] as LogSegment
      const loc = await maxSegment.translateOffset(maxOffset)
      maxPosition = loc?.position ?? maxSegment.size
    }
    let seg = this.floorSegment(fetchOffset)
    while (seg !== undefined && seg.baseOffset <= maxSegment.baseOffset) {
      const limit = seg === maxSegment ? maxPosition : seg.size
      const r = await seg.read(fetchOffset, maxBytes, limit, minOneMessage, alloc)
      if (r !== null) return r
      seg = this.higherSegment(seg.baseOffset)
    }
    return null
  }

  /**
   * The segments holding offsets in [from, to): from the one holding `from` (or the first) to the
   * last whose base offset is below `to` (Kafka's logSegments(from, to)). A copy.
   */
  logSegments (from: number, to: number): LogSegment[] {
    const floor = this.floorSegment(from)
    const out: LogSegment[] = []
    for (const s of this.segments) {
      if (s.baseOffset >= to) break
      if (floor === undefined || s.baseOffset >= floor.baseOffset) out.push(s)
    }
    return out
  }

  /** The segment with the largest base offset <= offset. */
  private floorSegment (offset: number): LogSegment | undefined {
    const segs = this.segments
    let lo = 0
    let hi = segs.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((segs[mid] as LogSegment).baseOffset <= offset) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? undefined : segs[found]
  }

  private higherSegment (baseOffset: number): LogSegment | undefined {
    for (const s of this.segments) if (s.baseOffset > baseOffset) return s
    return undefined
  }

  // ---- offsets by time ------------------------------------------------------------------------

  /**
   * ListOffsets for one partition: EARLIEST (-2) / EARLIEST_LOCAL (-4) -> logStartOffset; LATEST (-1)
   * -> HW (LSO for isolationLevel 1); MAX_TIMESTAMP (-3) -> the record with the largest timestamp;
   * LATEST_TIERED (-5) -> -1 (no tiered storage); t >= 0 -> the first record with timestamp >= t
   * below the HW/LSO, or offset -1.
   */
  async offsetForTimestamp (timestamp: number, options: { isolationLevel?: 0 | 1 } = {}): Promise<OffsetForTimestampResult> {
    const limit = options.isolationLevel === 1 ? this.lastStableOffset : this._highWatermark
    const none = { errorCode: ErrorCode.NONE, timestamp: -1, offset: -1, leaderEpoch: -1 }
    switch (timestamp) {
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { ...none, offset: this._logStartOffset }
      case ListOffsetsTimestamp.LATEST:
        return { ...none, offset: limit }
      case ListOffsetsTimestamp.LATEST_TIERED:
        return none
    }
    if (timestamp < 0 && timestamp !== ListOffsetsTimestamp.MAX_TIMESTAMP) return none
    const segments = this.segments.slice()
    for (const s of segments) if (!s.timestampKnown) await s.ensureIndexes()
    if (timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP) {
      let best: LogSegment | null = null
      for (const s of segments) if (s.maxTimestampSoFar >= 0 && (best === null || s.maxTimestampSoFar > best.maxTimestampSoFar)) best = s
      if (best === null) return none
      const r = await best.findOffsetByTimestamp(best.maxTimestampSoFar, this._logStartOffset, this.maxPositionFor(best), this.decompress)
      return r === null || r.offset >= limit ? none : { errorCode: ErrorCode.NONE, ...r }
    }
    for (const s of segments) {
      if (s.maxTimestampSoFar < timestamp) continue
      const r = await s.findOffsetByTimestamp(timestamp, this._logStartOffset, this.maxPositionFor(s), this.decompress)
      if (r === null) continue
      return r.offset >= limit ? none : { errorCode: ErrorCode.NONE, ...r }
    }
    return none
  }

  private maxPositionFor (s: LogSegment): number {
    if (s === this.hwSegment) return this.hwPosition
    return s.baseOffset > this.hwSegment.baseOffset ? 0 : s.size
  }

  // ---- retention and truncation ---------------------------------------------------------------

  /**
   * Moves logStartOffset to `offset` (DeleteRecords; -1 = the HW) and deletes the segments now
   * entirely below it. OFFSET_OUT_OF_RANGE when `offset` is beyond the HW.
   */
  async deleteRecordsBefore (offset: number): Promise<{ errorCode: number, lowWatermark: number }> {
    const target = offset === -1 ? this._highWatermark : offset
    if (target < 0 || target > this._highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: this._logStartOffset }
    if (target > this._logStartOffset) {
      this._logStartOffset = target
      this.logger.info({ logStartOffset: target }, 'log start offset moved by DeleteRecords')
      await this.runExclusive(async () => this.closed ? 0 : await this.deleteSegments('log start offset', this.startOffsetBreached()))
    }
    return { errorCode: ErrorCode.NONE, lowWatermark: this._logStartOffset }
  }

  /**
   * Retention: deletes, oldest first, segments below the log start offset, then (cleanup.policy
   * includes delete) while the log exceeds retention.bytes, then those whose largest timestamp is
   * older than retention.ms. Only segments wholly below the HW go; an expired active segment is
   * rolled first. Returns the number of segments deleted.
   */
  deleteOldSegments (): Promise<number> {
    if (this.closed) return Promise.resolve(0)
    return this.runExclusive(async () => {
      if (this.closed) return 0
      let n = await this.deleteSegments('log start offset', this.startOffsetBreached())
      if (this._config['cleanup.policy'].split(',').map(s => s.trim()).includes('delete')) {
        n += await this.deleteSegments('retention.bytes', this.sizeBreached())
        n += await this.deleteSegments('retention.ms', this.timeBreached())
      }
      return n
    })
  }

  private startOffsetBreached (): (s: LogSegment, next: LogSegment | undefined) => boolean {
    return (_s, next) => next !== undefined && next.baseOffset <= this._logStartOffset
  }

  private sizeBreached (): (s: LogSegment) => boolean {
    const limit = this._config['retention.bytes']
    let diff = limit < 0 ? -1 : this.size - limit
    return s => {
      if (diff < 0 || diff - s.size < 0) return false
      diff -= s.size
      return true
    }
  }

  private timeBreached (): (s: LogSegment) => boolean {
    const ms = this._config['retention.ms']
    const now = this.now()
    return s => ms >= 0 && now - s.largestTimestamp > ms
  }

  /** Writer only. Deletes the leading segments `shouldDelete` accepts (stopping at the first refusal). */
  private async deleteSegments (reason: string, shouldDelete: (s: LogSegment, next: LogSegment | undefined) => boolean): Promise<number> {
    const doomed: LogSegment[] = []
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i] as LogSegment
      const next = this.segments[i + 1]
      const upperBound = next?.baseOffset ?? this._logEndOffset
      if (upperBound > this._highWatermark) break
      if (s === this.activeSegment && s.size === 0) break
      if (!s.timestampKnown) await s.ensureIndexes()
      if (!shouldDelete(s, next)) break
      doomed.push(s)
    }
    if (doomed.length === 0) return 0
    if (doomed.includes(this.activeSegment)) await this.roll()
    const first = doomed[0] as LogSegment
    this.segments = this.segments.filter(s => !doomed.includes(s))
    const newStart = (this.segments[0] as LogSegment).baseOffset
    if (newStart > this._logStartOffset) this._logStartOffset = newStart
    this.checkInvariants()
    for (const s of doomed) await this.scheduleDelete(s)
    await this.producerStateManager.deleteSnapshotsBefore(newStart)
    this.logger.info({ reason, segments: doomed.length, fromBaseOffset: first.baseOffset, logStartOffset: this._logStartOffset }, 'deleted log segments')
    return doomed.length
  }

  /** Renames the segment's files to *.deleted and unlinks them after file.delete.delay.ms. */
  private async scheduleDelete (s: LogSegment): Promise<void> {
    await s.changeFileSuffixes('', DELETED_FILE_SUFFIX)
    const timer = setTimeout(() => {
      this.pendingDeletes.delete(s)
      s.deleteIfExists().catch((err: unknown) => this.logger.warn({ err, segment: s.log.path }, 'could not delete segment files'))
    }, this._config['file.delete.delay.ms'])
    timer.unref()
    this.pendingDeletes.set(s, timer)
  }

  /**
   * Removes everything at and after `offset` (the batch holding it included); below the first
   * segment the log restarts empty at `offset`. HW and recovery point follow; producer state is
   * rebuilt from snapshots and batch headers.
   */
  truncateTo (offset: number): Promise<void> {
    assert.ok(Number.isSafeInteger(offset) && offset >= 0, `truncateTo(${offset})`)
    return this.runExclusive(async () => {
      if (this.closed || offset >= this._logEndOffset) return
      if (offset < (this.segments[0] as LogSegment).baseOffset || offset <= this._logStartOffset) {
        await this.truncateFullyAndStartAt(Math.max(offset, 0))
        return
      }
      // decide first (reads only), then publish the lower offsets, then change the files: a
      // concurrent read never sees bytes that are about to be cut
      const keep = this.floorSegment(offset) as LogSegment
      const loc = await keep.translateOffset(offset)
      const newEnd = loc?.baseOffset ?? await keep.readNextOffset()
      const doomed = this.segments.filter(s => s.baseOffset > keep.baseOffset)
      this.segments = this.segments.filter(s => s.baseOffset <= keep.baseOffset)
      this._logEndOffset = newEnd
      if (this._highWatermark >= newEnd) {
        this._highWatermark = newEnd
        this.hwSegment = keep
        this.hwPosition = loc?.position ?? keep.size
      }
      if (this._recoveryPoint > newEnd) this._recoveryPoint = newEnd
      for (const s of doomed) await s.deleteIfExists()
      if (!keep.isActive) await keep.becomeActive()
      await keep.truncateTo(offset)
      await this.resetOffsetsAfterTruncation()
      this.logger.info({ offset, logEndOffset: this._logEndOffset, deletedSegments: doomed.length }, 'truncated log')
    })
  }

  /** Deletes every segment and restarts the log empty at `offset` (writer only). */
  private async truncateFullyAndStartAt (offset: number): Promise<void> {
    const doomed = this.segments
    // nothing is readable from here on (start = HW = end); the old files go before the new segment
    // is created, since it may take the same name
    this._logEndOffset = offset
    this._highWatermark = offset
    this._logStartOffset = offset
    for (const s of doomed) await s.deleteIfExists()
    const seg = await LogSegment.create({ dir: this.dir, baseOffset: offset, config: this._config, cache: this.cache, now: this.now, logger: this.logger })
    await seg.becomeActive()
    this.segments = [seg]
    this.hwSegment = seg
    this.hwPosition = 0
    await this.producerStateManager.truncateFullyAndStartAt(offset)
    await this.resetOffsetsAfterTruncation()
    this.logger.info({ offset }, 'truncated log fully')
  }

  private async resetOffsetsAfterTruncation (): Promise<void> {
    const leo = this._logEndOffset
    if (this._highWatermark >= leo) {
      this._highWatermark = leo
      this.hwSegment = this.activeSegment
      this.hwPosition = this.activeSegment.size
    } else {
      const seg = this.floorSegment(this._highWatermark) as LogSegment
      const loc = await seg.translateOffset(this._highWatermark)
      this.hwSegment = seg
      this.hwPosition = loc?.position ?? seg.size
    }
    if (this._logStartOffset > leo) this._logStartOffset = leo
    if (this._recoveryPoint > leo) this._recoveryPoint = leo
    if (this.producerStateManager.mapEndOffset !== leo || this.producerStateManager.producerIdCount > 0) {
      await rebuildProducerState(this.producerStateManager, this.segments, this._logStartOffset, leo, this.now())
    }
    this.checkInvariants()
  }

  // ---- compaction ------------------------------------------------------------------------------

  /** A new empty segment `<baseOffset>.log.cleaned` (and indexes) in this log's directory, for LogCleaner to fill. */
  createCleanedSegment (baseOffset: number): Promise<LogSegment> {
    return LogSegment.create({ dir: this.dir, baseOffset, config: this._config, cache: this.cache, now: this.now, logger: this.logger, fileSuffix: CLEANED_FILE_SUFFIX })
  }

  /**
   * LogCleaner's swap (Kafka's replaceSegments): `cleaned`, written and fsynced under
   * `<base>.log.cleaned` (and .index/.timeindex) with the base offset of `oldSegments[0]`, takes
   * the place of `oldSegments`, consecutive inactive segments whose sizes must still be `oldSizes`.
   * In the writer, so no roll, retention or truncation interleaves:
   * 1. cleaned files -> `.swap`, directory fsynced: from here a crash completes the swap (LogLoader);
   * 2. the segment list changes in one synchronous step: reads from now on see the cleaned segment;
   *    reads already inside an old segment finish on its files;
   * 3. the old segments' files -> `.deleted`, unlinked after file.delete.delay.ms (as retention);
   * 4. `.swap` -> final names, directory fsynced.
   * Resolves false, deleting the cleaned files, when the old segments changed meanwhile (retention,
   * truncation, DeleteRecords, close): the cleaning is abandoned and the log is as it was. An I/O
   * error after step 1 takes the log offline; the next start completes the swap.
   */
  replaceSegments (cleaned: LogSegment, oldSegments: readonly LogSegment[], oldSizes: readonly number[]): Promise<boolean> {
    const discard = async (): Promise<boolean> => {
      await cleaned.deleteIfExists().catch((err: unknown) => this.logger.warn({ err, segment: cleaned.log.path }, 'could not delete cleaned segment files'))
      return false
    }
    if (this.closed) return discard()
    return this.runExclusive(async () => {
      const first = this.segments.indexOf(oldSegments[0] as LogSegment)
      const unchanged = !this.closed && this.failure === null && oldSegments.length > 0 && first >= 0 &&
        cleaned.baseOffset === (oldSegments[0] as LogSegment).baseOffset &&
        oldSegments.every((s, i) => this.segments[first + i] === s && s.size === oldSizes[i] && !s.isActive && s !== this.activeSegment)
      if (!unchanged) return discard()
      try {
        await cleaned.changeFileSuffixes(CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX)
        await fsyncDir(this.dir)
      } catch (err) {
        // nothing of the log changed: the cleaning fails, the log carries on
        await discard()
        throw err
      }
      this.segments.splice(first, oldSegments.length, cleaned)
      if (oldSegments.includes(this.hwSegment)) {
        // the HW is at or past the end of the cleaned range (cleaning stops below the LSO)
        this.hwSegment = cleaned
        this.hwPosition = cleaned.size
      }
      try {
        for (const s of oldSegments) await this.scheduleDelete(s)
        await cleaned.changeFileSuffixes(SWAP_FILE_SUFFIX, '')
        await fsyncDir(this.dir)
      } catch (err) {
        this.fail(err)
        throw err
      }
      return true
    })
  }

  /** Forgets producers idle for producer.id.expiration.ms. */
  removeExpiredProducers (now: number = this.now()): number {
    return this.producerStateManager.removeExpiredProducers(now)
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Completes queued appends, then flushes, snapshots producer state, writes the indexes whole and
   * closes every file. Later appends answer NOT_LEADER_OR_FOLLOWER.
   */
  close (): Promise<void> {
    this.closing ??= this.runExclusive(async () => {
      if (this.closed) return
      this.closed = true
      this.wakeRoomWaiters()
      if (this.failure === null) {
        await this.flush()
        await this.producerStateManager.takeSnapshot()
      }
      await this.deletePendingNow()
      for (const s of this.segments) {
        if (this.failure === null) await s.close()
        else await s.closeHandlers()
      }
    })
    return this.closing
  }

  /** Closes the files without flushing and removes the partition directory. */
  delete (): Promise<void> {
    return this.runExclusive(async () => {
      const wasClosed = this.closed
      this.closed = true
      this.wakeRoomWaiters()
      for (const t of this.pendingDeletes.values()) clearTimeout(t)
      this.pendingDeletes.clear()
      if (!wasClosed) for (const s of this.segments) await s.closeHandlers()
      await rm(this.dir, { recursive: true, force: true })
    })
  }

  /** Closes file handles without flushing (the directory is about to be renamed and removed). */
  closeHandles (): Promise<void> {
    return this.runExclusive(async () => {
      if (this.closed) return
      this.closed = true
      this.wakeRoomWaiters()
      for (const t of this.pendingDeletes.values()) clearTimeout(t)
      this.pendingDeletes.clear()
      for (const s of this.segments) await s.closeHandlers()
    })
  }

  private async deletePendingNow (): Promise<void> {
    for (const [s, t] of this.pendingDeletes) {
      clearTimeout(t)
      await s.deleteIfExists().catch((err: unknown) => this.logger.warn({ err, segment: s.log.path }, 'could not delete segment files'))
    }
    this.pendingDeletes.clear()
  }
}

function noop (): void {}

function defaultDecompress (compression: number, data: Buffer): Promise<Buffer> {
  if (!isCompressionType(compression)) return Promise.reject(new Error(`unknown compression type ${compression}`))
  return decompress(compression, data, MAX_DECOMPRESSED_BATCH_BYTES)
}
