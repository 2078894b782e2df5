// A record inside a v2 batch (Kafka's DefaultRecord). All lengths are zigzag varints:
//   length varint           bytes of the record after this field
//   attributes int8         unused, 0
//   timestampDelta varlong  timestamp - batch baseTimestamp
//   offsetDelta varint      offset - batch baseOffset
//   keyLength varint, key   -1 = null
//   valueLength varint, value  -1 = null
//   headerCount varint
//   headers: keyLength varint (>= 0) + UTF-8 key, valueLength varint (-1 = null) + value
// The smallest record (null key and value, no headers) takes 7 bytes with its length.

import { ByteReader } from './ByteReader.ts'
import { RecordErrorCode, RecordFormatError } from './RecordFormatError.ts'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.ts'

/** Smallest encoded record, length prefix included. */
export const MIN_RECORD_SIZE = 7

export interface RecordHeader {
  key: string
  value: Buffer | null
}

/** A v2 record as it sits in a batch (deltas relative to the batch header). */
export interface DefaultRecord {
  attributes: number
  timestampDelta: bigint
  offsetDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

function bodySize (r: DefaultRecord, headerKeys: Buffer[]): number {
  let size = 1 + sizeOfVarlong(r.timestampDelta) + sizeOfVarint(r.offsetDelta)
  size += r.key === null ? 1 : sizeOfVarint(r.key.length) + r.key.length
  size += r.value === null ? 1 : sizeOfVarint(r.value.length) + r.value.length
  size += sizeOfVarint(r.headers.length)
  for (let i = 0; i < r.headers.length; i++) {
    const h = r.headers[i] as RecordHeader
    const k = headerKeys[i] as Buffer
    size += sizeOfVarint(k.length) + k.length
    size += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length
  }
  return size
}

/** A record prepared for writing: its size is known and header keys are UTF-8 encoded once. */
export interface SizedRecord {
  record: DefaultRecord
  headerKeys: Buffer[]
  bodySize: number
  /** Total bytes, length prefix included. */
  size: number
}

export function sizeRecord (record: DefaultRecord): SizedRecord {
  const headerKeys = record.headers.map(h => Buffer.from(h.key, 'utf8'))
  const body = bodySize(record, headerKeys)
  return { record, headerKeys, bodySize: body, size: sizeOfVarint(body) + body }
}

/** Writes a sized record at `pos`; returns the position after it. */
export function writeRecord (buf: Buffer, pos: number, sized: SizedRecord): number {
  const r = sized.record
  pos = writeVarint(buf, pos, sized.bodySize)
  buf[pos++] = r.attributes & 0xff
  pos = writeVarlong(buf, pos, r.timestampDelta)
  pos = writeVarint(buf, pos, r.offsetDelta)
  pos = writeNullableBytes(buf, pos, r.key)
  pos = writeNullableBytes(buf, pos, r.value)
  pos = writeVarint(buf, pos, r.headers.length)
  for (let i = 0; i < r.headers.length; i++) {
    const k = sized.headerKeys[i] as Buffer
    pos = writeVarint(buf, pos, k.length)
    pos += k.copy(buf, pos)
    pos = writeNullableBytes(buf, pos, (r.headers[i] as RecordHeader).value)
  }
  return pos
}

function writeNullableBytes (buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1)
  pos = writeVarint(buf, pos, b.length)
  return pos + b.copy(buf, pos)
}

/** Encodes one record on its own (length prefix included). */
export function encodeRecord (record: DefaultRecord): Buffer {
  const sized = sizeRecord(record)
  const buf = Buffer.allocUnsafe(sized.size)
  writeRecord(buf, 0, sized)
  return buf
}

function invalid (reader: ByteReader, what: string): never {
  throw new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `${what} at byte ${reader.pos}`)
}

function readNullableBytes (reader: ByteReader, what: string): Buffer | null {
  const len = reader.readVarint()
  if (len === -1) return null
  if (len < -1) invalid(reader, `negative ${what} length ${len}`)
  return reader.readBytes(len, what)
}

