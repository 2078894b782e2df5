import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import * as snappy from 'snappy'
import { compress, compressSync, decompress, decompressSync } from '../../../../../src/protocol/records/compression/compress.ts'
import { CompressionType, compressionName, compressionTypeForName } from '../../../../../src/protocol/records/compression/CompressionType.ts'
import { lz4Compress, lz4DecompressSync, xxh32 } from '../../../../../src/protocol/records/compression/lz4.ts'
import { XERIAL_MAGIC } from '../../../../../src/protocol/records/compression/snappy.ts'
import { DecompressionLimitError, RecordFormatError } from '../../../../../src/protocol/records/RecordFormatError.ts'

const codecs = [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD] as const

function sample (n: number): Buffer {
  const parts: string[] = []
  let len = 0
  for (let i = 0; len < n; i++) {
    const p = `sensor-${i % 37},temp=${(i * 7919) % 1000},`
    parts.push(p)
    len += p.length
  }
  return Buffer.from(parts.join('').slice(0, n))
}

test('codec names follow compression.type', () => {
  assert.equal(compressionName(CompressionType.ZSTD), 'zstd')
  assert.equal(compressionTypeForName('lz4'), CompressionType.LZ4)
  assert.equal(compressionTypeForName('producer'), undefined)
})

for (const codec of codecs) {
  const name = compressionName(codec)

  test(`${name}: async and sync round trips, empty to multi-block`, async () => {
    for (const size of [0, 1, 100, 70_000, 300_000]) {
      const data = sample(size)
      const c = await compress(codec, data)
      assert.deepEqual(await decompress(codec, c, size), data)
      assert.deepEqual(decompressSync(codec, compressSync(codec, data), size), data)
    }
  })

  test(`${name}: decompression stops at maxBytes`, async () => {
    const bomb = compressSync(codec, Buffer.alloc(4 * 1024 * 1024))
    await assert.rejects(decompress(codec, bomb, 1024 * 1024), DecompressionLimitError)
    assert.throws(() => decompressSync(codec, bomb, 1024 * 1024), DecompressionLimitError)
    const data = sample(10_000)
    const c = compressSync(codec, data)
    assert.deepEqual(await decompress(codec, c, data.length), data)
    await assert.rejects(decompress(codec, c, data.length - 1), (err: unknown) => {
      assert.ok(err instanceof DecompressionLimitError)
      assert.equal(err.errorCode, 2)
      assert.equal(err.maxBytes, data.length - 1)
      return true
    })
  })

  test(`${name}: garbage input fails with RecordFormatError only`, async () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), bytes => {
      try {
        decompressSync(codec, Buffer.from(bytes), 1 << 20)
      } catch (err) {
        assert.ok(err instanceof RecordFormatError, `unexpected ${String(err)}`)
      }
    }), { numRuns: 300 })
    const c = compressSync(codec, sample(5000))
    await assert.rejects(decompress(codec, c.subarray(0, c.length - 7), 1 << 20), RecordFormatError)
  })
}

test('unknown codec ids are UNSUPPORTED_COMPRESSION_TYPE', async () => {
  for (const id of [5, 6, 7]) {
    assert.throws(() => decompressSync(id as CompressionType, Buffer.alloc(1), 10), (e: unknown) => e instanceof RecordFormatError && e.errorCode === 76)
    await assert.rejects(decompress(id as CompressionType, Buffer.alloc(1), 10), (e: unknown) => e instanceof RecordFormatError && e.errorCode === 76)
  }
})

test('none: checks the cap and returns the bytes', async () => {
  assert.deepEqual(await decompress(CompressionType.NONE, Buffer.from('abc'), 3), Buffer.from('abc'))
  assert.throws(() => decompressSync(CompressionType.NONE, Buffer.from('abc'), 2), DecompressionLimitError)
})

test('snappy: writes xerial framing and reads both xerial and raw snappy', async () => {
  const data = sample(100_000)
  const framed = await compress(CompressionType.SNAPPY, data)
  assert.deepEqual(framed.subarray(0, 8), XERIAL_MAGIC)
  assert.equal(framed.readInt32BE(8), 1)
  assert.equal(framed.readInt32BE(12), 1)
  // blocks: int32 length + raw snappy, three 32 KiB blocks plus a remainder
  let pos = 16
  let blocks = 0
  while (pos < framed.length) { pos += 4 + framed.readInt32BE(pos); blocks++ }
  assert.equal(pos, framed.length)
  assert.equal(blocks, 4)
  const raw = snappy.compressSync(data)
  assert.deepEqual(await decompress(CompressionType.SNAPPY, raw, data.length), data)
  await assert.rejects(decompress(CompressionType.SNAPPY, raw, data.length - 1), DecompressionLimitError)
})

