// Record batch v2 (magic 2): the unit a producer sends, the log stores and a consumer fetches.
//
// Layout (big-endian), 61-byte header then records:
//   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
//  17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
//  27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
//  53 baseSequence int32 | 57 recordsCount int32 | 61 records (compressed as one unit if codec != 0)
// batchLength counts the bytes after itself, so a batch occupies batchLength + 12 bytes.
// baseOffset and partitionLeaderEpoch lie outside the CRC: the broker rewrites them in place.


import { ByteReader } from './ByteReader.ts'
import { crc32c } from './crc32c.ts'
import { type DefaultRecord, MIN_RECORD_SIZE, readRecord, type SizedRecord, sizeRecord, skimRecords, writeRecord } from './Record.ts'
import { RecordErrorCode, RecordFormatError } from './RecordFormatError.ts'
import { compress, compressSync, decompress, decompressSync } from './compression/compress.ts'
import { CompressionType, isCompressionType } from './compression/CompressionType.ts'

export const BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const PARTITION_LEADER_EPOCH = 12
export const MAGIC = 16
export const CRC = 17
export const ATTRIBUTES = 21
export const LAST_OFFSET_DELTA = 23
export const BASE_TIMESTAMP = 27
export const MAX_TIMESTAMP = 35
export const PRODUCER_ID = 43
export const PRODUCER_EPOCH = 51
export const BASE_SEQUENCE = 53
export const RECORDS_COUNT = 57
export const BATCH_HEADER_SIZE = 61
/** Bytes before batchLength's count starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12

export const Attributes = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const

/** The magic byte of every v2 batch. */
export const MAGIC_VALUE_V2 = 2
export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
export const NO_PARTITION_LEADER_EPOCH = -1
export const NO_TIMESTAMP = -1n
/** batchLength of a batch holding no record bytes (header only). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD
/**
 * Default cap on one batch's decompressed records section: socket.request.max.bytes' default
 * (100 MiB), the most that anything can carry uncompressed on the wire.
 */
export const MAX_DECOMPRESSED_BATCH_BYTES = 100 * 1024 * 1024

export const TimestampType = {
  CREATE_TIME: 0,
  LOG_APPEND_TIME: 1,
} as const
export type TimestampType = typeof TimestampType[keyof typeof TimestampType]

/** The fixed header of a v2 batch, plus values derived from it. No field has been validated. */
export interface RecordBatchHeader {
  baseOffset: bigint
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordsCount: number
  /** attributes bits 0-2 (0-4 once validated). */
  compression: number
  timestampType: TimestampType
  isTransactional: boolean
  isControl: boolean
  hasDeleteHorizon: boolean
  /** baseOffset + lastOffsetDelta. */
  lastOffset: bigint
}

/** A validated batch: where it sits and what its header says. */
export interface BatchInfo extends RecordBatchHeader {
  compression: CompressionType
  /** Byte position of the batch in the validated buffer. */
  position: number
  /** Bytes the batch occupies: batchLength + 12. */
  size: number
  /** Largest record timestamp (baseTimestamp + largest delta); uncompressed batches with records only, else null. */
  recordsMaxTimestamp: bigint | null
  /**
   * Whether the records' offsetDeltas are exactly 0..recordsCount-1 (so offsets can be assigned by
   * rewriting baseOffset alone); null for compressed batches, whose records were not read.
   */
  offsetDeltasContiguous: boolean | null
}

