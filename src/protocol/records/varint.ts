// Zigzag varints as used inside v2 records (Kafka's ByteUtils.writeVarint/writeVarlong):
// zigzag maps signed to unsigned (0->0, -1->1, 1->2, -2->3 ...), then 7 bits per byte, least
// significant group first, high bit set when more bytes follow. A varint (int32) takes 1-5
// bytes, a varlong (int64) 1-10. Reading lives in ByteReader.

const INT64_MASK = 0xffffffffffffffffn

/** Bytes needed for `n` (an int32) as a zigzag varint. */
export function sizeOfVarint (n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0
  let size = 1
  while (v >= 0x80) { v >>>= 7; size++ }
  return size
}

/** Writes `n` (an int32) as a zigzag varint at `pos`; returns the position after it. */
export function writeVarint (buf: Uint8Array, pos: number, n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
  return pos
}

function zigzag64 (n: bigint): bigint {
  return ((n << 1n) ^ (n >> 63n)) & INT64_MASK
}

/** Bytes needed for `n` (an int64) as a zigzag varlong. */
export function sizeOfVarlong (n: bigint): number {
  if (n >= -0x40000000n && n < 0x40000000n) return sizeOfVarint(Number(n))
  let v = zigzag64(n)
  let size = 1
  while (v >= 0x80n) { v >>= 7n; size++ }
  return size
}

/** Writes `n` (an int64) as a zigzag varlong at `pos`; returns the position after it. */
export function writeVarlong (buf: Uint8Array, pos: number, n: bigint): number {
  if (n >= -0x40000000n && n < 0x40000000n) return writeVarint(buf, pos, Number(n))
  let v = zigzag64(n)
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80
    v >>= 7n
  }
  buf[pos++] = Number(v)
  return pos
}
