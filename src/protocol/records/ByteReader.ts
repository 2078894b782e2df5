// A bounds-checked cursor over a byte range of a record batch or legacy message. Every read checks
// the bytes left first and throws RecordFormatError(CORRUPT_MESSAGE) instead of reading past `end`,
// and readBytes() checks a decoded length against the bytes left before slicing, so a hostile
// length never allocates. Slices share memory with the source buffer (no copy).

import { RecordErrorCode, RecordFormatError } from './RecordFormatError.ts'

export class ByteReader {
  readonly buf: Buffer
  pos: number
  readonly end: number

  constructor (buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  get remaining (): number {
    return this.end - this.pos
  }

  fail (what: string): never {
    throw new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `${what} at byte ${this.pos}`)
  }

  private need (n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(`truncated ${what}`)
  }

  readInt8 (): number {
    this.need(1, 'int8')
    return this.buf.readInt8(this.pos++)
  }

  readInt16 (): number {
    this.need(2, 'int16')
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }

  readInt32 (): number {
    this.need(4, 'int32')
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  readUInt32 (): number {
    this.need(4, 'uint32')
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  readInt64 (): bigint {
    this.need(8, 'int64')
    const v = this.buf.readBigInt64BE(this.pos)
    this.pos += 8
    return v
  }

  /** A zigzag varint (int32), at most 5 bytes. Bits past 32 in a 5th byte are dropped, as Kafka does. */
  readVarint (): number {
    const buf = this.buf
    let raw = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail('truncated varint')
      const b = buf[this.pos++] as number
      raw |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1)
      shift += 7
    }
    return this.fail('varint longer than 5 bytes')
  }

  /** A zigzag varlong (int64), at most 10 bytes. */
  readVarlong (): bigint {
    const buf = this.buf
    // Up to 4 bytes (28 bits) in plain number arithmetic: the common case for timestamp deltas.
    let small = 0
    let shift = 0
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong')
      const b = buf[this.pos++] as number
      small |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return BigInt((small >>> 1) ^ -(small & 1))
      shift += 7
    }
    let raw = BigInt(small)
    let bshift = 28n
    for (let i = 4; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong')
      const b = buf[this.pos++] as number
      raw |= BigInt(b & 0x7f) << bshift
      if ((b & 0x80) === 0) {
        raw &= 0xffffffffffffffffn
        return (raw >> 1n) ^ -(raw & 1n)
      }
      bshift += 7n
    }
    return this.fail('varlong longer than 10 bytes')
  }

  /** Skips a varlong without building its value. */
  skipVarlong (): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong')
      if (((this.buf[this.pos++] as number) & 0x80) === 0) return
    }
    this.fail('varlong longer than 10 bytes')
  }

  /** `n` bytes as a slice sharing the source's memory; `n` is checked against the bytes left first. */
  readBytes (n: number, what = 'bytes'): Buffer {
    if (n < 0) this.fail(`negative ${what} length ${n}`)
    this.need(n, what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  skip (n: number, what = 'bytes'): void {
    if (n < 0) this.fail(`negative ${what} length ${n}`)
    this.need(n, what)
    this.pos += n
  }
}
