// Record batch v2 (magic 2): the unit a producer sends, the log stores and a consumer fetches.
//
// Layout (big-endian), 61-byte header then records:
//   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
//  17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
//  27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
//  53 baseSequence int32 | 57 recordsCount int32 | 61 records (compressed as one unit if codec != 0)
// batchLength counts the bytes after itself, so a batch occupies batchLength + 12 bytes.
// baseOffset and partitionLeaderEpoch lie outside the CRC: the broker rewrites them in place.

export const BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const PARTITION_LEADER_EPOCH = 12
export const MAGIC = 16
export const CRC = 17
export const ATTRIBUTES = 21
export const LAST_OFFSET_DELTA = 23
export const BASE_TIMESTAMP = 27
export const MAX_TIMESTAMP = 35
export const PRODUCER_ID = 43
export const PRODUCER_EPOCH = 51
export const BASE_SEQUENCE = 53
export const RECORDS_COUNT = 57
export const BATCH_HEADER_SIZE = 61
/** Bytes before batchLength's count starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12

export const Attributes = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const
