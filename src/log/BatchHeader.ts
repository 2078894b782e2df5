// A reusable view of one record batch v2 header (layout in src/protocol/records/RecordBatch.ts),
// read from a Buffer at some offset. The log only ever looks at batch headers: it never decodes
// records on the append or fetch path, so this is all the record format it needs there.
//
// One instance is filled again and again while scanning a file or a produce request, so a scan
// allocates nothing per batch. int64 fields are read as JS numbers (two 32-bit halves, no BigInt);
// a value outside the safe-integer range reads as NaN and the caller treats the batch as invalid.
// Offsets and timestamps that Kafka ever produces are far inside that range.

import * as RB from '../protocol/records/RecordBatch.ts'
import { crc32c } from '../protocol/records/crc32c.ts'

const TWO_32 = 4294967296

/** int64 at buf[off] as a number, or NaN when it is not a safe integer. */
export function readInt64 (buf: Buffer, off: number): number {
  const hi = buf.readInt32BE(off)
  if (hi > 0x1fffff || hi < -0x200000) return NaN
  const v = hi * TWO_32 + buf.readUInt32BE(off + 4)
  return Number.isSafeInteger(v) ? v : NaN
}

/** Writes the safe integer `v` as an int64 at buf[off]. */
export function writeInt64 (buf: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / TWO_32)
  buf.writeInt32BE(hi, off)
  buf.writeUInt32BE(v - hi * TWO_32, off + 4)
}

/** The smallest batchLength a v2 batch can have: its header after the length field, no records. */
export const MIN_BATCH_LENGTH = RB.BATCH_HEADER_SIZE - RB.LOG_OVERHEAD

/** Sequence numbers wrap from 2^31-1 back to 0. */
export const MAX_SEQUENCE = 0x7fffffff

/** Kafka's "no value" markers in the producer fields. */
export const NO_PRODUCER_ID = -1
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
export const NO_TIMESTAMP = -1

export class BatchHeader {
  /** Where the batch starts in its file (or request buffer). */
  position = 0
  baseOffset = 0
  batchLength = 0
  partitionLeaderEpoch = 0
  magic = 0
  crc = 0
  attributes = 0
  lastOffsetDelta = 0
  baseTimestamp = 0
  maxTimestamp = 0
  producerId = 0
  producerEpoch = 0
  baseSequence = 0
  recordsCount = 0

  /** Fills every field from buf[off, off + BATCH_HEADER_SIZE); the caller checked the bytes are there. */
  read (buf: Buffer, off: number, position: number): this {
    this.position = position
    this.baseOffset = readInt64(buf, off + RB.BASE_OFFSET)
    this.batchLength = buf.readInt32BE(off + RB.BATCH_LENGTH)
    this.partitionLeaderEpoch = buf.readInt32BE(off + RB.PARTITION_LEADER_EPOCH)
    this.magic = buf.readInt8(off + RB.MAGIC)
    this.crc = buf.readUInt32BE(off + RB.CRC)
    this.attributes = buf.readInt16BE(off + RB.ATTRIBUTES)
    this.lastOffsetDelta = buf.readInt32BE(off + RB.LAST_OFFSET_DELTA)
    this.baseTimestamp = readInt64(buf, off + RB.BASE_TIMESTAMP)
    this.maxTimestamp = readInt64(buf, off + RB.MAX_TIMESTAMP)
    this.producerId = readInt64(buf, off + RB.PRODUCER_ID)
    this.producerEpoch = buf.readInt16BE(off + RB.PRODUCER_EPOCH)
    this.baseSequence = buf.readInt32BE(off + RB.BASE_SEQUENCE)
    this.recordsCount = buf.readInt32BE(off + RB.RECORDS_COUNT)
    return this
  }

  /** Bytes the whole batch occupies: batchLength counts what follows the length field. */
  get size (): number { return this.batchLength + RB.LOG_OVERHEAD }
  get lastOffset (): number { return this.baseOffset + this.lastOffsetDelta }
  get nextOffset (): number { return this.baseOffset + this.lastOffsetDelta + 1 }
  get compression (): number { return this.attributes & RB.Attributes.COMPRESSION_MASK }
  get isLogAppendTime (): boolean { return (this.attributes & RB.Attributes.TIMESTAMP_TYPE) !== 0 }
  get isTransactional (): boolean { return (this.attributes & RB.Attributes.TRANSACTIONAL) !== 0 }
  get isControl (): boolean { return (this.attributes & RB.Attributes.CONTROL) !== 0 }
  get hasProducerId (): boolean { return this.producerId >= 0 }
  /** Sequence of the last record: baseSequence + lastOffsetDelta, wrapping past 2^31-1. */
  get lastSequence (): number {
    if (this.baseSequence === NO_SEQUENCE) return NO_SEQUENCE
    const s = this.baseSequence + this.lastOffsetDelta
    return s > MAX_SEQUENCE ? s - MAX_SEQUENCE - 1 : s
  }

  /**
   * Structural problems that make the batch unusable as stored data, or null. `available` is how
   * many bytes from the batch start are known to exist (file or buffer end).
   */
  problem (available: number): string | null {
    if (this.batchLength < MIN_BATCH_LENGTH) return `batchLength ${this.batchLength} below ${MIN_BATCH_LENGTH}`
    if (this.size > available) return `batch of ${this.size} bytes runs past the end (${available} available)`
    if (this.magic !== 2) return `magic ${this.magic} is not 2`
    if (Number.isNaN(this.baseOffset) || this.baseOffset < 0) return 'baseOffset is negative or not a safe integer'
    if (this.lastOffsetDelta < 0) return `lastOffsetDelta ${this.lastOffsetDelta} is negative`
    if (Number.isNaN(this.maxTimestamp) || Number.isNaN(this.baseTimestamp)) return 'timestamp is not a safe integer'
    return null
  }
}

/** Whether the CRC-32C stored in the batch at buf[off] matches its bytes (attributes to the end). */
export function batchCrcMatches (buf: Buffer, off: number, size: number): boolean {
  return crc32c(buf.subarray(off + RB.ATTRIBUTES, off + size)) === buf.readUInt32BE(off + RB.CRC)
}

/** Recomputes and stores the CRC after attributes or maxTimestamp changed (LogAppendTime). */
export function writeBatchCrc (buf: Buffer, off: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(off + RB.ATTRIBUTES, off + size)), off + RB.CRC)
}
