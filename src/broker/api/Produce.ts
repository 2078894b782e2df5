// Produce (key 0): validate each partition's records, append them, answer once the write completed.
// v0-1 carry magic 0 message sets, v2 magic 1 (both up-converted here into one v2 batch); v3+
// exactly one v2 batch and a transactionalId; v5 adds logStartOffset to the response; v7 allows
// zstd; v8 recordErrors and errorMessage; v9+ flexible; v10 currentLeader / nodeEndpoints tags
// (left at their defaults: this broker leads everything); v11 nothing new on the wire.
//
// Per partition, in Kafka's order: the topic exists and is not internal (UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_TOPIC_EXCEPTION); each batch's framing, magic, CRC-32C and client rules
// (CORRUPT_MESSAGE, INVALID_RECORD), its size against max.message.bytes (MESSAGE_TOO_LARGE), zstd only
// from v7 (UNSUPPORTED_COMPRESSION_TYPE); CreateTime timestamps within message.timestamp.before/after.max.ms
// of now (INVALID_TIMESTAMP; the first and largest timestamp of a batch are checked, since records
// of a compressed batch are not decompressed here). Then Log.append assigns offsets in place, checks
// idempotent producer state (a retried batch answers NONE with its original offsets; a stale epoch
// INVALID_PRODUCER_EPOCH, a sequence gap OUT_OF_ORDER_SEQUENCE_NUMBER), stamps LogAppendTime, and
// resolves after the write (and any fsync the flush policy asks for).
//
// An uncompressed batch whose header maxTimestamp differs from its records' largest timestamp gets
// the records' value (CRC recomputed), as Kafka corrects it. Records are otherwise left as sent,
// unless the topic's compression.type names a codec other than the batch's: then the batch is
// rebuilt with that codec, as Kafka does (the default, 'producer', never recompresses).
//
// Transactions are a later issue: a request with a transactionalId or a transactional batch is
// answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition, as Kafka answers a producer
// not allowed to use its transactional id.
//
// acks must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS for every partition). acks=0 gets no
// response; if anything failed the connection is closed instead, as Kafka does, so the producer
// notices (errorResponse returns nothing, which makes Connection close).

import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { KafkaError } from '../../protocol/KafkaError.ts'
import { Produce, type ProduceRequest } from '../../protocol/messages/Produce.ts'
import { messageSetToRecordBatch } from '../../protocol/records/MessageSet.ts'
import { CompressionType } from '../../protocol/records/compression/CompressionType.ts'
import { type BatchInfo, decodeRecordBatch, encodeRecordBatch, MAGIC, setMaxTimestamp, TimestampType, validateBatches } from '../../protocol/records/RecordBatch.ts'
import { RecordFormatError } from '../../protocol/records/RecordFormatError.ts'
import type { ResponseInput } from '../../protocol/schema.ts'
import { defineHandler, NO_RESPONSE } from '../defineHandler.ts'
import type { Partition, ReplicaManager } from '../ReplicaManager.ts'

type PartitionResponse = NonNullable<NonNullable<ResponseInput<typeof Produce>['responses']>[number]['partitionResponses']>[number]

/** The first Produce version that must carry exactly one v2 batch. */
const FIRST_V2_ONLY_VERSION = 3
/** The first Produce version allowed to carry zstd batches. */
const FIRST_ZSTD_VERSION = 7

function partitionError (index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage }
}

function allPartitions (req: ProduceRequest, errorCode: number): ResponseInput<typeof Produce> {
  return {
    responses: req.topicData.map(t => ({ name: t.name, partitionResponses: t.partitionData.map(p => partitionError(p.index, errorCode)) })),
    throttleTimeMs: 0,
  }
}

