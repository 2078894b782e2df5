// Fetch (key 1): stored batches from each requested partition, sent as the bytes read from the
// segment files (the records field takes the Buffers as they are; the response goes out with
// writev). v0-3 predate v2 batches: their records are down-converted to magic 0 (v0-1) or magic 1
// (v2-3) message sets, the only path that decodes records. v3 adds the response maxBytes; v4
// isolationLevel, lastStableOffset and abortedTransactions; v5 logStartOffset; v7 fetch sessions
// (KIP-227, see FetchSessionCache); v9 currentLeaderEpoch (accepted: leader epochs are -1 here);
// v10 zstd may be returned (below it a partition whose data holds zstd batches answers
// UNSUPPORTED_COMPRESSION_TYPE); v11 rackId / preferredReadReplica (-1); v12+ flexible, with
// lastFetchedEpoch and the diverging-epoch tags (followers only); v13+ topics by id (unknown:
// UNKNOWN_TOPIC_ID); v15 replicaState; v16 nodeEndpoints; v17 replicaDirectoryId.
//
// Limits, as Kafka: each partition returns at most partitionMaxBytes and the whole response at
// most min(maxBytes, fetch.max.bytes) of records, cut at the limit (the last batch may be partial;
// clients drop it), except that from v3 on the first batch of the first partition with data is
// returned whole however large, so a consumer always progresses. Reads stop at the high watermark
// (read_uncommitted) or the last stable offset (read_committed; equal until transactions exist).
// OFFSET_OUT_OF_RANGE when the fetch offset is below the log start offset or past the log end.
//
// Long poll: when fewer than minBytes were found, nothing failed and maxWaitMs > 0, the fetch parks
// in the DelayedFetchPurgatory until appends to its partitions bring minBytes, one of them changes,
// maxWaitMs passes or the broker stops; then it reads again and answers.

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { Fetch, type FetchRequest } from '../../protocol/messages/Fetch.ts'
import { type LegacyMagic, recordBatchesToMessageSet } from '../../protocol/records/MessageSet.ts'
import { RecordFormatError } from '../../protocol/records/RecordFormatError.ts'
import { ZERO_UUID } from '../../protocol/Reader.ts'
import type { ResponseInput } from '../../protocol/schema.ts'
import type { Broker } from '../Broker.ts'
import { defineHandler } from '../defineHandler.ts'
import type { FetchPartitionOutcome, FetchPartitionRequest } from '../FetchSessionCache.ts'
import type { Partition } from '../ReplicaManager.ts'

type TopicResponse = NonNullable<ResponseInput<typeof Fetch>['responses']>[number]
type PartitionData = NonNullable<TopicResponse['partitions']>[number]

/** The first Fetch version that names topics by id. */
const FIRST_TOPIC_ID_VERSION = 13
/** The first version with fetch sessions. */
const FIRST_SESSION_VERSION = 7
/** The first version whose response limit is soft (the first batch is returned whole). */
const FIRST_SOFT_LIMIT_VERSION = 3
/** The first version that carries v2 batches as stored. */
const FIRST_V2_VERSION = 4

const EMPTY = Buffer.alloc(0)
const READ_COMMITTED = 1

/** One partition's read: what the response says about it. */
interface PartitionRead extends FetchPartitionOutcome {
  records: Buffer
  recordsBytes: number
}

