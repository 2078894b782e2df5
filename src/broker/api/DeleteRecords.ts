// DeleteRecords (key 21): moves each partition's log start offset forward to the given offset
// (-1 = the high watermark), so consumers can no longer read below it; whole segments below it are
// deleted. v0-1 plain (v1 only changes throttling semantics), v2 flexible. An offset past the high
// watermark answers OFFSET_OUT_OF_RANGE; the response's lowWatermark is the new log start offset
// (-1 on error). timeoutMs does not matter on one node: the change is made before answering.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { DeleteRecords } from '../../protocol/messages/DeleteRecords.ts'
import { defineHandler } from '../defineHandler.ts'

const INVALID_LOW_WATERMARK = -1n

export const handleDeleteRecords = defineHandler(DeleteRecords, {
  versions: '0-2',
  async handle (req, { broker }) {
    const rm = broker.replicaManager
    const topics = await Promise.all(req.topics.map(async t => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map(async p => {
        const partition = rm.getPartition(t.name, p.partitionIndex)
        if (partition === undefined) return { partitionIndex: p.partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
        const offset = Number(p.offset)
        if (!Number.isSafeInteger(offset) || offset < -1) return { partitionIndex: p.partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
        const r = await rm.deleteRecordsBefore(partition, offset)
        return { partitionIndex: p.partitionIndex, lowWatermark: r.errorCode === ErrorCode.NONE ? BigInt(r.lowWatermark) : INVALID_LOW_WATERMARK, errorCode: r.errorCode }
      })),
    })))
    return { throttleTimeMs: 0, topics }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => ({ partitionIndex: p.partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode: code })) })),
  }),
})
