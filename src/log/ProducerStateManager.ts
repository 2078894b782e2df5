// Per-partition state of idempotent (and, later, transactional) producers: for each producerId its
// epoch and the sequence ranges and offsets of its last 5 batches, so the log can reject batches
// out of order or from a fenced epoch, and answer a retried batch with the offsets it got the
// first time instead of appending it twice.
//
// Snapshot file `<20-digit offset>.snapshot` in the partition directory, Kafka's version 1 layout
// (big-endian): the state after every batch below `offset` has been applied.
//   version int16 (1) | crc uint32 (CRC-32C of everything after it) | count int32 | count x entry
//   entry := producerId int64 | producerEpoch int16 | lastSequence int32 | lastOffset int64
//            | offsetDelta int32 (lastOffset - firstOffset of the last batch) | timestamp int64
//            | coordinatorEpoch int32 | currentTxnFirstOffset int64 (-1 = none)
// As in Kafka a snapshot keeps only each producer's last batch, so after a restart only that batch
// is recognised as a duplicate. Snapshots are written when a segment rolls and on clean shutdown;
// on load the state is read from the latest snapshot at or below the log end offset and the batch
// headers after it are replayed (LogLoader).
//
// Validation rules (Kafka's ProducerAppendInfo, origin 'client'):
// - epoch below the producer's current epoch -> INVALID_PRODUCER_EPOCH (47);
// - a batch identical (epoch, first and last sequence) to one of the cached 5 -> duplicate, with the
//   original base/last offsets, and nothing is appended;
// - a new (higher) epoch must start at sequence 0 unless no epoch is known -> OUT_OF_ORDER (45);
// - same epoch: baseSequence must follow the last sequence by one, 2^31-1 wrapping to 0 -> 45;
// - no state for the producer (new, expired after producer.id.expiration.ms, or removed with its
//   segments): any sequence is accepted, as Kafka has done since KIP-360, rather than answering
//   UNKNOWN_PRODUCER_ID (59), which current Java clients treat as fatal for the batch. 59 is
//   returned only for a producerId outside the safe-integer range: samsa never allocates one.
// Origin 'coordinator' checks only the epoch; 'replication' checks nothing.
//
// Invariants: state changes only through `update` with a ProducerAppendInfo whose batches have
// been written (Log calls it after the write completed); at most BATCH_METADATA_MAX batches per
// producer; `mapEndOffset` is the offset after the last batch applied.
//
// Transactions hook: `currentTxnFirstOffset` is carried through snapshots but not yet maintained;
// once WriteTxnMarkers exists, appendDataBatch starts a transaction and the marker ends it, and
// `firstUnstableOffset()` feeds Log.lastStableOffset.

import { readdir, readFile, rename, unlink, open } from 'node:fs/promises'
import { join } from 'node:path'
import { ErrorCode } from '../protocol/ErrorCode.ts'
import { crc32c } from '../protocol/records/crc32c.ts'
import { MAX_SEQUENCE, NO_SEQUENCE, readInt64, writeInt64, type BatchHeader } from './BatchHeader.ts'
import type { Logger } from '../Logger.ts'

/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const BATCH_METADATA_MAX = 5

export const PRODUCER_SNAPSHOT_VERSION = 1
export const SNAPSHOT_SUFFIX = '.snapshot'
const SNAPSHOT_HEADER_SIZE = 10
const SNAPSHOT_ENTRY_SIZE = 46

export type AppendOrigin = 'client' | 'coordinator' | 'replication'

export interface BatchMetadata {
  firstSeq: number
  lastSeq: number
  firstOffset: number
  lastOffset: number
  timestamp: number
}

export class ProducerStateEntry {
  readonly producerId: number
  producerEpoch: number
  /** Oldest first, at most BATCH_METADATA_MAX. */
  batches: BatchMetadata[]
  coordinatorEpoch: number
  currentTxnFirstOffset: number
  lastTimestamp: number

  constructor (producerId: number, producerEpoch: number, batches: BatchMetadata[], coordinatorEpoch = -1, currentTxnFirstOffset = -1, lastTimestamp = -1) {
    this.producerId = producerId
    this.producerEpoch = producerEpoch
    this.batches = batches
    this.coordinatorEpoch = coordinatorEpoch
    this.currentTxnFirstOffset = currentTxnFirstOffset
    this.lastTimestamp = lastTimestamp
  }

  get lastSeq (): number { return this.batches.at(-1)?.lastSeq ?? NO_SEQUENCE }
  get lastDataOffset (): number { return this.batches.at(-1)?.lastOffset ?? -1 }

  clone (): ProducerStateEntry {
    return new ProducerStateEntry(this.producerId, this.producerEpoch, this.batches.slice(), this.coordinatorEpoch, this.currentTxnFirstOffset, this.lastTimestamp)
  }