/** Reads the 61-byte header at `position`; throws RecordFormatError if fewer bytes remain. */
export function readBatchHeader (buf: Buffer, position = 0): RecordBatchHeader {
  if (buf.length - position < BATCH_HEADER_SIZE) {
    throw new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `truncated batch header: ${buf.length - position} bytes`, position)
  }
  const attributes = buf.readInt16BE(position + ATTRIBUTES)
  const baseOffset = buf.readBigInt64BE(position + BASE_OFFSET)
  const lastOffsetDelta = buf.readInt32BE(position + LAST_OFFSET_DELTA)
  return {
    baseOffset,
    batchLength: buf.readInt32BE(position + BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(position + MAGIC),
    crc: buf.readUInt32BE(position + CRC),
    attributes,
    lastOffsetDelta,
    baseTimestamp: buf.readBigInt64BE(position + BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(position + MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(position + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(position + RECORDS_COUNT),
    compression: attributes & Attributes.COMPRESSION_MASK,
    timestampType: (attributes & Attributes.TIMESTAMP_TYPE) !== 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    isTransactional: (attributes & Attributes.TRANSACTIONAL) !== 0,
    isControl: (attributes & Attributes.CONTROL) !== 0,
    hasDeleteHorizon: (attributes & Attributes.DELETE_HORIZON) !== 0,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
  }
}

/** CRC-32C of the batch at `position` as it should be stored (attributes to end of batch). */
export function computeBatchCrc (buf: Buffer, position = 0): number {
  const end = position + LOG_OVERHEAD + buf.readInt32BE(position + BATCH_LENGTH)
  return crc32c(buf.subarray(position + ATTRIBUTES, end))
}

export interface ValidateOptions {
  /**
   * Apply the rules for batches a client produces (INVALID_RECORD otherwise): baseOffset 0, no
   * control bit, recordsCount > 0 and equal to lastOffsetDelta + 1, baseSequence >= 0 when
   * producerId >= 0 (so, uncompressed, offsetDeltas are exactly 0..n-1).
   */
  client?: boolean
  /** Largest batch accepted, 12-byte prefix included (max.message.bytes): MESSAGE_TOO_LARGE past it. */
  maxBatchSize?: number
  /** Walk the records of uncompressed batches (cheap: three varints per record). Default true. */
  checkRecords?: boolean
}

function fail (code: RecordErrorCode, position: number, message: string): never {
  throw new RecordFormatError(code, `batch at byte ${position}: ${message}`, position)
}

/** Thrown (inside validateBatch) when the buffer ends inside a batch. */
export class TruncatedBatchError extends RecordFormatError {
  constructor (position: number, message: string) {
    super(RecordErrorCode.CORRUPT_MESSAGE, `batch at byte ${position}: ${message}`, position)
    this.name = 'TruncatedBatchError'
  }
}

/**
 * Validates the v2 batch at `position` without decompressing it or decoding its records (an
 * uncompressed batch's record boundaries and offsetDeltas are walked unless checkRecords is false).
 * Throws RecordFormatError naming the Kafka error code; TruncatedBatchError when the buffer ends
 * inside the batch.
 */
export function validateBatch (buf: Buffer, position = 0, options: ValidateOptions = {}): BatchInfo {
  const remaining = buf.length - position
  if (remaining < LOG_OVERHEAD) throw new TruncatedBatchError(position, `only ${remaining} bytes left`)
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH)
  if (remaining > MAGIC) {
    const magic = buf.readInt8(position + MAGIC)
    if (magic === 0 || magic === 1) fail(RecordErrorCode.INVALID_RECORD, position, `legacy message (magic ${magic}) where a v2 batch is required`)
    if (magic !== MAGIC_VALUE_V2) fail(RecordErrorCode.CORRUPT_MESSAGE, position, `unknown magic ${magic}`)
  }
  if (batchLength < MIN_BATCH_LENGTH) fail(RecordErrorCode.CORRUPT_MESSAGE, position, `batchLength ${batchLength} below the ${MIN_BATCH_LENGTH}-byte header`)
  const size = batchLength + LOG_OVERHEAD
  if (options.maxBatchSize !== undefined && size > options.maxBatchSize) {
    fail(RecordErrorCode.MESSAGE_TOO_LARGE, position, `${size} bytes exceeds the ${options.maxBatchSize}-byte limit`)
  }
  if (size > remaining) throw new TruncatedBatchError(position, `batchLength ${batchLength} runs past the end of the buffer (${remaining} bytes left)`)
  const h = readBatchHeader(buf, position)
  const crc = crc32c(buf.subarray(position + ATTRIBUTES, position + size))
  if (crc !== h.crc) fail(RecordErrorCode.CORRUPT_MESSAGE, position, `CRC mismatch: stored ${h.crc.toString(16)}, computed ${crc.toString(16)}`)
  const compression = h.compression
  if (!isCompressionType(compression)) fail(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, position, `unknown compression type ${compression}`)
  if (h.recordsCount < 0) fail(RecordErrorCode.CORRUPT_MESSAGE, position, `negative recordsCount ${h.recordsCount}`)
  if (h.lastOffsetDelta < 0) fail(RecordErrorCode.CORRUPT_MESSAGE, position, `negative lastOffsetDelta ${h.lastOffsetDelta}`)
  if (h.recordsCount > h.lastOffsetDelta + 1) {
    fail(RecordErrorCode.CORRUPT_MESSAGE, position, `recordsCount ${h.recordsCount} exceeds the ${h.lastOffsetDelta + 1} offsets the batch spans`)
  }
  const recordsBytes = batchLength - MIN_BATCH_LENGTH
  if (compression === CompressionType.NONE && h.recordsCount * MIN_RECORD_SIZE > recordsBytes) {
    fail(RecordErrorCode.CORRUPT_MESSAGE, position, `recordsCount ${h.recordsCount} cannot fit in ${recordsBytes} bytes`)
  }
  if (options.client === true) {
    if (h.baseOffset !== 0n) fail(RecordErrorCode.INVALID_RECORD, position, `baseOffset ${h.baseOffset} from a client must be 0`)
    if (h.isControl) fail(RecordErrorCode.INVALID_RECORD, position, 'clients may not write control batches')
    if (h.recordsCount === 0) fail(RecordErrorCode.INVALID_RECORD, position, 'a produced batch needs at least one record')
    if (h.recordsCount !== h.lastOffsetDelta + 1) {
      fail(RecordErrorCode.INVALID_RECORD, position, `recordsCount ${h.recordsCount} inconsistent with lastOffsetDelta ${h.lastOffsetDelta}`)
    }
    if (h.producerId >= 0n && h.baseSequence < 0) fail(RecordErrorCode.INVALID_RECORD, position, `baseSequence ${h.baseSequence} with producerId ${h.producerId}`)
  }
  let recordsMaxTimestamp: bigint | null = null
  let offsetDeltasContiguous: boolean | null = null
  if (compression === CompressionType.NONE && options.checkRecords !== false) {
    let skim
    try {
      skim = skimRecords(buf, position + BATCH_HEADER_SIZE, position + size, h.recordsCount)
    } catch (err) {
      if (err instanceof RecordFormatError) fail(err.errorCode, position, err.message)
      throw err
    }
    if (skim.lastOffsetDelta > h.lastOffsetDelta) {
      fail(RecordErrorCode.CORRUPT_MESSAGE, position, `record offsetDelta ${skim.lastOffsetDelta} beyond lastOffsetDelta ${h.lastOffsetDelta}`)
    }
    // With the client rules, recordsCount = lastOffsetDelta + 1 and strictly increasing deltas in
    // [0, lastOffsetDelta] already force them to be exactly 0..recordsCount-1.
    offsetDeltasContiguous = skim.contiguous
    if (skim.maxTimestampDelta !== null) recordsMaxTimestamp = h.baseTimestamp + skim.maxTimestampDelta
  }
  return { ...h, compression, position, size, recordsMaxTimestamp, offsetDeltasContiguous }
}

export interface BatchValidation {
  /** Every batch that validated, in order (those before the error, if any). */
  batches: BatchInfo[]
  /** Bytes covered by `batches`: where the first bad or partial batch starts. */
  validBytes: number
  /** Why validation stopped early, or null when the whole buffer is valid batches. */
  error: RecordFormatError | null
  /** The error is only that the buffer ends inside a batch (a torn write or a cut fetch). */
  truncated: boolean
}

/**
 * Walks a `records` payload (batches back to back) and validates each batch with validateBatch.
 * Stops at the first problem and reports it as data, together with the batches before it, so a
 * produce handler answers with error.errorCode and log recovery truncates at validBytes.
 */
export function validateBatches (buf: Buffer, options: ValidateOptions = {}): BatchValidation {
  const batches: BatchInfo[] = []
  let pos = 0
  while (pos < buf.length) {
    try {
      const info = validateBatch(buf, pos, options)
      batches.push(info)
      pos += info.size
    } catch (err) {
      if (!(err instanceof RecordFormatError)) throw err
      return { batches, validBytes: pos, error: err, truncated: err instanceof TruncatedBatchError }
    }
  }
  return { batches, validBytes: pos, error: null, truncated: false }
}

// ---- In-place rewrites -------------------------------------------------------------------------

/** Overwrites baseOffset (outside the CRC: no checksum work). */
export function setBaseOffset (buf: Buffer, baseOffset: bigint, position = 0): void {
  buf.writeBigInt64BE(baseOffset, position + BASE_OFFSET)
}

/** Overwrites partitionLeaderEpoch (outside the CRC: no checksum work). */
export function setPartitionLeaderEpoch (buf: Buffer, partitionLeaderEpoch: number, position = 0): void {
  buf.writeInt32BE(partitionLeaderEpoch, position + PARTITION_LEADER_EPOCH)
}

/**
 * Sets the timestamp type bit and maxTimestamp, then recomputes the CRC (skipped when neither
 * changes). CreateTime with the records' real maximum corrects a producer's header; LogAppendTime
 * with the broker clock stamps the batch (record deltas stay as they are).
 */
export function setMaxTimestamp (buf: Buffer, timestampType: TimestampType, maxTimestamp: bigint, position = 0): void {
  const attributes = buf.readInt16BE(position + ATTRIBUTES)
  const next = timestampType === TimestampType.LOG_APPEND_TIME ? attributes | Attributes.TIMESTAMP_TYPE : attributes & ~Attributes.TIMESTAMP_TYPE
  if (next === attributes && buf.readBigInt64BE(position + MAX_TIMESTAMP) === maxTimestamp) return
  buf.writeInt16BE(next, position + ATTRIBUTES)
  buf.writeBigInt64BE(maxTimestamp, position + MAX_TIMESTAMP)
  buf.writeUInt32BE(computeBatchCrc(buf, position), position + CRC)
}

/** Stamps the batch with LogAppendTime: attribute bit 3 set, maxTimestamp = `timestamp`, CRC recomputed. */
export function setLogAppendTime (buf: Buffer, timestamp: bigint, position = 0): void {
  setMaxTimestamp(buf, TimestampType.LOG_APPEND_TIME, timestamp, position)
}

/**
 * Assigns offsets to validated batches in place, in order from `firstOffset` (the log end offset):
 * each batch gets baseOffset = next, and next advances by lastOffsetDelta + 1. Stamps
 * partitionLeaderEpoch when given. Returns the next offset (the new log end offset).
 */
export function assignOffsets (buf: Buffer, batches: readonly BatchInfo[], firstOffset: bigint, partitionLeaderEpoch?: number): bigint {
  let next = firstOffset
  for (const b of batches) {
    setBaseOffset(buf, next, b.position)
    if (partitionLeaderEpoch !== undefined) setPartitionLeaderEpoch(buf, partitionLeaderEpoch, b.position)
    next += BigInt(b.lastOffsetDelta) + 1n
  }
  return next
}

// ---- Full encode / decode ----------------------------------------------------------------------

export type BytesInput = Buffer | Uint8Array | string | null

export interface RecordHeaderInput {
  key: string
  value?: BytesInput
}

export interface RecordInput {
  key?: BytesInput
  value?: BytesInput
  headers?: readonly RecordHeaderInput[]
  /** Defaults to the batch's baseTimestamp, else the current time. */
  timestamp?: bigint | number
  /** Defaults to the previous record's offsetDelta + 1 (0 for the first). */
  offsetDelta?: number
  attributes?: number
}

export interface RecordBatchInput {
  baseOffset?: bigint
  partitionLeaderEpoch?: number
  /** Raw attributes to start from; the named flags below override their bits when given. */
  attributes?: number
  compression?: CompressionType
  timestampType?: TimestampType
  isTransactional?: boolean
  isControl?: boolean
  /** Sets attribute bit 6 and stores this in baseTimestamp (the log cleaner's delete horizon). */
  deleteHorizonMs?: bigint
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  /** Defaults to the first record's timestamp (-1 for an empty batch). */
  baseTimestamp?: bigint
  /** Defaults to the largest record timestamp (-1 for an empty batch). */
  maxTimestamp?: bigint
  /** Defaults to the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number
  records: readonly RecordInput[]
}

function toBytes (b: BytesInput | undefined): Buffer | null {
  if (b === null || b === undefined) return null
  if (typeof b === 'string') return Buffer.from(b, 'utf8')
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

interface PreparedBatch {
  header: Buffer
  records: Buffer
}

function badInput (message: string): never {
  throw new RangeError(`encodeRecordBatch: ${message}`)
}

/** Builds the header (CRC not yet set) and the uncompressed records section. */
function prepareBatch (input: RecordBatchInput): PreparedBatch {
  const now = BigInt(Date.now())
  const records = input.records
  const timestamps: bigint[] = records.map(r => r.timestamp === undefined ? (input.baseTimestamp ?? now) : BigInt(r.timestamp))
  let baseTimestamp: bigint
  if (input.deleteHorizonMs !== undefined) baseTimestamp = input.deleteHorizonMs
  else baseTimestamp = input.baseTimestamp ?? timestamps[0] ?? NO_TIMESTAMP
  let maxTs = NO_TIMESTAMP
  for (const t of timestamps) if (t > maxTs) maxTs = t
  const maxTimestamp = input.maxTimestamp ?? maxTs

  const sized: SizedRecord[] = new Array(records.length)
  let prev = -1
  let total = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordInput
    const offsetDelta = r.offsetDelta ?? prev + 1
    if (!Number.isInteger(offsetDelta) || offsetDelta <= prev || offsetDelta > 0x7fffffff) badInput(`record ${i} offsetDelta ${offsetDelta} does not increase`)
    prev = offsetDelta
    const rec: DefaultRecord = {
      attributes: r.attributes ?? 0,
      timestampDelta: (timestamps[i] as bigint) - baseTimestamp,
      offsetDelta,
      key: toBytes(r.key),
      value: toBytes(r.value),
      headers: (r.headers ?? []).map(h => ({ key: h.key, value: toBytes(h.value) })),
    }
    const s = sizeRecord(rec)
    sized[i] = s
    total += s.size
  }
  const lastOffsetDelta = input.lastOffsetDelta ?? (prev < 0 ? 0 : prev)
  if (lastOffsetDelta < prev) badInput(`lastOffsetDelta ${lastOffsetDelta} below the last record's offsetDelta ${prev}`)

  const recordsBuf = Buffer.allocUnsafe(total)
  let pos = 0
  for (const s of sized) pos = writeRecord(recordsBuf, pos, s)

  let attributes = input.attributes ?? 0
  const setBit = (bit: number, on: boolean | undefined): void => {
    if (on === undefined) return
    attributes = on ? attributes | bit : attributes & ~bit
  }
  if (input.compression !== undefined) attributes = (attributes & ~Attributes.COMPRESSION_MASK) | input.compression
  setBit(Attributes.TIMESTAMP_TYPE, input.timestampType === undefined ? undefined : input.timestampType === TimestampType.LOG_APPEND_TIME)
  setBit(Attributes.TRANSACTIONAL, input.isTransactional)
  setBit(Attributes.CONTROL, input.isControl)
  if (input.deleteHorizonMs !== undefined) attributes |= Attributes.DELETE_HORIZON

  const header = Buffer.alloc(BATCH_HEADER_SIZE)
  header.writeBigInt64BE(input.baseOffset ?? 0n, BASE_OFFSET)
  header.writeInt32BE(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH)
  header.writeInt8(MAGIC_VALUE_V2, MAGIC)
  header.writeInt16BE(attributes, ATTRIBUTES)
  header.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA)
  header.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP)
  header.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP)
  header.writeBigInt64BE(input.producerId ?? NO_PRODUCER_ID, PRODUCER_ID)
  header.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH)
  header.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE)
  header.writeInt32BE(records.length, RECORDS_COUNT)
  return { header, records: recordsBuf }
}