/**
 * Reads one record. Its length is checked against the bytes left, and the record must use exactly
 * that many bytes. Key, value and header values share memory with the reader's buffer.
 */
export function readRecord (reader: ByteReader): DefaultRecord {
  const length = reader.readVarint()
  if (length < MIN_RECORD_SIZE - 1) invalid(reader, `record length ${length} below the minimum`)
  if (length > reader.remaining) invalid(reader, `record length ${length} past the end of the records (${reader.remaining} left)`)
  const end = reader.pos + length
  const r = new ByteReader(reader.buf, reader.pos, end)
  const attributes = r.readInt8()
  const timestampDelta = r.readVarlong()
  const offsetDelta = r.readVarint()
  const key = readNullableBytes(r, 'key')
  const value = readNullableBytes(r, 'value')
  const headerCount = r.readVarint()
  if (headerCount < 0) invalid(r, `negative header count ${headerCount}`)
  // Each header takes at least 2 bytes: refuse a count the bytes left cannot hold before allocating.
  if (headerCount > r.remaining / 2) invalid(r, `header count ${headerCount} exceeds the bytes left`)
  const headers: RecordHeader[] = new Array(headerCount)
  for (let i = 0; i < headerCount; i++) {
    const keyLen = r.readVarint()
    if (keyLen < 0) invalid(r, `negative header key length ${keyLen}`)
    const hkey = r.readBytes(keyLen, 'header key').toString('utf8')
    headers[i] = { key: hkey, value: readNullableBytes(r, 'header value') }
  }
  if (r.pos !== end) invalid(r, `record declares ${length} bytes but uses ${r.pos - reader.pos}`)
  reader.pos = end
  return { attributes, timestampDelta, offsetDelta, key, value, headers }
}

/** Decodes one record from `buf` (length prefix included); the whole buffer must be that record. */
export function decodeRecord (buf: Buffer): DefaultRecord {
  const reader = new ByteReader(buf)
  const record = readRecord(reader)
  if (reader.remaining !== 0) invalid(reader, `${reader.remaining} bytes after the record`)
  return record
}

/** What skimRecords learns from an uncompressed records section without building records. */
export interface RecordsSkim {
  /** offsetDelta of the last record, or -1 when there are none. */
  lastOffsetDelta: number
  /** Largest timestampDelta, or null when there are no records. */
  maxTimestampDelta: bigint | null
  /** Whether the offsetDeltas are exactly 0, 1, ..., count - 1. */
  contiguous: boolean
}

/**
 * Walks `count` records in buf[pos, end) checking each record's length, that offsetDeltas strictly
 * increase from >= 0, and that the records fill the section exactly. Reads only the length,
 * timestampDelta and offsetDelta of each record: no keys, values or headers are sliced.
 */
export function skimRecords (buf: Buffer, pos: number, end: number, count: number): RecordsSkim {
  const reader = new ByteReader(buf, pos, end)
  let prev = -1
  let contiguous = true
  let maxTs: bigint | null = null
  for (let i = 0; i < count; i++) {
    const length = reader.readVarint()
    if (length < MIN_RECORD_SIZE - 1) invalid(reader, `record length ${length} below the minimum`)
    if (length > reader.remaining) invalid(reader, `record ${i} length ${length} past the end of the batch (${reader.remaining} left)`)
    const next = reader.pos + length
    const inner = new ByteReader(buf, reader.pos, next)
    inner.readInt8()
    const ts = inner.readVarlong()
    const offsetDelta = inner.readVarint()
    if (offsetDelta <= prev) invalid(inner, `record ${i} offsetDelta ${offsetDelta} does not increase`)
    if (offsetDelta !== i) contiguous = false
    if (maxTs === null || ts > maxTs) maxTs = ts
    prev = offsetDelta
    reader.pos = next
  }
  if (reader.remaining !== 0) invalid(reader, `${reader.remaining} bytes after record ${count - 1}`)
  return { lastOffsetDelta: prev, maxTimestampDelta: maxTs, contiguous }
}
