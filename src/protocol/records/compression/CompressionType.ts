// Compression codec ids: bits 0-2 of a v2 batch's attributes, and of a legacy message's
// attributes (magic 0/1 stop at 3). 5-7 are invalid.

export const CompressionType = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const
export type CompressionType = typeof CompressionType[keyof typeof CompressionType]

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CompressionName = typeof NAMES[number]

export function isCompressionType (id: number): id is CompressionType {
  return Number.isInteger(id) && id >= 0 && id <= 4
}

/** Kafka's name for a codec ('none', 'gzip', 'snappy', 'lz4', 'zstd'), as used by compression.type. */
export function compressionName (type: CompressionType): CompressionName {
  return NAMES[type]
}

/** The codec for a compression.type value, or undefined ('producer' and unknown names). */
export function compressionTypeForName (name: string): CompressionType | undefined {
  const i = (NAMES as readonly string[]).indexOf(name)
  return i < 0 ? undefined : i as CompressionType
}
