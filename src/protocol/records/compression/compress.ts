// One entry point per direction for every codec Kafka knows. The async forms are the broker's:
// gzip, zstd and snappy run on the libuv thread pool; lz4 compresses on the pool and decodes on the
// calling thread. Every decompression takes `maxBytes` and fails with DecompressionLimitError past it.

import { DecompressionLimitError, RecordErrorCode, RecordFormatError } from '../RecordFormatError.ts'
import { CompressionType } from './CompressionType.ts'
import { lz4Compress, lz4CompressSync, lz4Decompress, lz4DecompressSync } from './lz4.ts'
import { snappyCompress, snappyCompressSync, snappyDecompress, snappyDecompressSync } from './snappy.ts'
import {
  gzipCompress, gzipCompressSync, gzipDecompress, gzipDecompressSync,
  zstdCompress, zstdCompressSync, zstdDecompress, zstdDecompressSync,
} from './zlibCodecs.ts'

export interface CompressOptions {
  /** LZ4 only: Kafka's magic-0 header checksum (see lz4.ts). */
  lz4BrokenHeaderChecksum?: boolean
}

function unsupported (type: number): never {
  throw new RecordFormatError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${type}`)
}

function copy (data: Uint8Array): Buffer {
  return Buffer.from(data)
}

export function compress (type: CompressionType, data: Uint8Array, options: CompressOptions = {}): Promise<Buffer> {
  switch (type) {
    case CompressionType.NONE: return Promise.resolve(copy(data))
    case CompressionType.GZIP: return gzipCompress(data)
    case CompressionType.SNAPPY: return snappyCompress(data)
    case CompressionType.LZ4: return lz4Compress(data, { brokenHeaderChecksum: options.lz4BrokenHeaderChecksum })
    case CompressionType.ZSTD: return zstdCompress(data)
    default: return unsupported(type)
  }
}

export function compressSync (type: CompressionType, data: Uint8Array, options: CompressOptions = {}): Buffer {
  switch (type) {
    case CompressionType.NONE: return copy(data)
    case CompressionType.GZIP: return gzipCompressSync(data)
    case CompressionType.SNAPPY: return snappyCompressSync(data)
    case CompressionType.LZ4: return lz4CompressSync(data, { brokenHeaderChecksum: options.lz4BrokenHeaderChecksum })
    case CompressionType.ZSTD: return zstdCompressSync(data)
    default: return unsupported(type)
  }
}

function checkedNone (data: Uint8Array, maxBytes: number): Buffer {
  if (data.length > maxBytes) throw new DecompressionLimitError(maxBytes)
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/** Decompresses `data`; throws RecordFormatError (CORRUPT_MESSAGE, or DecompressionLimitError past maxBytes). */
export function decompress (type: CompressionType, data: Uint8Array, maxBytes: number): Promise<Buffer> {
  switch (type) {
    case CompressionType.NONE: return Promise.resolve().then(() => checkedNone(data, maxBytes))
    case CompressionType.GZIP: return gzipDecompress(data, maxBytes)
    case CompressionType.SNAPPY: return snappyDecompress(data, maxBytes)
    case CompressionType.LZ4: return lz4Decompress(data, maxBytes)
    case CompressionType.ZSTD: return zstdDecompress(data, maxBytes)
    default: return Promise.resolve().then(() => unsupported(type))
  }
}

export function decompressSync (type: CompressionType, data: Uint8Array, maxBytes: number): Buffer {
  switch (type) {
    case CompressionType.NONE: return checkedNone(data, maxBytes)
    case CompressionType.GZIP: return gzipDecompressSync(data, maxBytes)
    case CompressionType.SNAPPY: return snappyDecompressSync(data, maxBytes)
    case CompressionType.LZ4: return lz4DecompressSync(data, maxBytes)
    case CompressionType.ZSTD: return zstdDecompressSync(data, maxBytes)
    default: return unsupported(type)
  }
}