  addBatch (epoch: number, meta: BatchMetadata): void {
    if (epoch !== this.producerEpoch) {
      this.producerEpoch = epoch
      this.batches = []
    }
    this.batches.push(meta)
    if (this.batches.length > BATCH_METADATA_MAX) this.batches.shift()
    this.lastTimestamp = meta.timestamp
  }

  findDuplicate (epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.producerEpoch) return undefined
    for (const b of this.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b
    return undefined
  }
}

export type ProducerCheck =
  | { kind: 'ok' }
  | { kind: 'duplicate', baseOffset: number, lastOffset: number }
  | { kind: 'error', errorCode: number, message: string }

const OK: ProducerCheck = Object.freeze({ kind: 'ok' })

function inSequence (lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === MAX_SEQUENCE)
}

/**
 * Tentative producer state for one append (or a group of appends written together): checks each
 * batch against the committed state plus what this append (and its parent) already accepted, and
 * collects the updated entries. Nothing reaches the ProducerStateManager until `update`.
 */
export class ProducerAppendInfo {
  readonly updated = new Map<number, ProducerStateEntry>()
  private readonly psm: ProducerStateManager
  private readonly parent: ProducerAppendInfo | null

  constructor (psm: ProducerStateManager, parent: ProducerAppendInfo | null = null) {
    this.psm = psm
    this.parent = parent
  }

  entryFor (producerId: number): ProducerStateEntry | undefined {
    return this.updated.get(producerId) ?? this.parent?.entryFor(producerId) ?? this.psm.lastEntry(producerId)
  }

