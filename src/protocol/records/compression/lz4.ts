// LZ4 frame format (magic 0x184D2204), the container Kafka uses for codec 3:
//   magic u32le | FLG u8 | BD u8 | [content size u64le] | [dict id u32le] | HC u8
//   blocks: u32le size (high bit = stored uncompressed; 0 = end mark) | data | [u32le block checksum]
//   [u32le content checksum]
// FLG: bits 7-6 version (01), 5 block independence, 4 block checksum, 3 content size,
// 2 content checksum, 1 reserved, 0 dict id. BD bits 6-4: block max size (4=64KB .. 7=4MB).
// HC = (xxh32(descriptor bytes, seed 0) >> 8) & 0xff.
//
// Kafka quirk: magic 0 messages were written with HC computed over the magic number too (the
// "broken" checksum KafkaLZ4BlockOutputStream keeps for magic 0). We write that variant when asked
// and, like librdkafka, accept either checksum on read (the batch CRC already guards the bytes).
//
// Compression is native (lz4-napi, independent blocks, no checksums beyond the frame header).
// Decompression is done here, in one pass into a single output buffer: that enforces the cap
// exactly and handles linked blocks (python-lz4's default) as well as independent ones.

import * as lz4 from 'lz4-napi'
import { DecompressionLimitError, RecordErrorCode, RecordFormatError } from '../RecordFormatError.ts'

export const LZ4_FRAME_MAGIC = 0x184d2204

const P1 = 2654435761
const P2 = 2246822519
const P3 = 3266489917
const P4 = 668265263
const P5 = 374761393

function rotl (x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0
}

function round (acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) >>> 0, 13), P1) >>> 0
}

function u32le (b: Uint8Array, i: number): number {
  return ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0
}

/** XXH32 of `data` (used for LZ4 frame header checksums). */
export function xxh32 (data: Uint8Array, seed = 0): number {
  const len = data.length
  let i = 0
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0
    let v2 = (seed + P2) >>> 0
    let v3 = seed >>> 0
    let v4 = (seed - P1) >>> 0
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, u32le(data, i))
      v2 = round(v2, u32le(data, i + 4))
      v3 = round(v3, u32le(data, i + 8))
      v4 = round(v4, u32le(data, i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0
  } else {
    h = (seed + P5) >>> 0
  }
  h = (h + len) >>> 0
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(u32le(data, i), P3)) >>> 0, 17), P4) >>> 0
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(data[i] as number, P5)) >>> 0, 11), P1) >>> 0
  h ^= h >>> 15
  h = Math.imul(h, P2) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, P3) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

export interface Lz4CompressOptions {
  /** Write the header checksum over magic + descriptor, as Kafka does for magic 0 messages. */
  brokenHeaderChecksum?: boolean
}

function corrupt (detail: string): RecordFormatError {
  return new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `invalid lz4 data: ${detail}`)
}

interface FrameHeader {
  flg: number
  blockMax: number
  /** Bytes from the magic to the end of the descriptor, header checksum excluded. */
  descriptorEnd: number
  contentSize: number | null
}

function parseHeader (data: Uint8Array): FrameHeader {
  if (data.length < 7) throw corrupt('truncated frame header')
  if (u32le(data, 0) !== LZ4_FRAME_MAGIC) throw corrupt('bad frame magic')
  const flg = data[4] as number
  const bd = data[5] as number
  if ((flg >>> 6) !== 1) throw corrupt(`unsupported frame version ${flg >>> 6}`)
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw corrupt('reserved frame descriptor bits set')
  if ((flg & 0x01) !== 0) throw corrupt('dictionary ids are not supported')
  const sizeCode = (bd >>> 4) & 0x07
  if (sizeCode < 4) throw corrupt(`invalid block max size code ${sizeCode}`)
  const blockMax = 1 << (8 + 2 * sizeCode)
  let pos = 6
  let contentSize: number | null = null
  if ((flg & 0x08) !== 0) {
    if (data.length < pos + 9) throw corrupt('truncated frame header')
    const lo = u32le(data, pos)
    const hi = u32le(data, pos + 4)
    contentSize = hi * 2 ** 32 + lo
    pos += 8
  }
  return { flg, blockMax, descriptorEnd: pos, contentSize }
}

function fixHeaderChecksum (frame: Buffer, broken: boolean): Buffer {
  const h = parseHeader(frame)
  const from = broken ? 0 : 4
  frame[h.descriptorEnd] = (xxh32(frame.subarray(from, h.descriptorEnd)) >>> 8) & 0xff
  return frame
}

/** An LZ4 frame of `data` (independent blocks). */
export async function lz4Compress (data: Uint8Array, options: Lz4CompressOptions = {}): Promise<Buffer> {
  const frame = await lz4.compressFrame(data)
  return options.brokenHeaderChecksum === true ? fixHeaderChecksum(frame, true) : frame
}

