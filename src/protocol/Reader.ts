// Reads Kafka wire primitives from a Buffer. Every read is bounds-checked: running past the end,
// a length or count larger than the bytes left, an over-long varint or a null where none is
// allowed raises DecodeError, before anything is allocated.

export class DecodeError extends Error {
  override readonly name = 'DecodeError'
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export class Reader {
  readonly buf: Buffer
  offset: number
  readonly end: number

  constructor (buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf
    this.offset = offset
    this.end = end
  }

  get remaining (): number { return this.end - this.offset }

  private need (n: number): number {
    const at = this.offset
    if (n > this.end - at) throw new DecodeError(`need ${n} bytes at ${at}, have ${this.end - at}`)
    this.offset = at + n
    return at
  }

  bool (): boolean { return this.buf[this.need(1)] !== 0 }
  int8 (): number { return this.buf.readInt8(this.need(1)) }
  int16 (): number { return this.buf.readInt16BE(this.need(2)) }
  uint16 (): number { return this.buf.readUInt16BE(this.need(2)) }
  int32 (): number { return this.buf.readInt32BE(this.need(4)) }
  uint32 (): number { return this.buf.readUInt32BE(this.need(4)) }
  int64 (): bigint { return this.buf.readBigInt64BE(this.need(8)) }
  float64 (): number { return this.buf.readDoubleBE(this.need(8)) }

  /** Unsigned varint of at most 5 bytes (32 bits). */
  uvarint (): number {
    let result = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1)] as number
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new DecodeError('uvarint overflows 32 bits')
        return result
      }
      shift += 7
    }
    throw new DecodeError('uvarint longer than 5 bytes')
  }

  /** Signed zigzag varint (32 bits). */
  varint (): number {
    const z = this.uvarint()
    return (z >>> 1) ^ -(z & 1)
  }

  /** Signed zigzag varlong (64 bits), as a bigint. */
  varlong (): bigint {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.need(1)] as number
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n)
      shift += 7n
    }
    throw new DecodeError('varlong longer than 10 bytes')
  }

  uuid (): string {
    const at = this.need(16)
    return this.buf.toString('base64url', at, at + 16)
  }

  /** A length: int16/int32 (-1 = null) or compact uvarint (0 = null), checked against what is left. */
  length (compact: boolean, wide: boolean): number {
    let n: number
    if (compact) n = this.uvarint() - 1
    else n = wide ? this.int32() : this.int16()
    if (n < -1) throw new DecodeError(`negative length ${n}`)
    if (n > this.end - this.offset) throw new DecodeError(`length ${n} exceeds the ${this.end - this.offset} bytes left`)
    return n
  }

  /** A string body of n bytes (n already validated). */
  utf8 (n: number): string {
    const at = this.need(n)
    return this.buf.toString('utf8', at, at + n)
  }

  /** n bytes, sharing memory with the input (no copy). */
  slice (n: number): Buffer {
    const at = this.need(n)
    return this.buf.subarray(at, at + n)
  }

  skip (n: number): void { this.need(n) }
}