  /** Validates the batch whose header `h` holds (offsets not needed yet) for an append from `origin`. */
  check (h: BatchHeader, origin: AppendOrigin): ProducerCheck {
    if (!Number.isSafeInteger(h.producerId)) {
      return { kind: 'error', errorCode: ErrorCode.UNKNOWN_PRODUCER_ID, message: 'producerId outside the range samsa allocates' }
    }
    const entry = this.entryFor(h.producerId)
    const currentEpoch = entry?.producerEpoch ?? -1
    if (origin === 'replication') return OK
    if (origin === 'client' && entry !== undefined && h.baseSequence !== NO_SEQUENCE) {
      const dup = entry.findDuplicate(h.producerEpoch, h.baseSequence, h.lastSequence)
      if (dup !== undefined) return { kind: 'duplicate', baseOffset: dup.firstOffset, lastOffset: dup.lastOffset }
    }
    if (h.producerEpoch < currentEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${h.producerId} epoch ${h.producerEpoch} is older than the current epoch ${currentEpoch}`,
      }
    }
    if (origin !== 'client' || h.baseSequence === NO_SEQUENCE) return OK
    if (h.producerEpoch !== currentEpoch) {
      if (h.baseSequence !== 0 && currentEpoch !== -1) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${h.producerId} new epoch ${h.producerEpoch} must start at sequence 0, got ${h.baseSequence}`,
        }
      }
    } else if (entry !== undefined && !inSequence(entry.lastSeq, h.baseSequence)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${h.producerId} sequence ${h.baseSequence} does not follow ${entry.lastSeq}`,
      }
    }
    return OK
  }

  /** Records the accepted batch, now that it has its offsets (h.baseOffset was assigned). */
  appendDataBatch (h: BatchHeader): void {
    const pid = h.producerId
    let e = this.updated.get(pid)
    if (e === undefined) {
      const base = this.parent?.entryFor(pid) ?? this.psm.lastEntry(pid)
      e = base !== undefined ? base.clone() : new ProducerStateEntry(pid, h.producerEpoch, [])
      this.updated.set(pid, e)
    }
    e.addBatch(h.producerEpoch, {
      firstSeq: h.baseSequence,
      lastSeq: h.lastSequence,
      firstOffset: h.baseOffset,
      lastOffset: h.lastOffset,
      timestamp: h.maxTimestamp,
    })
  }

  /** Moves this append's entries into its parent (the request succeeded within its group). */
  mergeIntoParent (): void {
    if (this.parent === null) return
    for (const [pid, e] of this.updated) this.parent.updated.set(pid, e)
  }
}

export interface SnapshotFile {
  offset: number
  path: string
}

export class ProducerStateManager {
  readonly dir: string
  producerIdExpirationMs: number
  private readonly producers = new Map<number, ProducerStateEntry>()
  /** Snapshot files by offset, ascending. */
  private snapshots: SnapshotFile[] = []
  private lastMapOffset = 0
  private lastSnapOffset = 0
  private readonly logger: Logger

  constructor (dir: string, producerIdExpirationMs: number, logger: Logger) {
    this.dir = dir
    this.producerIdExpirationMs = producerIdExpirationMs
    this.logger = logger
  }

  get producerIdCount (): number { return this.producers.size }
  /** The offset after the last batch applied. */
  get mapEndOffset (): number { return this.lastMapOffset }
  get snapshotOffsets (): number[] { return this.snapshots.map(s => s.offset) }

  lastEntry (producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }

  activeProducers (): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers
  }

  prepareUpdate (parent: ProducerAppendInfo | null = null): ProducerAppendInfo {
    return new ProducerAppendInfo(this, parent)
  }

  /** Applies an append whose batches are now in the log, up to `endOffset` (exclusive). */
  update (info: ProducerAppendInfo, endOffset: number): void {
    for (const [pid, e] of info.updated) this.producers.set(pid, e)
    this.lastMapOffset = endOffset
  }

  /** Advances the map end past batches without producer ids. */
  updateMapEndOffset (endOffset: number): void {
    this.lastMapOffset = endOffset
  }

  /** Replays one stored batch during load (no validation, as Kafka's replication origin). */
  replayBatch (h: BatchHeader): void {
    if (h.producerId >= 0 && Number.isSafeInteger(h.producerId)) {
      let e = this.producers.get(h.producerId)
      if (e === undefined) {
        e = new ProducerStateEntry(h.producerId, h.producerEpoch, [])
        this.producers.set(h.producerId, e)
      }
      if (h.producerEpoch >= e.producerEpoch && !h.isControl) {
        e.addBatch(h.producerEpoch, { firstSeq: h.baseSequence, lastSeq: h.lastSequence, firstOffset: h.baseOffset, lastOffset: h.lastOffset, timestamp: h.maxTimestamp })
      } else if (h.producerEpoch > e.producerEpoch) {
        e.producerEpoch = h.producerEpoch
        e.batches = []
      }
    }
    this.lastMapOffset = h.nextOffset
  }

  isProducerExpired (now: number, e: ProducerStateEntry): boolean {
    return e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.producerIdExpirationMs
  }

  /** Forgets producers idle for producer.id.expiration.ms (by their last batch's timestamp, as Kafka). */
  removeExpiredProducers (now: number): number {
    let removed = 0
    for (const [pid, e] of this.producers) {
      if (this.isProducerExpired(now, e)) {
        this.producers.delete(pid)
        removed++
      }
    }
    return removed
  }

  /** Hook for transactions: the first offset of the oldest open transaction (none yet). */
  firstUnstableOffset (): number | null {
    return null
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /** Lists the snapshot files in the directory (start-up). */
  async loadSnapshotList (): Promise<void> {
    const names = await readdir(this.dir)
    const list: SnapshotFile[] = []
    for (const name of names) {
      if (!name.endsWith(SNAPSHOT_SUFFIX)) continue
      const stem = name.slice(0, -SNAPSHOT_SUFFIX.length)
      if (!/^\d{20}$/.test(stem)) continue
      list.push({ offset: Number(stem), path: join(this.dir, name) })
    }
    list.sort((a, b) => a.offset - b.offset)
    this.snapshots = list
  }

  latestSnapshotOffset (): number | null {
    return this.snapshots.at(-1)?.offset ?? null
  }

  /**
   * Drops all state and snapshots above `logEndOffset`, then loads the latest readable snapshot
   * at or below it (deleting corrupt ones). Returns the offset replay must start from: the
   * snapshot's offset, or `logStartOffset` when there is none.
   */
  async truncateAndReload (logStartOffset: number, logEndOffset: number, now: number): Promise<number> {
    for (const s of this.snapshots.filter(s => s.offset > logEndOffset)) await this.removeSnapshot(s)
    this.producers.clear()
    for (;;) {
      const latest = this.snapshots.at(-1)
      if (latest === undefined) {
        this.lastMapOffset = logStartOffset
        this.lastSnapOffset = logStartOffset
        return logStartOffset
      }
      try {
        const entries = await readSnapshot(latest.path)
        for (const e of entries) if (!this.isProducerExpired(now, e)) this.producers.set(e.producerId, e)
        this.lastMapOffset = latest.offset
        this.lastSnapOffset = latest.offset
        return latest.offset
      } catch (err) {
        this.logger.warn({ file: latest.path, err }, 'producer snapshot unreadable: deleting it and trying an older one')
        this.producers.clear()
        await this.removeSnapshot(latest)
      }
    }
  }

  /** Writes `<mapEndOffset>.snapshot` unless one exists at that offset already; fsynced. */
  async takeSnapshot (): Promise<void> {
    const offset = this.lastMapOffset
    if (offset <= this.lastSnapOffset && this.snapshots.some(s => s.offset === offset)) return
    const path = join(this.dir, snapshotFileName(offset))
    const tmp = path + '.tmp'
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(encodeSnapshot(this.producers.values(), this.producers.size))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
    this.snapshots = this.snapshots.filter(s => s.offset !== offset)
    this.snapshots.push({ offset, path })
    this.snapshots.sort((a, b) => a.offset - b.offset)
    this.lastSnapOffset = offset
  }

  /** Deletes snapshots below `offset` (their segments are gone), keeping any at or above it. */
  async deleteSnapshotsBefore (offset: number): Promise<void> {
    for (const s of this.snapshots.filter(s => s.offset < offset)) await this.removeSnapshot(s)
  }

  /** Empties the state and deletes every snapshot: the log restarts at `offset`. */
  async truncateFullyAndStartAt (offset: number): Promise<void> {
    this.producers.clear()
    for (const s of this.snapshots.slice()) await this.removeSnapshot(s)
    this.lastMapOffset = offset
    this.lastSnapOffset = 0
  }

  private async removeSnapshot (s: SnapshotFile): Promise<void> {
    this.snapshots = this.snapshots.filter(x => x !== s)
    await unlink(s.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}

export function snapshotFileName (offset: number): string {
  return String(offset).padStart(20, '0') + SNAPSHOT_SUFFIX
}

export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError'
}

export function encodeSnapshot (entries: Iterable<ProducerStateEntry>, count: number): Buffer {
  const buf = Buffer.alloc(SNAPSHOT_HEADER_SIZE + count * SNAPSHOT_ENTRY_SIZE)
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0)
  buf.writeInt32BE(count, 6)
  let p = SNAPSHOT_HEADER_SIZE
  for (const e of entries) {
    const last = e.batches.at(-1)
    writeInt64(buf, p, e.producerId)
    buf.writeInt16BE(e.producerEpoch, p + 8)
    buf.writeInt32BE(last?.lastSeq ?? NO_SEQUENCE, p + 10)
    writeInt64(buf, p + 14, last?.lastOffset ?? -1)
    buf.writeInt32BE(last !== undefined ? last.lastOffset - last.firstOffset : 0, p + 22)
    writeInt64(buf, p + 26, e.lastTimestamp)
    buf.writeInt32BE(e.coordinatorEpoch, p + 34)
    writeInt64(buf, p + 38, e.currentTxnFirstOffset)
    p += SNAPSHOT_ENTRY_SIZE
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2)
  return buf
}

export function decodeSnapshot (buf: Buffer, what = 'snapshot'): ProducerStateEntry[] {
  if (buf.length < SNAPSHOT_HEADER_SIZE) throw new CorruptSnapshotError(`${what}: ${buf.length} bytes is too short`)
  const version = buf.readInt16BE(0)
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new CorruptSnapshotError(`${what}: unknown version ${version}`)
  if (crc32c(buf.subarray(6)) !== buf.readUInt32BE(2)) throw new CorruptSnapshotError(`${what}: CRC mismatch`)
  const count = buf.readInt32BE(6)
  if (count < 0 || SNAPSHOT_HEADER_SIZE + count * SNAPSHOT_ENTRY_SIZE !== buf.length) {
    throw new CorruptSnapshotError(`${what}: ${count} entries do not fill ${buf.length} bytes`)
  }
  const out: ProducerStateEntry[] = []
  let p = SNAPSHOT_HEADER_SIZE
  for (let i = 0; i < count; i++, p += SNAPSHOT_ENTRY_SIZE) {
    const producerId = readInt64(buf, p)
    const lastOffset = readInt64(buf, p + 14)
    const timestamp = readInt64(buf, p + 26)
    const txnFirst = readInt64(buf, p + 38)
    if (Number.isNaN(producerId) || Number.isNaN(lastOffset) || Number.isNaN(timestamp) || Number.isNaN(txnFirst)) {
      throw new CorruptSnapshotError(`${what}: entry ${i} holds an int64 outside the safe range`)
    }
    const epoch = buf.readInt16BE(p + 8)
    const lastSeq = buf.readInt32BE(p + 10)
    const offsetDelta = buf.readInt32BE(p + 22)
    const batches: BatchMetadata[] = []
    if (lastOffset >= 0) {
      let firstSeq = lastSeq - offsetDelta
      if (lastSeq >= 0 && firstSeq < 0) firstSeq += MAX_SEQUENCE + 1
      batches.push({ firstSeq: lastSeq === NO_SEQUENCE ? NO_SEQUENCE : firstSeq, lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset, timestamp })
    }
    out.push(new ProducerStateEntry(producerId, epoch, batches, buf.readInt32BE(p + 34), txnFirst, timestamp))
  }
  return out
}

async function readSnapshot (path: string): Promise<ProducerStateEntry[]> {
  return decodeSnapshot(await readFile(path), path)
}