export const handleFetch = defineHandler(Fetch, {
  versions: '0-17',
  async handle (req, { broker, apiVersion, parked, afterResponse }) {
    const rm = broker.replicaManager
    const usesTopicIds = apiVersion >= FIRST_TOPIC_ID_VERSION
    const requested: FetchPartitionRequest[] = []
    for (const t of req.topics) {
      const name = usesTopicIds ? broker.metadata.topicById(t.topicId)?.name ?? '' : t.topic
      for (const p of t.partitions) {
        requested.push({ topic: name, topicId: usesTopicIds ? t.topicId : ZERO_UUID, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, logStartOffset: p.logStartOffset })
      }
    }
    const forgotten: Array<{ topic: string, topicId: string, partition: number }> = []
    for (const f of req.forgottenTopicsData) for (const partition of f.partitions) forgotten.push({ topic: f.topic, topicId: f.topicId, partition })
    const context = apiVersion >= FIRST_SESSION_VERSION
      ? rm.fetchSessions.newContext(usesTopicIds, req.sessionId, req.sessionEpoch, requested, forgotten)
      : rm.fetchSessions.newContext(false, 0, -1, requested, [])
    if (context.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: 0, responses: [] }

    const parts = context.partitions
    let resolved = parts.map(p => resolvePartition(broker, usesTopicIds, p))
    const maxBytes = Math.min(req.maxBytes, broker.config.int('fetch.max.bytes'))
    const isolationLevel = apiVersion >= FIRST_V2_VERSION && req.isolationLevel === READ_COMMITTED ? 1 : 0
    const softLimit = apiVersion >= FIRST_SOFT_LIMIT_VERSION
    // Stored bytes are read into pooled buffers, given back once the response is on the socket.
    const lease = rm.fetchBuffers.lease()
    afterResponse(lease.release)
    let reads = await readPartitions(parts, resolved, maxBytes, softLimit, isolationLevel, lease.alloc)
    if (req.maxWaitMs > 0 && parts.length > 0 && reads.bytes < req.minBytes && !reads.failed) {
      const keys: string[] = []
      for (const p of resolved) if (typeof p === 'object') keys.push(p.key)
      const reason = await parked(rm.purgatory.park(keys, req.minBytes - reads.bytes, req.maxWaitMs))
      if (reason !== 'full' && reason !== 'shutdown') {
        resolved = parts.map(p => resolvePartition(broker, usesTopicIds, p)) // a topic may have gone meanwhile
        reads = await readPartitions(parts, resolved, maxBytes, softLimit, isolationLevel, lease.alloc)
      }
    }
    const results = reads.results
    if (apiVersion < FIRST_V2_VERSION) await convertForOldClients(results, apiVersion)

    const { sessionId, include } = context.complete(results)
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId,
      responses: buildResponses(parts, results, include, usesTopicIds, apiVersion, isolationLevel),
    }
  },
  errorResponse: (_req: FetchRequest, code: number) => ({ throttleTimeMs: 0, errorCode: code, sessionId: 0, responses: [] }),
})

/** The partition to read, or the error code that answers it. */
function resolvePartition (broker: Broker, usesTopicIds: boolean, p: FetchPartitionRequest): Partition | number {
  if (usesTopicIds) {
    const t = broker.metadata.topicById(p.topicId)
    if (t === undefined) return ErrorCode.UNKNOWN_TOPIC_ID
    return broker.replicaManager.getPartition(t.name, p.partition) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
  }
  return broker.replicaManager.getPartition(p.topic, p.partition) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
}

function errorRead (errorCode: number): PartitionRead {
  return { errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, recordsBytes: 0, records: EMPTY }
}

async function readOne (p: Partition | number, fetchOffset: bigint, maxBytes: number, minOneMessage: boolean, isolationLevel: 0 | 1, alloc: (size: number) => Buffer): Promise<PartitionRead> {
  if (typeof p === 'number') return errorRead(p)
  const log = p.log
  const offset = Number(fetchOffset)
  if (!Number.isSafeInteger(offset)) {
    return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: BigInt(log.highWatermark), lastStableOffset: BigInt(log.lastStableOffset), logStartOffset: BigInt(log.logStartOffset), recordsBytes: 0, records: EMPTY }
  }
  const r = await log.read(offset, Math.max(0, maxBytes), { minOneMessage, isolationLevel, alloc })
  return {
    errorCode: r.errorCode,
    highWatermark: BigInt(r.highWatermark),
    lastStableOffset: BigInt(r.lastStableOffset),
    logStartOffset: BigInt(r.logStartOffset),
    recordsBytes: r.records.length,
    records: r.records,
  }
}

/**
 * Reads every partition within the limits. When the partitions' own limits fit in the response
 * limit, the reads run concurrently (each allowed its first batch whole) and the result is then cut
 * to what reading them one after another would have returned; otherwise they run in order, each
 * given what the response has left.
 */
