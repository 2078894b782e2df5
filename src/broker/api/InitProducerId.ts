// InitProducerId (key 22): gives an idempotent producer its producer id and epoch 0.
// v0-1 plain; v2+ flexible; v3+ carry the producer's current id and epoch (KIP-360) so a
// transactional producer can bump its epoch; v4 adds no fields (PRODUCER_FENCED may be returned);
// v5 likewise (TRANSACTION_ABORTABLE).
// Without a transactional id Kafka ignores the id/epoch sent and always allocates a fresh id, and
// so does samsa: a new id with epoch 0 from ProducerIdManager, never reused across restarts.
// With a transactional id: not implemented yet (transactions are a later issue). The answer is
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53), which every client treats as fatal and reports as
// "transactional id not allowed" rather than retrying a coordinator that does not exist.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { InitProducerId } from '../../protocol/messages/InitProducerId.ts'
import { defineHandler } from '../defineHandler.ts'

export const handleInitProducerId = defineHandler(InitProducerId, {
  versions: '0-5',
  async handle (req, { broker }) {
    if (req.transactionalId === '') {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 }
    }
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 }
    }
    const producerId = await broker.producerIdManager.generateProducerId()
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: BigInt(producerId), producerEpoch: 0 }
  },
  errorResponse: (_req, code) => ({ throttleTimeMs: 0, errorCode: code, producerId: -1n, producerEpoch: -1 }),
})
