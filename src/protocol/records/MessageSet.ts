// Legacy message sets (magic 0 and 1), the format before v2 batches (Kafka's LegacyRecord and
// AbstractLegacyRecordBatch). Each entry:
//   offset int64 | messageSize int32 (bytes after this field)
//   crc uint32 (CRC-32/IEEE of magic..end) | magic int8 | attributes int8 (bits 0-2 codec 0-3,
//   bit 3 LogAppendTime in v1) | timestamp int64 (v1 only) | key int32-length bytes (-1 null) |
//   value int32-length bytes (-1 null)
// Compressed sets nest: a wrapper message whose value is the compressed inner message set. Inner
// offsets are absolute in v0; in v1 they are 0..n-1 relative and the wrapper carries the absolute
// offset of the *last* inner message (and, under LogAppendTime, the timestamp of all of them).
// LZ4 wrappers in magic 0 carry Kafka's broken frame header checksum (see compression/lz4.ts).
//
// A v2-only log converts both ways: up for Produce v0-2 (messageSetToRecordBatch) and down for
// Fetch v0-3 (recordBatchesToMessageSet).

import { ByteReader } from './ByteReader.ts'
import { crc32 } from './crc32c.ts'
import {
  type BytesInput, decodeRecordBatch, decodeRecordBatchSync, encodeRecordBatch, encodeRecordBatchSync,
  MAX_DECOMPRESSED_BATCH_BYTES, NO_TIMESTAMP, type RecordBatch, type RecordBatchInput, type RecordInput, TimestampType, validateBatches,
} from './RecordBatch.ts'
import { DecompressionLimitError, RecordErrorCode, RecordFormatError } from './RecordFormatError.ts'
import { compress, compressSync, decompress, decompressSync } from './compression/compress.ts'
import { CompressionType } from './compression/CompressionType.ts'

export type LegacyMagic = 0 | 1
/** crc + magic + attributes + key length + value length. */
export const MESSAGE_OVERHEAD_V0 = 14
/** MESSAGE_OVERHEAD_V0 + timestamp. */
export const MESSAGE_OVERHEAD_V1 = 22
/** offset + messageSize before each message. */
export const MESSAGE_LOG_OVERHEAD = 12
const MAGIC_OFFSET = 16
const LEGACY_CODEC_MASK = 0x07
const LEGACY_TIMESTAMP_TYPE = 0x08

/** One logical record of a message set (inner messages of compressed wrappers are flattened). */
export interface LegacyRecord {
  /** Absolute offset. */
  offset: bigint
  magic: LegacyMagic
  /** Attributes of the message itself (inner message for wrapped ones). */
  attributes: number
  /** Effective timestamp type (the wrapper's for wrapped v1 messages). */
  timestampType: TimestampType
  /** Effective timestamp; -1 for magic 0. */
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  /** Codec of the wrapper the record came in, NONE when it was not wrapped. */
  compression: CompressionType
}

interface RawMessage {
  position: number
  offset: bigint
  magic: LegacyMagic
  attributes: number
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
}

function corrupt (position: number, message: string, code: RecordErrorCode = RecordErrorCode.CORRUPT_MESSAGE): never {
  throw new RecordFormatError(code, `message at byte ${position}: ${message}`, position)
}

/** Thrown when the buffer ends inside a message (a cut fetch response or a torn write). */
export class TruncatedMessageError extends RecordFormatError {
  constructor (position: number, message: string) {
    super(RecordErrorCode.CORRUPT_MESSAGE, `message at byte ${position}: ${message}`, position)
    this.name = 'TruncatedMessageError'
  }
}

function readNullableBytes (r: ByteReader): Buffer | null {
  const len = r.readInt32()
  if (len === -1) return null
  return r.readBytes(len, 'message key/value')
}

