// Hand-built record batches v2 for the log tests (the records codec lives elsewhere): a correct
// layout and CRC-32C, uncompressed records with null keys unless given, no headers.

import { gzipSync } from 'node:zlib'
import { crc32c } from '../../../src/protocol/records/crc32c.ts'
import { BatchHeader } from '../../../src/log/BatchHeader.ts'

export interface TestBatch {
  /** Record values (or sizes: a value of that many bytes). */
  values?: Array<string | number | Buffer | null>
  /** Number of records when `values` is absent (each value 'v<i>'). */
  count?: number
  /** Timestamp of each record (default: baseTimestamp + i). */
  timestamps?: number[]
  baseTimestamp?: number
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  /** Compression bits to set in attributes (records stay uncompressed bytes: for header-only tests). */
  compression?: number
  /** gzip the records section and mark the batch gzip (codec 1). */
  gzip?: boolean
}

function zigzag (n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function varint (n: number): number[] {
  let z = zigzag(n)
  const out: number[] = []
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80)
    z = Math.floor(z / 0x80)
  }
  out.push(z)
  return out
}

export function buildBatch (b: TestBatch = {}): Buffer {
  const values = b.values ?? Array.from({ length: b.count ?? 1 }, (_, i) => `v${i}`)
  const baseTs = b.baseTimestamp ?? (b.timestamps?.[0] ?? 1_700_000_000_000)
  const ts = values.map((_, i) => b.timestamps?.[i] ?? baseTs + i)
  const records: Buffer[] = values.map((v, i) => {
    const value = v === null ? null : typeof v === 'number' ? Buffer.alloc(v, 0x61) : Buffer.isBuffer(v) ? v : Buffer.from(v)
    const body = Buffer.from([
      0,
      ...varint((ts[i] as number) - baseTs),
      ...varint(i),
      ...varint(-1),
      ...(value === null ? varint(-1) : varint(value.length)),
    ])
    const tail = Buffer.from(varint(0))
    const parts = value === null ? [body, tail] : [body, value, tail]
    const len = parts.reduce((n, p) => n + p.length, 0)
    return Buffer.concat([Buffer.from(varint(len)), ...parts])
  })
  const recordsBuf = b.gzip === true ? gzipSync(Buffer.concat(records)) : Buffer.concat(records)
  const buf = Buffer.alloc(61 + recordsBuf.length)
  buf.writeBigInt64BE(0n, 0)
  buf.writeInt32BE(buf.length - 12, 8)
  buf.writeInt32BE(-1, 12)
  buf.writeInt8(2, 16)
  buf.writeInt16BE((b.gzip === true ? 1 : b.compression ?? 0) | (b.transactional === true ? 0x10 : 0), 21)
  buf.writeInt32BE(values.length - 1, 23)
  buf.writeBigInt64BE(BigInt(baseTs), 27)
  buf.writeBigInt64BE(BigInt(Math.max(...ts)), 35)
  buf.writeBigInt64BE(BigInt(b.producerId ?? -1), 43)
  buf.writeInt16BE(b.producerEpoch ?? -1, 51)
  buf.writeInt32BE(b.baseSequence ?? -1, 53)
  buf.writeInt32BE(values.length, 57)
  recordsBuf.copy(buf, 61)
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17)
  return buf
}

export interface ParsedBatch {
  baseOffset: number
  lastOffset: number
  size: number
  maxTimestamp: number
  partitionLeaderEpoch: number
  attributes: number
  crcOk: boolean
}

/** Whole batches in `buf` (a trailing partial batch is ignored, as clients do). */
export function parseBatches (buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = []
  const h = new BatchHeader()
  let pos = 0
  while (buf.length - pos >= 61) {
    h.read(buf, pos, pos)
    if (pos + h.size > buf.length) break
    out.push({
      baseOffset: h.baseOffset,
      lastOffset: h.lastOffset,
      size: h.size,
      maxTimestamp: h.maxTimestamp,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      attributes: h.attributes,
      crcOk: crc32c(buf.subarray(pos + 21, pos + h.size)) === h.crc,
    })
    pos += h.size
  }
  return out
}