export function lz4CompressSync (data: Uint8Array, options: Lz4CompressOptions = {}): Buffer {
  const frame = lz4.compressFrameSync(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  return options.brokenHeaderChecksum === true ? fixHeaderChecksum(frame, true) : frame
}

/**
 * Decodes one LZ4 frame (trailing bytes after the frame are rejected). Header checksums are
 * accepted in both the standard and Kafka's magic-0 form; block and content checksums are skipped.
 */
export function lz4DecompressSync (data: Uint8Array, maxBytes: number): Buffer {
  const header = parseHeader(data)
  const hcPos = header.descriptorEnd
  const hc = data[hcPos] as number
  const good = (xxh32(data.subarray(4, hcPos)) >>> 8) & 0xff
  if (hc !== good && hc !== ((xxh32(data.subarray(0, hcPos)) >>> 8) & 0xff)) throw corrupt('bad frame header checksum')
  const blockChecksum = (header.flg & 0x10) !== 0 ? 4 : 0
  const linked = (header.flg & 0x20) === 0

  // First pass: walk the block sizes to bound the output before allocating it.
  let bound = 0
  let pos = hcPos + 1
  for (;;) {
    if (data.length - pos < 4) throw corrupt('truncated block size')
    const word = u32le(data, pos)
    pos += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    if (size > header.blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's ${header.blockMax}`)
    if (data.length - pos < size + blockChecksum) throw corrupt('truncated block')
    bound += (word & 0x80000000) !== 0 ? size : header.blockMax
    pos += size + blockChecksum
  }
  if ((header.flg & 0x04) !== 0) pos += 4
  if (pos !== data.length) throw corrupt(pos > data.length ? 'truncated content checksum' : 'bytes after the end mark')
  if (header.contentSize !== null) {
    if (header.contentSize > maxBytes) throw new DecompressionLimitError(maxBytes, `lz4 frame declares ${header.contentSize} bytes`)
    bound = Math.min(bound, header.contentSize)
  }

  // The output grows by doubling up to min(bound, maxBytes), so a small hostile frame costs little.
  const out = new Output(Math.min(bound, maxBytes), Math.min(bound, maxBytes, Math.max(64 * 1024, data.length * 4)))
  pos = hcPos + 1
  for (;;) {
    const word = u32le(data, pos)
    pos += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    const blockStart = out.op
    // Past `limit` a block is either over its declared maximum (corrupt) or over the cap.
    const blockLimit = blockStart + header.blockMax
    const capped = blockLimit > out.hardLimit && out.hardLimit === maxBytes
    const limit = Math.min(blockLimit, out.hardLimit)
    const overflow = (): never => {
      if (capped) throw new DecompressionLimitError(maxBytes, `lz4 data decompresses past ${maxBytes} bytes`)
      throw corrupt('block decompresses past its maximum size')
    }
    if ((word & 0x80000000) !== 0) {
      if (size > limit - out.op) overflow()
      out.reserve(size)
      out.buf.set(data.subarray(pos, pos + size), out.op)
      out.op += size
    } else {
      decodeBlock(data, pos, pos + size, out, limit, linked ? 0 : blockStart, overflow)
    }
    pos += size + blockChecksum
  }
  if (header.contentSize !== null && out.op !== header.contentSize) throw corrupt(`frame declares ${header.contentSize} bytes but holds ${out.op}`)
  return out.buf.subarray(0, out.op)
}

class Output {
  buf: Buffer
  op = 0
  readonly hardLimit: number
  constructor (hardLimit: number, initial: number) {
    this.hardLimit = hardLimit
    this.buf = Buffer.allocUnsafe(initial)
  }

  /** Makes room for n more bytes; callers have checked op + n <= hardLimit. */
  reserve (n: number): void {
    if (this.op + n <= this.buf.length) return
    const size = Math.min(this.hardLimit, Math.max(this.buf.length * 2, this.op + n))
    const grown = Buffer.allocUnsafe(size)
    this.buf.copy(grown, 0, 0, this.op)
    this.buf = grown
  }
}

/** Async form of lz4DecompressSync (decoding runs on the calling thread). */
export async function lz4Decompress (data: Uint8Array, maxBytes: number): Promise<Buffer> {
  return lz4DecompressSync(data, maxBytes)
}

/**
 * Decodes one LZ4 block src[ip, iend) into `out`, writing no further than `limit`. Matches may
 * reach back to `windowStart` (the block start for independent blocks, 0 for linked ones).
 */
function decodeBlock (src: Uint8Array, ip: number, iend: number, out: Output, limit: number,
  windowStart: number, overflow: () => never): void {
  if (ip === iend) throw corrupt('empty compressed block')
  for (;;) {
    const token = src[ip++] as number
    let litLen = token >>> 4
    if (litLen === 15) {
      let b: number
      do {
        if (ip >= iend) throw corrupt('truncated literal length')
        b = src[ip++] as number
        litLen += b
      } while (b === 255)
    }
    if (litLen > iend - ip) throw corrupt('literals past the end of the block')
    if (litLen > limit - out.op) overflow()
    out.reserve(litLen)
    let buf = out.buf
    let op = out.op
    if (litLen < 16) {
      for (let i = 0; i < litLen; i++) buf[op++] = src[ip++] as number
    } else {
      buf.set(src.subarray(ip, ip + litLen), op)
      ip += litLen
      op += litLen
    }
    out.op = op
    if (ip === iend) return // the last sequence carries literals only
    if (iend - ip < 2) throw corrupt('truncated match offset')
    const offset = (src[ip] as number) | ((src[ip + 1] as number) << 8)
    ip += 2
    if (offset === 0 || offset > op - windowStart) throw corrupt(`match offset ${offset} outside the window`)
    let matchLen = (token & 0x0f) + 4
    if ((token & 0x0f) === 15) {
      let b: number
      do {
        if (ip >= iend) throw corrupt('truncated match length')
        b = src[ip++] as number
        matchLen += b
      } while (b === 255)
    }
    if (matchLen > limit - op) overflow()
    out.reserve(matchLen)
    buf = out.buf
    let m = op - offset
    if (offset >= matchLen) {
      buf.copyWithin(op, m, m + matchLen)
      op += matchLen
    } else {
      for (let i = 0; i < matchLen; i++) buf[op++] = buf[m++] as number
    }
    out.op = op
  }
}