test('snappy: a raw block declaring a huge length is refused before decoding', () => {
  // uvarint 0xffffffff then one literal: declares 4 GiB
  const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61])
  assert.throws(() => decompressSync(CompressionType.SNAPPY, liar, 1 << 20), DecompressionLimitError)
})

test('xxh32 matches the reference vectors', () => {
  assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05)
  assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff)
  // LZ4 frame header checksums as lz4-napi writes them (FLG 0x60, BD 0x40 / 0x50)
  assert.equal((xxh32(Buffer.from([0x60, 0x40])) >>> 8) & 0xff, 0x82)
  assert.equal((xxh32(Buffer.from([0x60, 0x50])) >>> 8) & 0xff, 0xfb)
})

test('lz4: frame layout, and Kafka magic-0 broken header checksum accepted', async () => {
  const data = sample(1000)
  const good = await lz4Compress(data)
  assert.equal(good.readUInt32LE(0), 0x184d2204)
  assert.equal(good[4]! & 0x20, 0x20, 'independent blocks, as Kafka readers require')
  const broken = await lz4Compress(data, { brokenHeaderChecksum: true })
  assert.equal(broken[6], (xxh32(broken.subarray(0, 6)) >>> 8) & 0xff)
  assert.notEqual(broken[6], good[6])
  assert.deepEqual(lz4DecompressSync(broken, 1000), data)
  const bad = Buffer.from(good)
  bad[6] = (bad[6]! ^ 0x55) & 0xff
  assert.throws(() => lz4DecompressSync(bad, 1000), /header checksum/)
})

function lz4Frame (flg: number, blocks: Buffer[]): Buffer {
  const head = Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, 0x40, 0])
  head[6] = (xxh32(head.subarray(4, 6)) >>> 8) & 0xff
  return Buffer.concat([head, ...blocks, Buffer.alloc(4)])
}

function block (data: Buffer, uncompressed: boolean): Buffer {
  const size = Buffer.alloc(4)
  size.writeUInt32LE((data.length | (uncompressed ? 0x80000000 : 0)) >>> 0)
  return Buffer.concat([size, data])
}

test('lz4: linked blocks may reference the previous block; independent ones may not', () => {
  // block 1 stored: "abcdefgh"; block 2 compressed: match len 8 at offset 8, then literal "X"
  const blocks = [block(Buffer.from('abcdefgh'), true), block(Buffer.from([0x04, 0x08, 0x00, 0x10, 0x58]), false)]
  assert.equal(lz4DecompressSync(lz4Frame(0x40, blocks), 100).toString(), 'abcdefghabcdefghX')
  assert.throws(() => lz4DecompressSync(lz4Frame(0x60, blocks), 100), /outside the window/)
})

test('lz4: overlapping match (run-length) and hand-built literal block', () => {
  // literal "ab", then match offset 2 len 10 -> "abababababab", then literal "!"
  const blk = Buffer.from([0x26, 0x61, 0x62, 0x02, 0x00, 0x10, 0x21])
  assert.equal(lz4DecompressSync(lz4Frame(0x60, [block(blk, false)]), 100).toString(), 'abababababab!')
  assert.throws(() => lz4DecompressSync(lz4Frame(0x60, [block(blk, false)]), 5), DecompressionLimitError)
})

test('lz4: many tiny blocks still honour the cap', () => {
  const blk = block(Buffer.from([0x1f, 0x61, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x10, 0x61]), false)
  const frame = lz4Frame(0x60, new Array(2000).fill(blk))
  assert.throws(() => lz4DecompressSync(frame, 1 << 20), DecompressionLimitError)
  assert.equal(lz4DecompressSync(lz4Frame(0x60, [blk]), 1 << 20).length, 1 + 4 + 15 + 8 * 255 + 1)
})

test('lz4: random block contents inside a valid frame fail only with RecordFormatError', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean(), (bytes, linked) => {
    const frame = lz4Frame(linked ? 0x40 : 0x60, [block(Buffer.from('0123456789'), true), block(Buffer.from(bytes), false)])
    try {
      const out = lz4DecompressSync(frame, 4096)
      assert.ok(out.length <= 4096)
    } catch (err) {
      assert.ok(err instanceof RecordFormatError, `unexpected ${String(err)}`)
    }
  }), { numRuns: 2000 })
})