/** Reads the message at `pos`; returns it and the position after it. */
function readMessage (buf: Buffer, pos: number): RawMessage {
  const remaining = buf.length - pos
  if (remaining < MESSAGE_LOG_OVERHEAD) throw new TruncatedMessageError(pos, `only ${remaining} bytes left`)
  const offset = buf.readBigInt64BE(pos)
  const size = buf.readInt32BE(pos + 8)
  if (remaining > MAGIC_OFFSET) {
    const magic = buf.readInt8(pos + MAGIC_OFFSET)
    if (magic === 2) corrupt(pos, 'a v2 record batch where a legacy message set is required', RecordErrorCode.INVALID_RECORD)
    if (magic !== 0 && magic !== 1) corrupt(pos, `unknown magic ${magic}`)
  }
  if (size < MESSAGE_OVERHEAD_V0) corrupt(pos, `messageSize ${size} below the minimum ${MESSAGE_OVERHEAD_V0}`)
  if (size > remaining - MESSAGE_LOG_OVERHEAD) throw new TruncatedMessageError(pos, `messageSize ${size} runs past the end of the buffer`)
  const end = pos + MESSAGE_LOG_OVERHEAD + size
  const stored = buf.readUInt32BE(pos + 12)
  const computed = crc32(buf.subarray(pos + MAGIC_OFFSET, end))
  if (stored !== computed) corrupt(pos, `CRC mismatch: stored ${stored.toString(16)}, computed ${computed.toString(16)}`)
  const magic = buf.readInt8(pos + MAGIC_OFFSET) as LegacyMagic
  if (magic === 1 && size < MESSAGE_OVERHEAD_V1) corrupt(pos, `messageSize ${size} below the v1 minimum ${MESSAGE_OVERHEAD_V1}`)
  const r = new ByteReader(buf, pos + MAGIC_OFFSET + 1, end)
  try {
    const attributes = r.readInt8()
    const timestamp = magic === 1 ? r.readInt64() : NO_TIMESTAMP
    const key = readNullableBytes(r)
    const value = readNullableBytes(r)
    if (r.remaining !== 0) r.fail(`${r.remaining} bytes after the value`)
    return { position: pos, offset, magic, attributes, timestamp, key, value }
  } catch (err) {
    if (err instanceof RecordFormatError && !(err instanceof TruncatedMessageError)) corrupt(pos, err.message)
    throw err
  }
}

