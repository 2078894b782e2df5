// Snappy as Kafka uses it. Writers (Kafka's Java client through snappy-java) frame raw snappy
// blocks with xerial's stream header:
//   magic 82 53 4E 41 50 50 59 00 | int32 version (1) | int32 min compatible version (1)
//   then blocks: int32 compressed length | raw snappy block
// Some clients send one plain raw snappy block instead, so readers accept both (detected by the
// magic). Raw snappy blocks open with a uvarint holding their uncompressed length; that preamble is
// checked against the cap before the native decoder allocates anything.

import * as snappy from 'snappy'
import { DecompressionLimitError, RecordErrorCode, RecordFormatError } from '../RecordFormatError.ts'

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_SIZE = 16
/** Uncompressed bytes per xerial block we write (snappy-java's default block size). */
export const SNAPPY_BLOCK_SIZE = 32 * 1024

function corrupt (detail: string, cause?: unknown): RecordFormatError {
  return new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `invalid snappy data: ${detail}`, -1, cause === undefined ? undefined : { cause })
}

function xerialHeader (): Buffer {
  const h = Buffer.alloc(XERIAL_HEADER_SIZE)
  XERIAL_MAGIC.copy(h, 0)
  h.writeInt32BE(1, 8)
  h.writeInt32BE(1, 12)
  return h
}

function frame (blocks: Buffer[]): Buffer {
  const parts: Buffer[] = [xerialHeader()]
  for (const b of blocks) {
    const len = Buffer.allocUnsafe(4)
    len.writeInt32BE(b.length, 0)
    parts.push(len, b)
  }
  return Buffer.concat(parts)
}

function chunks (data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < data.length; i += SNAPPY_BLOCK_SIZE) out.push(data.subarray(i, i + SNAPPY_BLOCK_SIZE))
  if (out.length === 0) out.push(data)
  return out
}

/** Xerial-framed snappy, as Kafka's Java producer writes it. */
export async function snappyCompress (data: Uint8Array): Promise<Buffer> {
  const blocks: Buffer[] = []
  for (const c of chunks(data)) blocks.push(await snappy.compress(c))
  return frame(blocks)
}

export function snappyCompressSync (data: Uint8Array): Buffer {
  return frame(chunks(data).map(c => snappy.compressSync(c)))
}

/** The uncompressed length a raw snappy block declares (its leading uvarint, at most 32 bits). */
function declaredLength (block: Uint8Array): number {
  let value = 0
  for (let i = 0; i < 5; i++) {
    const b = block[i]
    if (b === undefined) throw corrupt('truncated length preamble')
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) break
      return value
    }
  }
  throw corrupt('length preamble longer than 32 bits')
}

function isXerial (data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_SIZE) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false
  return true
}

/** Splits input into raw snappy blocks, checking the declared sizes against the cap first. */
function plan (data: Uint8Array, maxBytes: number): Uint8Array[] {
  const blocks: Uint8Array[] = []
  if (isXerial(data)) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    let pos = XERIAL_HEADER_SIZE
    while (pos < data.length) {
      if (data.length - pos < 4) throw corrupt('truncated xerial block length')
      const len = view.getInt32(pos)
      pos += 4
      if (len < 0 || len > data.length - pos) throw corrupt(`xerial block length ${len} past the end of the data`)
      blocks.push(data.subarray(pos, pos + len))
      pos += len
    }
  } else {
    blocks.push(data)
  }
  let total = 0
  for (const b of blocks) {
    total += declaredLength(b)
    if (total > maxBytes) throw new DecompressionLimitError(maxBytes, `snappy data declares more than ${maxBytes} bytes`)
  }
  return blocks
}

function asBuffer (out: string | Buffer): Buffer {
  if (typeof out === 'string') throw corrupt('decoder returned a string')
  return out
}

/** Xerial-framed or raw snappy; fails with DecompressionLimitError past maxBytes. */
export async function snappyDecompress (data: Uint8Array, maxBytes: number): Promise<Buffer> {
  const blocks = plan(data, maxBytes)
  const out: Buffer[] = []
  try {
    for (const b of blocks) out.push(asBuffer(await snappy.uncompress(b)))
  } catch (err) {
    if (err instanceof RecordFormatError) throw err
    throw corrupt(err instanceof Error ? err.message : String(err), err)
  }
  return out.length === 1 ? out[0] as Buffer : Buffer.concat(out)
}

export function snappyDecompressSync (data: Uint8Array, maxBytes: number): Buffer {
  const blocks = plan(data, maxBytes)
  const out: Buffer[] = []
  try {
    for (const b of blocks) out.push(asBuffer(snappy.uncompressSync(b)))
  } catch (err) {
    if (err instanceof RecordFormatError) throw err
    throw corrupt(err instanceof Error ? err.message : String(err), err)
  }
  return out.length === 1 ? out[0] as Buffer : Buffer.concat(out)
}
