// An error that aborts a whole request with a Kafka error code. Expected per-item outcomes are
// data (error codes inside the response); this is for the request as a whole.
import { errorName } from './ErrorCode.ts'

export class KafkaError extends Error {
  override readonly name = 'KafkaError'
  readonly code: number

  constructor (code: number, message?: string) {
    super(message ?? errorName(code))
    this.code = code
  }
}
