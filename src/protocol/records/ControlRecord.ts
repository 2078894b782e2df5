// Control records: the single record of a control batch (attribute bit 5). Never shown to
// applications. Key: int16 version (0), int16 type. For ABORT and COMMIT (transaction markers,
// whose batch also has the transactional bit and carries the producer's id and epoch) the value
// is int16 version (0), int32 coordinatorEpoch. Types 2-6 belong to KRaft's metadata log.

import { ByteReader } from './ByteReader.ts'
import { encodeRecordBatchSync, NO_PARTITION_LEADER_EPOCH } from './RecordBatch.ts'
import { RecordErrorCode, RecordFormatError } from './RecordFormatError.ts'

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const
export type ControlRecordType = typeof ControlRecordType[keyof typeof ControlRecordType]

export const CONTROL_RECORD_KEY_VERSION = 0
export const END_TXN_MARKER_VERSION = 0

export interface ControlRecordKey {
  version: number
  /** Any int16: unknown types are reported as they are, for the caller to skip. */
  type: number
}

export function encodeControlRecordKey (type: number, version = CONTROL_RECORD_KEY_VERSION): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeInt16BE(version, 0)
  b.writeInt16BE(type, 2)
  return b
}

/** Reads a control record key; bytes after the type (a newer key version) are ignored, as Kafka does. */
export function decodeControlRecordKey (key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < 4) {
    throw new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `control record key of ${key === null ? 'null' : key.length} bytes, need 4`)
  }
  const r = new ByteReader(key)
  const version = r.readInt16()
  return { version, type: r.readInt16() }
}

export interface EndTxnMarker {
  version: number
  coordinatorEpoch: number
}

export function encodeEndTxnMarkerValue (coordinatorEpoch: number, version = END_TXN_MARKER_VERSION): Buffer {
  const b = Buffer.allocUnsafe(6)
  b.writeInt16BE(version, 0)
  b.writeInt32BE(coordinatorEpoch, 2)
  return b
}

export function decodeEndTxnMarkerValue (value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < 6) {
    throw new RecordFormatError(RecordErrorCode.CORRUPT_MESSAGE, `transaction marker value of ${value === null ? 'null' : value.length} bytes, need 6`)
  }
  const r = new ByteReader(value)
  const version = r.readInt16()
  return { version, coordinatorEpoch: r.readInt32() }
}

export interface EndTxnMarkerBatchInput {
  baseOffset?: bigint
  partitionLeaderEpoch?: number
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  /** true: COMMIT, false: ABORT. */
  commit: boolean
  /** Marker timestamp (the broker's clock when it writes the marker). */
  timestamp: bigint
}

/**
 * The control batch a partition leader appends for WriteTxnMarkers: transactional + control bits,
 * the producer's id and epoch, baseSequence -1, one record, one offset. Uncompressed.
 */
export function encodeEndTxnMarkerBatch (input: EndTxnMarkerBatchInput): Buffer {
  return encodeRecordBatchSync({
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    isTransactional: true,
    isControl: true,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseTimestamp: input.timestamp,
    records: [{
      key: encodeControlRecordKey(input.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT),
      value: encodeEndTxnMarkerValue(input.coordinatorEpoch),
      timestamp: input.timestamp,
    }],
  })
}
