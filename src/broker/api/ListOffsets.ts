// ListOffsets (key 2): an offset per partition for a timestamp or one of the special values
//   -1 latest (the high watermark, or the last stable offset for read_committed),
//   -2 earliest (the log start offset), -3 the record with the largest timestamp (v7+),
//   -4 earliest local (v8+; no tiered storage, so the log start offset), -5 latest tiered (v9+; -1),
//   t >= 0 the first record whose timestamp is >= t (offset -1 when there is none).
// v0 answers in its own layout: an array of offsets (oldStyleOffsets) and no timestamp. v1 the
// single offset and its timestamp; v2 isolationLevel and throttleTimeMs; v4 currentLeaderEpoch in,
// leaderEpoch out (always -1: this broker reports no leader epochs, see ReplicaManager); v6+
// flexible; v7-9 only admit the newer special values; v10 timeoutMs (tiered storage only: ignored).
// A partition asked for twice in one request answers INVALID_REQUEST, as Kafka does.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { ListOffsets } from '../../protocol/messages/ListOffsets.ts'
import type { ResponseInput } from '../../protocol/schema.ts'
import { defineHandler } from '../defineHandler.ts'
import type { ReplicaManager } from '../ReplicaManager.ts'

type PartitionResponse = NonNullable<NonNullable<ResponseInput<typeof ListOffsets>['topics']>[number]['partitions']>[number]

const NO_LEADER_EPOCH = -1

function partitionError (partitionIndex: number, errorCode: number): PartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: NO_LEADER_EPOCH }
}

export const handleListOffsets = defineHandler(ListOffsets, {
  versions: '0-10',
  async handle (req, { broker, apiVersion }) {
    const rm = broker.replicaManager
    const isolationLevel = apiVersion >= 2 && req.isolationLevel === 1 ? 1 : 0
    const seen = new Map<string, number>()
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const k = `${t.name}\u0000${p.partitionIndex}`
        seen.set(k, (seen.get(k) ?? 0) + 1)
      }
    }
    const topics = await Promise.all(req.topics.map(async t => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map(p => {
        if ((seen.get(`${t.name}\u0000${p.partitionIndex}`) ?? 0) > 1) return partitionError(p.partitionIndex, ErrorCode.INVALID_REQUEST)
        return listOffset(rm, t.name, p.partitionIndex, p.timestamp, isolationLevel, apiVersion)
      })),
    })))
    return { throttleTimeMs: 0, topics }
  },
  errorResponse: (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map(t => ({ name: t.name, partitions: t.partitions.map(p => partitionError(p.partitionIndex, code)) })),
  }),
})

async function listOffset (rm: ReplicaManager, topic: string, index: number, timestamp: bigint, isolationLevel: 0 | 1, apiVersion: number): Promise<PartitionResponse> {
  const partition = rm.getPartition(topic, index)
  if (partition === undefined) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const ts = Number(timestamp)
  if (!Number.isSafeInteger(ts)) return { partitionIndex: index, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: NO_LEADER_EPOCH }
  const r = await partition.log.offsetForTimestamp(ts, { isolationLevel })
  if (r.errorCode !== ErrorCode.NONE) return partitionError(index, r.errorCode)
  if (apiVersion === 0) {
    return { partitionIndex: index, errorCode: ErrorCode.NONE, oldStyleOffsets: r.offset >= 0 ? [BigInt(r.offset)] : [], timestamp: -1n, offset: -1n, leaderEpoch: NO_LEADER_EPOCH }
  }
  return { partitionIndex: index, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: BigInt(r.timestamp), offset: BigInt(r.offset), leaderEpoch: NO_LEADER_EPOCH }
}