function codecOf (m: RawMessage): CompressionType {
  const c = m.attributes & LEGACY_CODEC_MASK
  if (c > CompressionType.LZ4) corrupt(m.position, `compression type ${c} is not valid for magic ${m.magic}`, RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
  return c as CompressionType
}

function timestampTypeOf (m: RawMessage): TimestampType {
  return m.magic === 1 && (m.attributes & LEGACY_TIMESTAMP_TYPE) !== 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME
}

function plain (m: RawMessage): LegacyRecord {
  return {
    offset: m.offset, magic: m.magic, attributes: m.attributes, timestampType: timestampTypeOf(m),
    timestamp: m.timestamp, key: m.key, value: m.value, compression: CompressionType.NONE,
  }
}

/** Turns a wrapper's decompressed value into its records with absolute offsets. */
function unwrap (wrapper: RawMessage, codec: CompressionType, inner: Buffer): LegacyRecord[] {
  const messages: RawMessage[] = []
  let pos = 0
  try {
    while (pos < inner.length) {
      const m = readMessage(inner, pos)
      if (m.magic !== wrapper.magic) corrupt(pos, `inner magic ${m.magic} differs from the wrapper's ${wrapper.magic}`)
      if ((m.attributes & LEGACY_CODEC_MASK) !== 0) corrupt(pos, 'nested compression')
      messages.push(m)
      pos += MESSAGE_LOG_OVERHEAD + inner.readInt32BE(pos + 8)
    }
  } catch (err) {
    if (err instanceof RecordFormatError) corrupt(wrapper.position, `inside compressed wrapper: ${err.message}`, err.errorCode)
    throw err
  }
  const wrapperType = timestampTypeOf(wrapper)
  const last = messages[messages.length - 1]
  // v1: inner offsets are relative; the wrapper holds the absolute offset of the last one.
  const base = wrapper.magic === 1 && last !== undefined ? wrapper.offset - last.offset : 0n
  return messages.map(m => ({
    offset: base + m.offset,
    magic: m.magic,
    attributes: m.attributes,
    timestampType: wrapperType,
    timestamp: wrapperType === TimestampType.LOG_APPEND_TIME ? wrapper.timestamp : m.timestamp,
    key: m.key,
    value: m.value,
    compression: codec,
  }))
}

export interface MessageSetDecodeOptions {
  /** Cap on each wrapper's decompressed inner set (default MAX_DECOMPRESSED_BATCH_BYTES). */
  maxDecompressedBytes?: number
  /** Ignore a message cut off by the end of the buffer (old consumers do the same). */
  allowTruncatedTail?: boolean
}

function outerMessages (buf: Buffer, options: MessageSetDecodeOptions): RawMessage[] {
  const out: RawMessage[] = []
  let pos = 0
  while (pos < buf.length) {
    let m: RawMessage
    try {
      m = readMessage(buf, pos)
    } catch (err) {
      if (err instanceof TruncatedMessageError && options.allowTruncatedTail === true) break
      throw err
    }
    out.push(m)
    pos += MESSAGE_LOG_OVERHEAD + buf.readInt32BE(pos + 8)
  }
  return out
}

function wrappedValue (m: RawMessage): Buffer {
  if (m.value === null) corrupt(m.position, 'compressed wrapper with a null value')
  return m.value
}

/**
 * Decodes a magic 0/1 message set, checking every CRC (wrappers and inner messages) and
 * decompressing wrappers (capped). Returns the records flattened, with absolute offsets.
 */
export async function decodeMessageSet (buf: Buffer, options: MessageSetDecodeOptions = {}): Promise<LegacyRecord[]> {
  const max = options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BATCH_BYTES
  const out: LegacyRecord[] = []
  for (const m of outerMessages(buf, options)) {
    const codec = codecOf(m)
    if (codec === CompressionType.NONE) out.push(plain(m))
    else out.push(...unwrap(m, codec, await decompressWrapper(m, codec, max)))
  }
  return out
}

export function decodeMessageSetSync (buf: Buffer, options: MessageSetDecodeOptions = {}): LegacyRecord[] {
  const max = options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BATCH_BYTES
  const out: LegacyRecord[] = []
  for (const m of outerMessages(buf, options)) {
    const codec = codecOf(m)
    if (codec === CompressionType.NONE) out.push(plain(m))
    else out.push(...unwrap(m, codec, decompressWrapperSync(m, codec, max)))
  }
  return out
}

function rethrowAt (m: RawMessage, err: unknown): never {
  if (err instanceof DecompressionLimitError) throw err
  if (err instanceof RecordFormatError) corrupt(m.position, err.message, err.errorCode)
  throw err
}

async function decompressWrapper (m: RawMessage, codec: CompressionType, max: number): Promise<Buffer> {
  try {
    return await decompress(codec, wrappedValue(m), max)
  } catch (err) {
    return rethrowAt(m, err)
  }
}

function decompressWrapperSync (m: RawMessage, codec: CompressionType, max: number): Buffer {
  try {
    return decompressSync(codec, wrappedValue(m), max)
  } catch (err) {
    return rethrowAt(m, err)
  }
}

// ---- Encoding ----------------------------------------------------------------------------------

export interface LegacyRecordInput {
  offset: bigint
  /** v1 only; defaults to -1 (no timestamp). */
  timestamp?: bigint
  key?: BytesInput
  value?: BytesInput
}

export interface MessageSetInput {
  magic: LegacyMagic
  /** NONE, GZIP, SNAPPY or LZ4 (zstd never existed for magic 0/1). Default NONE. */
  compression?: CompressionType
  /** v1 only. Default CreateTime. */
  timestampType?: TimestampType
  /** v1 compressed wrapper's timestamp; defaults to the largest inner timestamp. */
  wrapperTimestamp?: bigint
  records: readonly LegacyRecordInput[]
}

function bytesOf (b: BytesInput | undefined): Buffer | null {
  if (b === null || b === undefined) return null
  if (typeof b === 'string') return Buffer.from(b, 'utf8')
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

/** One complete entry (offset, size, message). */
function encodeMessage (offset: bigint, magic: LegacyMagic, attributes: number, timestamp: bigint, key: Buffer | null, value: Buffer | null): Buffer {
  const size = (magic === 1 ? MESSAGE_OVERHEAD_V1 : MESSAGE_OVERHEAD_V0) + (key?.length ?? 0) + (value?.length ?? 0)
  const buf = Buffer.allocUnsafe(MESSAGE_LOG_OVERHEAD + size)
  buf.writeBigInt64BE(offset, 0)
  buf.writeInt32BE(size, 8)
  let pos = MAGIC_OFFSET
  buf.writeInt8(magic, pos++)
  buf.writeInt8(attributes, pos++)
  if (magic === 1) { buf.writeBigInt64BE(timestamp, pos); pos += 8 }
  for (const b of [key, value]) {
    if (b === null) { buf.writeInt32BE(-1, pos); pos += 4 } else { buf.writeInt32BE(b.length, pos); pos += 4; pos += b.copy(buf, pos) }
  }
  buf.writeUInt32BE(crc32(buf.subarray(MAGIC_OFFSET)), 12)
  return buf
}

function checkInput (input: MessageSetInput): CompressionType {
  const c = input.compression ?? CompressionType.NONE
  if (c > CompressionType.LZ4) {
    throw new RecordFormatError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression type ${c} cannot be written with magic ${input.magic}`)
  }
  if (c !== CompressionType.NONE && input.records.length === 0) throw new RangeError('encodeMessageSet: a compressed message set needs records')
  return c
}

interface PreparedSet {
  codec: CompressionType
  /** The uncompressed entries (the whole set when codec is NONE, the wrapper's inner set otherwise). */
  entries: Buffer
  wrapper?: { offset: bigint, attributes: number, timestamp: bigint }
}

function prepareSet (input: MessageSetInput): PreparedSet {
  const codec = checkInput(input)
  const magic = input.magic
  const typeBit = magic === 1 && input.timestampType === TimestampType.LOG_APPEND_TIME ? LEGACY_TIMESTAMP_TYPE : 0
  const first = input.records[0]?.offset ?? 0n
  const parts: Buffer[] = []
  let maxTs = NO_TIMESTAMP
  for (const r of input.records) {
    const ts = magic === 1 ? (r.timestamp ?? NO_TIMESTAMP) : NO_TIMESTAMP
    if (ts > maxTs) maxTs = ts
    // Inner offsets: absolute for v0, relative to the first record for v1.
    const offset = codec !== CompressionType.NONE && magic === 1 ? r.offset - first : r.offset
    parts.push(encodeMessage(offset, magic, typeBit, ts, bytesOf(r.key), bytesOf(r.value)))
  }
  const entries = Buffer.concat(parts)
  if (codec === CompressionType.NONE) return { codec, entries }
  const last = input.records[input.records.length - 1] as LegacyRecordInput
  return {
    codec,
    entries,
    wrapper: { offset: last.offset, attributes: typeBit | codec, timestamp: magic === 1 ? (input.wrapperTimestamp ?? maxTs) : NO_TIMESTAMP },
  }
}

function finishSet (input: MessageSetInput, p: PreparedSet, compressed: Buffer): Buffer {
  const w = p.wrapper
  if (w === undefined) return p.entries
  return encodeMessage(w.offset, input.magic, w.attributes, w.timestamp, null, compressed)
}

/**
 * Encodes a magic 0/1 message set: one entry per record when uncompressed, else one compressed
 * wrapper holding them all (v0 absolute inner offsets, v1 relative; wrapper offset = last offset).
 */
export async function encodeMessageSet (input: MessageSetInput): Promise<Buffer> {
  const p = prepareSet(input)
  if (p.wrapper === undefined) return p.entries
  return finishSet(input, p, await compress(p.codec, p.entries, { lz4BrokenHeaderChecksum: input.magic === 0 }))
}

export function encodeMessageSetSync (input: MessageSetInput): Buffer {
  const p = prepareSet(input)
  if (p.wrapper === undefined) return p.entries
  return finishSet(input, p, compressSync(p.codec, p.entries, { lz4BrokenHeaderChecksum: input.magic === 0 }))
}

// ---- Conversion --------------------------------------------------------------------------------

export interface UpConvertOptions extends MessageSetDecodeOptions {
  /** Codec of the v2 batch; default: the codec of the first wrapper in the set (NONE if none). */
  compression?: CompressionType
  baseOffset?: bigint
  partitionLeaderEpoch?: number
}

function upConvertInput (records: LegacyRecord[], options: UpConvertOptions): RecordBatchInput {
  const records2: RecordInput[] = records.map((r, i) => ({ key: r.key, value: r.value, timestamp: r.timestamp, offsetDelta: i }))
  return {
    baseOffset: options.baseOffset ?? 0n,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    compression: options.compression ?? records[0]?.compression ?? CompressionType.NONE,
    timestampType: TimestampType.CREATE_TIME,
    records: records2,
  }
}

/**
 * Up-converts a legacy message set (what Produce v0-2 carries) into one v2 batch: records get
 * offsetDeltas 0..n-1 (the broker assigns offsets afterwards), v1 timestamps are kept (magic 0 has
 * none: -1), no producer id. The batch is CreateTime; apply setLogAppendTime for LogAppendTime
 * topics. Returns an empty buffer for a set with no records.
 */
export async function messageSetToRecordBatch (buf: Buffer, options: UpConvertOptions = {}): Promise<Buffer> {
  const records = await decodeMessageSet(buf, options)
  if (records.length === 0) return Buffer.alloc(0)
  return encodeRecordBatch(upConvertInput(records, options))
}

export function messageSetToRecordBatchSync (buf: Buffer, options: UpConvertOptions = {}): Buffer {
  const records = decodeMessageSetSync(buf, options)
  if (records.length === 0) return Buffer.alloc(0)
  return encodeRecordBatchSync(upConvertInput(records, options))
}

export interface DownConvertOptions {
  /** Cap on each batch's decompressed records (default MAX_DECOMPRESSED_BATCH_BYTES). */
  maxDecompressedBytes?: number
  /** Drop a batch cut off by the end of the buffer instead of failing (default true: fetch ranges may end mid-batch). */
  allowTruncatedTail?: boolean
}

function downConvertInput (batch: RecordBatch, magic: LegacyMagic): MessageSetInput | null {
  if (batch.isControl || batch.records.length === 0) return null
  if (batch.compression === CompressionType.ZSTD) {
    throw new RecordFormatError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `batch at offset ${batch.baseOffset} is zstd-compressed, which magic ${magic} cannot carry`, batch.position)
  }
  return {
    magic,
    compression: batch.compression,
    timestampType: batch.timestampType,
    wrapperTimestamp: batch.maxTimestamp,
    records: batch.records.map(r => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value })),
  }
}

function batchPositions (buf: Buffer, options: DownConvertOptions): number[] {
  const v = validateBatches(buf, { checkRecords: false })
  if (v.error !== null && !(v.truncated && options.allowTruncatedTail !== false)) throw v.error
  return v.batches.map(b => b.position)
}

/**
 * Down-converts stored v2 batches to a magic 0/1 message set (for Fetch v0-3): offsets are kept,
 * headers and producer fields dropped, control and empty batches skipped. A compressed batch
 * becomes one compressed wrapper of the same codec; zstd fails with UNSUPPORTED_COMPRESSION_TYPE.
 */
export async function recordBatchesToMessageSet (buf: Buffer, magic: LegacyMagic, options: DownConvertOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const position of batchPositions(buf, options)) {
    const batch = await decodeRecordBatch(buf, { position, maxDecompressedBytes: options.maxDecompressedBytes })
    const input = downConvertInput(batch, magic)
    if (input !== null) parts.push(await encodeMessageSet(input))
  }
  return Buffer.concat(parts)
}

export function recordBatchesToMessageSetSync (buf: Buffer, magic: LegacyMagic, options: DownConvertOptions = {}): Buffer {
  const parts: Buffer[] = []
  for (const position of batchPositions(buf, options)) {
    const batch = decodeRecordBatchSync(buf, { position, maxDecompressedBytes: options.maxDecompressedBytes })
    const input = downConvertInput(batch, magic)
    if (input !== null) parts.push(encodeMessageSetSync(input))
  }
  return Buffer.concat(parts)
}