function finishBatch (header: Buffer, records: Buffer): Buffer {
  const size = BATCH_HEADER_SIZE + records.length
  if (size - LOG_OVERHEAD > 0x7fffffff) badInput(`batch of ${size} bytes does not fit batchLength`)
  const out = Buffer.allocUnsafe(size)
  header.copy(out, 0)
  records.copy(out, BATCH_HEADER_SIZE)
  out.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH)
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC)
  return out
}

function compressionOf (header: Buffer): CompressionType {
  const c = header.readInt16BE(ATTRIBUTES) & Attributes.COMPRESSION_MASK
  if (!isCompressionType(c)) throw new RecordFormatError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${c}`)
  return c
}

/** Encodes a complete v2 batch, compressing its records on the thread pool when a codec is set. */
export async function encodeRecordBatch (input: RecordBatchInput): Promise<Buffer> {
  const { header, records } = prepareBatch(input)
  const c = compressionOf(header)
  return finishBatch(header, c === CompressionType.NONE ? records : await compress(c, records))
}

export function encodeRecordBatchSync (input: RecordBatchInput): Buffer {
  const { header, records } = prepareBatch(input)
  const c = compressionOf(header)
  return finishBatch(header, c === CompressionType.NONE ? records : compressSync(c, records))
}

/** A record with its absolute offset and timestamp resolved from the batch header. */
export interface DecodedRecord extends DefaultRecord {
  offset: bigint
  /** baseTimestamp + timestampDelta, or maxTimestamp under LogAppendTime. */
  timestamp: bigint
}

export interface RecordBatch extends BatchInfo {
  records: DecodedRecord[]
}

export interface DecodeOptions {
  /** Byte position of the batch in the buffer (default 0). */
  position?: number
  /** Cap on the decompressed records section (default MAX_DECOMPRESSED_BATCH_BYTES). */
  maxDecompressedBytes?: number
}

function readRecords (info: BatchInfo, section: Buffer): DecodedRecord[] {
  const count = info.recordsCount
  if (count * MIN_RECORD_SIZE > section.length) {
    fail(RecordErrorCode.CORRUPT_MESSAGE, info.position, `recordsCount ${count} cannot fit in ${section.length} bytes of records`)
  }
  const reader = new ByteReader(section)
  const out: DecodedRecord[] = new Array(count)
  const logAppend = info.timestampType === TimestampType.LOG_APPEND_TIME
  try {
    for (let i = 0; i < count; i++) {
      const r = readRecord(reader)
      out[i] = {
        ...r,
        offset: info.baseOffset + BigInt(r.offsetDelta),
        timestamp: logAppend ? info.maxTimestamp : info.baseTimestamp + r.timestampDelta,
      }
    }
    if (reader.remaining !== 0) reader.fail(`${reader.remaining} bytes after the last of ${count} records`)
  } catch (err) {
    if (err instanceof RecordFormatError) fail(err.errorCode, info.position, err.message)
    throw err
  }
  return out
}

function recordsSection (buf: Buffer, info: BatchInfo): Buffer {
  return buf.subarray(info.position + BATCH_HEADER_SIZE, info.position + info.size)
}

/**
 * Validates and fully decodes the batch at options.position, decompressing its records (capped at
 * maxDecompressedBytes). Keys, values and headers share memory with `buf` when uncompressed.
 */
export async function decodeRecordBatch (buf: Buffer, options: DecodeOptions = {}): Promise<RecordBatch> {
  const info = validateBatch(buf, options.position ?? 0, { checkRecords: false })
  let section = recordsSection(buf, info)
  if (info.compression !== CompressionType.NONE) {
    section = await decompress(info.compression, section, options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BATCH_BYTES)
  }
  return { ...info, records: readRecords(info, section) }
}

export function decodeRecordBatchSync (buf: Buffer, options: DecodeOptions = {}): RecordBatch {
  const info = validateBatch(buf, options.position ?? 0, { checkRecords: false })
  let section = recordsSection(buf, info)
  if (info.compression !== CompressionType.NONE) {
    section = decompressSync(info.compression, section, options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BATCH_BYTES)
  }
  return { ...info, records: readRecords(info, section) }
}

export interface DecodeAllOptions {
  maxDecompressedBytes?: number
  /** Ignore a batch cut off by the end of the buffer (as consumers do with a fetch response). */
  allowTruncatedTail?: boolean
}

/** Decodes every batch of a `records` payload, in order. */
export async function decodeRecordBatches (buf: Buffer, options: DecodeAllOptions = {}): Promise<RecordBatch[]> {
  const out: RecordBatch[] = []
  for (const info of batchesToDecode(buf, options)) {
    out.push(await decodeRecordBatch(buf, { position: info.position, maxDecompressedBytes: options.maxDecompressedBytes }))
  }
  return out
}

export function decodeRecordBatchesSync (buf: Buffer, options: DecodeAllOptions = {}): RecordBatch[] {
  return batchesToDecode(buf, options).map(info =>
    decodeRecordBatchSync(buf, { position: info.position, maxDecompressedBytes: options.maxDecompressedBytes }))
}

function batchesToDecode (buf: Buffer, options: DecodeAllOptions): BatchInfo[] {
  const v = validateBatches(buf, { checkRecords: false })
  if (v.error !== null && !(v.truncated && options.allowTruncatedTail === true)) throw v.error
  return v.batches
}
