// gzip (RFC 1952) and zstd through node:zlib. Both run on the libuv thread pool in their async
// forms, and both enforce the output cap inside zlib (maxOutputLength), so a bomb stops at the cap.

import zlib from 'node:zlib'
import { DecompressionLimitError, RecordErrorCode, RecordFormatError } from '../RecordFormatError.ts'

type ZlibCallback = (err: Error | null, result: Buffer) => void
type AsyncZlib = (buf: Uint8Array, options: zlib.ZlibOptions | zlib.ZstdOptions, cb: ZlibCallback) => void
type SyncZlib = (buf: Uint8Array, options: zlib.ZlibOptions | zlib.ZstdOptions) => Buffer

function run (fn: AsyncZlib, data: Uint8Array, options: zlib.ZlibOptions | zlib.ZstdOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fn(data, options, (err, result) => { if (err) reject(err); else resolve(result) })
  })
}

function isTooLarge (err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
}

function mapError (codec: string, err: unknown, maxBytes: number): RecordFormatError {
  if (isTooLarge(err)) return new DecompressionLimitError(maxBytes, `${codec} data decompresses past ${maxBytes} bytes`)
  const detail = err instanceof Error ? err.message : String(err)
  return new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `invalid ${codec} data: ${detail}`, -1, { cause: err })
}

// maxOutputLength must be >= 1; a cap of 0 is checked after the fact.
function capOptions (maxBytes: number): { maxOutputLength: number } {
  return { maxOutputLength: Math.max(1, Math.min(maxBytes, Number.MAX_SAFE_INTEGER)) }
}

function checkCap (codec: string, out: Buffer, maxBytes: number): Buffer {
  if (out.length > maxBytes) throw new DecompressionLimitError(maxBytes, `${codec} data decompresses past ${maxBytes} bytes`)
  return out
}

export function gzipCompress (data: Uint8Array): Promise<Buffer> {
  return run(zlib.gzip, data, {})
}

export function gzipCompressSync (data: Uint8Array): Buffer {
  return zlib.gzipSync(data)
}

export async function gzipDecompress (data: Uint8Array, maxBytes: number): Promise<Buffer> {
  try {
    return checkCap('gzip', await run(zlib.gunzip, data, capOptions(maxBytes)), maxBytes)
  } catch (err) {
    if (err instanceof RecordFormatError) throw err
    throw mapError('gzip', err, maxBytes)
  }
}

export function gzipDecompressSync (data: Uint8Array, maxBytes: number): Buffer {
  try {
    return checkCap('gzip', zlib.gunzipSync(data, capOptions(maxBytes)), maxBytes)
  } catch (err) {
    if (err instanceof RecordFormatError) throw err
    throw mapError('gzip', err, maxBytes)
  }
}

// zstd arrived in node:zlib with Node 23.8 / 22.15; older runtimes report the codec unsupported.
const zstdCompressFn = (zlib as Partial<typeof zlib>).zstdCompress as AsyncZlib | undefined
const zstdCompressSyncFn = (zlib as Partial<typeof zlib>).zstdCompressSync as SyncZlib | undefined
const zstdDecompressFn = (zlib as Partial<typeof zlib>).zstdDecompress as AsyncZlib | undefined
const zstdDecompressSyncFn = (zlib as Partial<typeof zlib>).zstdDecompressSync as SyncZlib | undefined

function noZstd (): never {
  throw new RecordFormatError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs a Node.js runtime whose zlib has zstd (22.15+)')
}

export function zstdCompress (data: Uint8Array): Promise<Buffer> {
  if (zstdCompressFn === undefined) noZstd()
  return run(zstdCompressFn, data, {})
}

export function zstdCompressSync (data: Uint8Array): Buffer {
  if (zstdCompressSyncFn === undefined) noZstd()
  return zstdCompressSyncFn(data, {})
}

export async function zstdDecompress (data: Uint8Array, maxBytes: number): Promise<Buffer> {
  if (zstdDecompressFn === undefined) noZstd()
  try {
    return checkCap('zstd', await run(zstdDecompressFn, data, capOptions(maxBytes)), maxBytes)
  } catch (err) {
    if (err instanceof RecordFormatError) throw err
    throw mapError('zstd', err, maxBytes)
  }
}

export function zstdDecompressSync (data: Uint8Array, maxBytes: number): Buffer {
  if (zstdDecompressSyncFn === undefined) noZstd()
  try {
    return checkCap('zstd', zstdDecompressSyncFn(data, capOptions(maxBytes)), maxBytes)
  } catch (err) {
    if (err instanceof RecordFormatError) throw err
    throw mapError('zstd', err, maxBytes)
  }
}