export const handleProduce = defineHandler(Produce, {
  versions: '0-11',
  async handle (req, { broker, apiVersion }) {
    if (req.acks !== -1 && req.acks !== 0 && req.acks !== 1) {
      if (req.acks === 0) throw new KafkaError(ErrorCode.INVALID_REQUIRED_ACKS)
      return allPartitions(req, ErrorCode.INVALID_REQUIRED_ACKS)
    }
    if (req.transactionalId !== null || hasTransactionalBatch(req)) {
      throw new KafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported yet')
    }
    const rm = broker.replicaManager
    const now = Date.now()
    const pending: Array<Promise<PartitionResponse>> = []
    for (const t of req.topicData) {
      for (const p of t.partitionData) pending.push(producePartition(rm, t.name, p.index, p.records, apiVersion, req.acks, now))
    }
    const results = await Promise.all(pending)
    if (req.acks === 0) {
      const failed = results.find(r => r.errorCode !== ErrorCode.NONE)
      if (failed !== undefined) throw new KafkaError(failed.errorCode as number, failed.errorMessage ?? undefined)
      return NO_RESPONSE
    }
    let i = 0
    return {
      responses: req.topicData.map(t => ({ name: t.name, partitionResponses: t.partitionData.map(() => results[i++] as PartitionResponse) })),
      throttleTimeMs: 0,
    }
  },
  // acks=0: no response at all; Connection closes the connection when given none.
  errorResponse: (req, code) => (req.acks === 0 ? undefined : allPartitions(req, code)) as ResponseInput<typeof Produce>,
})

/** Whether any batch of the request has the transactional bit (read from headers only). */
function hasTransactionalBatch (req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const r = p.records
      if (r === null) continue
      // Walk v2 batch headers: attributes at 21, batchLength at 8.
      for (let pos = 0; pos + 23 <= r.length && r[pos + MAGIC] === 2;) {
        if ((r.readInt16BE(pos + 21) & 0x10) !== 0) return true
        const len = r.readInt32BE(pos + 8)
        if (len <= 0) break
        pos += len + 12
      }
    }
  }
  return false
}

