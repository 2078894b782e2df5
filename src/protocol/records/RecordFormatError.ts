// The one error type thrown (or returned) by the record codecs. It names the Kafka error code a
// broker should answer with, so a handler maps it to a partition error without string matching.
// Bytes from a socket or a file are never asserted on: every malformed input ends up here.

import { ErrorCode, errorName } from '../ErrorCode.ts'

/** The Kafka error codes this module produces, taken from Kafka's own table (ErrorCode.ts). */
export const RecordErrorCode = {
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
} as const
export type RecordErrorCode = typeof RecordErrorCode[keyof typeof RecordErrorCode]

export class RecordFormatError extends Error {
  /** Kafka error code to answer with (CORRUPT_MESSAGE, INVALID_RECORD, ...). */
  readonly errorCode: RecordErrorCode
  /** Kafka's name for errorCode. */
  readonly errorName: string
  /** Byte position (within the buffer handed to the codec) of the batch or message at fault, or -1. */
  readonly position: number

  constructor (errorCode: RecordErrorCode, message: string, position = -1, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RecordFormatError'
    this.errorCode = errorCode
    this.errorName = errorName(errorCode)
    this.position = position
  }
}

/**
 * Decompressed data would exceed the caller's cap (a compression bomb, or a cap below an honest
 * batch). Reported as CORRUPT_MESSAGE; `maxBytes` is the cap that was hit.
 */
export class DecompressionLimitError extends RecordFormatError {
  readonly maxBytes: number
  constructor (maxBytes: number, message = `decompressed data exceeds ${maxBytes} bytes`) {
    super(RecordErrorCode.CORRUPT_MESSAGE, message)
    this.name = 'DecompressionLimitError'
    this.maxBytes = maxBytes
  }
}
