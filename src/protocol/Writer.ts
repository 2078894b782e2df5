// Writes Kafka wire primitives. Small values go into a growing scratch buffer; large byte
// payloads (records, big bytes fields) are kept as separate chunks and never copied, so a fetch
// response can be written with writev straight from the buffers read from the log.

/** Payloads at least this large are kept as their own chunk instead of being copied. */
export const ZERO_COPY_THRESHOLD = 1024
const INITIAL_SIZE = 256

export class Writer {
  private chunks: Buffer[] = []
  private buf: Buffer
  private pos = 0
  /** Bytes in this.chunks. */
  private flushed = 0

  constructor (initialSize = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  get length (): number { return this.flushed + this.pos }

  private ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    if (this.pos > 0) {
      // Keep what was written and start a new scratch buffer at least twice as large.
      this.chunks.push(this.buf.subarray(0, this.pos))
      this.flushed += this.pos
    }
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2))
    this.pos = 0
  }

  bool (v: boolean): this { this.ensure(1); this.buf[this.pos++] = v ? 1 : 0; return this }
  int8 (v: number): this { this.ensure(1); this.pos = this.buf.writeInt8(v, this.pos); return this }
  int16 (v: number): this { this.ensure(2); this.pos = this.buf.writeInt16BE(v, this.pos); return this }
  uint16 (v: number): this { this.ensure(2); this.pos = this.buf.writeUInt16BE(v, this.pos); return this }
  int32 (v: number): this { this.ensure(4); this.pos = this.buf.writeInt32BE(v, this.pos); return this }
  uint32 (v: number): this { this.ensure(4); this.pos = this.buf.writeUInt32BE(v, this.pos); return this }
  int64 (v: bigint): this { this.ensure(8); this.pos = this.buf.writeBigInt64BE(v, this.pos); return this }
  float64 (v: number): this { this.ensure(8); this.pos = this.buf.writeDoubleBE(v, this.pos); return this }

  uvarint (v: number): this {
    this.ensure(5)
    let n = v >>> 0
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    this.buf[this.pos++] = n
    return this
  }

  varint (v: number): this { return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0) }

  varlong (v: bigint): this {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    this.ensure(10)
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    this.buf[this.pos++] = Number(z)
    return this
  }

  uuid (v: string): this {
    const b = Buffer.from(v, 'base64url')
    if (b.length !== 16) throw new RangeError(`uuid '${v}' is not 16 bytes`)
    return this.raw(b)
  }

  /** Length prefix: -1/0 for null, handled by the caller through `n`. */
  sizePrefix (n: number, compact: boolean, wide: boolean): this {
    if (compact) return this.uvarint(n + 1)
    return wide ? this.int32(n) : this.int16(n)
  }

  utf8 (s: string, byteLength: number): this {
    this.ensure(byteLength)
    this.pos += this.buf.write(s, this.pos, 'utf8')
    return this
  }

  /** Appends bytes; large ones are referenced, not copied. */
  raw (b: Uint8Array): this {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      if (this.pos > 0) {
        this.chunks.push(this.buf.subarray(0, this.pos))
        this.flushed += this.pos
        this.buf = this.buf.subarray(this.pos)
        this.pos = 0
      }
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length))
      this.flushed += b.length
      return this
    }
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  /** Appends everything another writer holds. */
  append (w: Writer): this {
    for (const c of w.toChunks()) this.raw(c)
    return this
  }

  /** The written bytes as chunks, in order (for writev). The writer must not be used afterwards. */
  toChunks (): Buffer[] {
    const out = this.chunks
    if (this.pos > 0) out.push(this.buf.subarray(0, this.pos))
    return out
  }

  /** The written bytes as one Buffer. */
  toBuffer (): Buffer {
    const chunks = this.toChunks()
    return chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks)
  }
}