async function readPartitions (parts: readonly FetchPartitionRequest[], resolved: ReadonlyArray<Partition | number>, maxBytes: number, softLimit: boolean, isolationLevel: 0 | 1, alloc: (size: number) => Buffer): Promise<{ results: PartitionRead[], bytes: number, failed: boolean }> {
  let sumLimits = 0
  for (const p of parts) sumLimits += Math.max(0, p.partitionMaxBytes)
  let results: PartitionRead[]
  if (sumLimits <= maxBytes) {
    results = await Promise.all(parts.map((p, i) => readOne(resolved[i] as Partition | number, p.fetchOffset, p.partitionMaxBytes, softLimit, isolationLevel, alloc)))
    let remaining = maxBytes
    let seenData = false
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as PartitionRead
      if (r.records.length === 0) continue
      if (seenData) {
        const limit = Math.max(0, Math.min((parts[i] as FetchPartitionRequest).partitionMaxBytes, remaining))
        if (r.records.length > limit) {
          r.records = r.records.subarray(0, limit)
          r.recordsBytes = limit
        }
      }
      if (r.records.length > 0) seenData = true
      remaining -= r.records.length
    }
  } else {
    results = []
    let remaining = maxBytes
    let minOneMessage = softLimit
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as FetchPartitionRequest
      const r = await readOne(resolved[i] as Partition | number, p.fetchOffset, Math.min(p.partitionMaxBytes, remaining), minOneMessage, isolationLevel, alloc)
      if (r.records.length > 0) minOneMessage = false
      remaining -= r.records.length
      results.push(r)
    }
  }
  let bytes = 0
  let failed = false
  for (const r of results) {
    bytes += r.records.length
    if (r.errorCode !== ErrorCode.NONE) failed = true
  }
  return { results, bytes, failed }
}

/** Fetch v0-3: v2 batches become legacy message sets (zstd ones: UNSUPPORTED_COMPRESSION_TYPE). */
async function convertForOldClients (results: PartitionRead[], apiVersion: number): Promise<void> {
  for (const r of results) {
    if (r.records.length === 0) continue
    const magic: LegacyMagic = apiVersion <= 1 ? 0 : 1
    try {
      r.records = await recordBatchesToMessageSet(r.records, magic, { allowTruncatedTail: true })
      r.recordsBytes = r.records.length
    } catch (err) {
      if (!(err instanceof RecordFormatError)) throw err
      Object.assign(r, errorRead(err.errorCode), { highWatermark: r.highWatermark, lastStableOffset: r.lastStableOffset, logStartOffset: r.logStartOffset })
    }
  }
}

/** Groups the listed partitions by topic, keeping their order (a topic repeats if interleaved). */
function buildResponses (parts: readonly FetchPartitionRequest[], results: readonly PartitionRead[], include: readonly boolean[], usesTopicIds: boolean, apiVersion: number, isolationLevel: 0 | 1): TopicResponse[] {
  const out: TopicResponse[] = []
  let current: { topic: string, topicId: string, partitions: PartitionData[] } | null = null
  for (let i = 0; i < parts.length; i++) {
    if (include[i] !== true) continue
    const p = parts[i] as FetchPartitionRequest
    const r = results[i] as PartitionRead
    const same = current !== null && (usesTopicIds ? current.topicId === p.topicId : current.topic === p.topic)
    if (!same) {
      current = { topic: p.topic, topicId: p.topicId, partitions: [] }
      out.push(current)
    }
    (current as { partitions: PartitionData[] }).partitions.push({
      partitionIndex: p.partition,
      errorCode: r.errorCode,
      highWatermark: r.highWatermark,
      lastStableOffset: r.lastStableOffset,
      logStartOffset: r.logStartOffset,
      abortedTransactions: apiVersion >= FIRST_V2_VERSION && isolationLevel === READ_COMMITTED ? [] : null,
      preferredReadReplica: -1,
      records: r.records,
    })
  }
  return out
}