async function producePartition (rm: ReplicaManager, topic: string, index: number, records: Buffer | null, version: number, acks: number, now: number): Promise<PartitionResponse> {
  const partition = rm.getPartition(topic, index)
  if (partition === undefined) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (partition.internal) return partitionError(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topic}`)
  if (acks === -1 && partition.minInsyncReplicas > 1) {
    return partitionError(index, ErrorCode.NOT_ENOUGH_REPLICAS, `min.insync.replicas is ${partition.minInsyncReplicas} but this node is the only replica`)
  }
  const validated = await validateRecords(partition, records, version, now)
  if (!Buffer.isBuffer(validated)) return partitionError(index, validated.errorCode, validated.message)
  if (validated.length === 0) return { index, errorCode: ErrorCode.NONE, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: BigInt(partition.log.logStartOffset), recordErrors: [], errorMessage: null }
  const r = await rm.appendRecords(partition, validated)
  if (r.errorCode !== ErrorCode.NONE) return partitionError(index, r.errorCode, r.errorMessage)
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: BigInt(r.baseOffset),
    logAppendTimeMs: BigInt(r.logAppendTime),
    logStartOffset: BigInt(r.logStartOffset),
    recordErrors: [],
    errorMessage: null,
  }
}

interface Rejection { errorCode: number, message: string }

/** The records to append (v2 batches, fixed up in place), or why they are refused. */
async function validateRecords (p: Partition, records: Buffer | null, version: number, now: number): Promise<Buffer | Rejection> {
  if (records === null || records.length === 0) {
    return version >= FIRST_V2_ONLY_VERSION || records === null
      ? { errorCode: ErrorCode.INVALID_RECORD, message: `Produce v${version} needs at least one record batch` }
      : Buffer.alloc(0)
  }
  const magic = records.length > MAGIC ? records[MAGIC] as number : -1
  let buf = records
  if (magic === 0 || magic === 1) {
    if (version >= FIRST_V2_ONLY_VERSION) return { errorCode: ErrorCode.INVALID_RECORD, message: `Produce v${version} only accepts record batches with magic 2` }
    try {
      buf = await messageSetToRecordBatch(records)
    } catch (err) {
      if (err instanceof RecordFormatError) return { errorCode: err.errorCode, message: err.message }
      throw err
    }
    if (buf.length === 0) return buf
  }
  const v = validateBatches(buf, { client: true, maxBatchSize: p.config['max.message.bytes'] })
  if (v.error !== null) return { errorCode: v.error.errorCode, message: v.error.message }
  if (version >= FIRST_V2_ONLY_VERSION && v.batches.length !== 1) {
    return { errorCode: ErrorCode.INVALID_RECORD, message: `Produce v${version} requests must carry exactly one record batch, got ${v.batches.length}` }
  }
  const createTime = p.config['message.timestamp.type'] === 'CreateTime'
  for (const b of v.batches) {
    if (b.compression === CompressionType.ZSTD && version < FIRST_ZSTD_VERSION) {
      return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: `zstd needs Produce v${FIRST_ZSTD_VERSION} or later` }
    }
    if (!createTime) continue // the log stamps LogAppendTime
    const maxTimestamp = b.recordsMaxTimestamp ?? b.maxTimestamp
    if (maxTimestamp !== b.maxTimestamp || b.timestampType !== TimestampType.CREATE_TIME) {
      setMaxTimestamp(buf, TimestampType.CREATE_TIME, maxTimestamp, b.position)
    }
    const bad = badTimestamp(b.baseTimestamp, now, p.timestampBeforeMaxMs, p.timestampAfterMaxMs) ??
      badTimestamp(maxTimestamp, now, p.timestampBeforeMaxMs, p.timestampAfterMaxMs)
    if (bad !== null) return { errorCode: ErrorCode.INVALID_TIMESTAMP, message: bad }
  }
  if (p.compacted) {
    const keyless = await findKeylessRecord(buf, v.batches.map(b => b.position))
    if (keyless !== null) return keyless
  }
  if (p.compressionType !== null && v.batches.some(b => b.compression !== p.compressionType)) {
    return recompress(buf, v.batches, p.compressionType)
  }
  return buf
}

/**
 * The topic's compression.type names a codec (not 'producer'): batches in another codec are
 * rebuilt with it, as Kafka does. Everything else about a batch is kept: producer fields, sequence,
 * attributes, timestamps, offset deltas, headers. This decodes and re-encodes, so it only happens
 * when an operator asked for it.
 */
async function recompress (buf: Buffer, batches: readonly BatchInfo[], target: CompressionType): Promise<Buffer | Rejection> {
  const parts: Buffer[] = []
  for (const b of batches) {
    if (b.compression === target) {
      parts.push(buf.subarray(b.position, b.position + b.size))
      continue
    }
    let batch
    try {
      batch = await decodeRecordBatch(buf, { position: b.position })
    } catch (err) {
      if (err instanceof RecordFormatError) return { errorCode: err.errorCode, message: err.message }
      throw err
    }
    parts.push(await encodeRecordBatch({
      attributes: batch.attributes,
      compression: target,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      lastOffsetDelta: batch.lastOffsetDelta,
      records: batch.records.map(r => ({
        attributes: r.attributes,
        offsetDelta: r.offsetDelta,
        timestamp: batch.baseTimestamp + r.timestampDelta,
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    }))
  }
  return parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts)
}

/**
 * Compacted topics keep the last record per key, so every record needs one (INVALID_RECORD
 * otherwise). The only check that reads records, decompressing if need be, as Kafka does: it
 * applies to compacted topics alone.
 */
async function findKeylessRecord (buf: Buffer, positions: readonly number[]): Promise<Rejection | null> {
  for (const position of positions) {
    let batch
    try {
      batch = await decodeRecordBatch(buf, { position })
    } catch (err) {
      if (err instanceof RecordFormatError) return { errorCode: err.errorCode, message: err.message }
      throw err
    }
    if (batch.records.some(r => r.key === null)) return { errorCode: ErrorCode.INVALID_RECORD, message: 'Compacted topic cannot accept message without key' }
  }
  return null
}

function badTimestamp (ts: bigint, now: number, beforeMaxMs: number, afterMaxMs: number): string | null {
  if (ts < 0n) return null // -1: no timestamp
  const t = Number(ts)
  if (now - t > beforeMaxMs) return `timestamp ${t} is more than message.timestamp.before.max.ms (${beforeMaxMs}) in the past`
  if (t - now > afterMaxMs) return `timestamp ${t} is more than message.timestamp.after.max.ms (${afterMaxMs}) in the future`
  return null
}
