// Shared by the data-path tests (Produce, Fetch, ListOffsets, InitProducerId, DeleteRecords):
// topic creation through the Controller, batch building with samsa's record encoder, and one-call
// produce/fetch helpers over KafkaTestClient.
import assert from 'node:assert/strict'
import type { Broker } from '../../../src/index.ts'
import { Fetch, Produce } from '../../../src/protocol/messages/index.ts'
import { decodeMessageSetSync, type LegacyRecord } from '../../../src/protocol/records/MessageSet.ts'
import { decodeRecordBatchesSync, encodeRecordBatchSync, type RecordBatch, type RecordBatchInput } from '../../../src/protocol/records/RecordBatch.ts'
import type { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'

export async function createTopic (broker: Broker, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const [r] = await broker.controller.createTopics([{
    name,
    numPartitions: partitions,
    replicationFactor: -1,
    assignments: [],
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
  }], false)
  assert.equal(r?.errorCode, 0, `create ${name}: ${r?.errorMessage ?? ''}`)
  return r?.topic?.topicId as string
}

/** A v2 batch of string values v0..v{n-1} (keys k0..), producer fields optional. */
export function batchOf (values: readonly string[], more: Omit<RecordBatchInput, 'records'> = {}): Buffer {
  return encodeRecordBatchSync({ ...more, records: values.map((v, i) => ({ key: `k${i}`, value: v })) })
}

export interface ProducePartitionResult { errorCode: number, baseOffset: bigint, logAppendTimeMs: bigint, logStartOffset: bigint, errorMessage: string | null }

export async function produce (client: KafkaTestClient, version: number, topic: string, partition: number, records: Buffer | null, acks = -1, transactionalId: string | null = null): Promise<ProducePartitionResult> {
  const res = await client.request(Produce, version, {
    transactionalId,
    acks,
    timeoutMs: 30000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  })
  assert.equal(res.responses.length, 1)
  const p = res.responses[0]?.partitionResponses[0]
  assert.ok(p !== undefined)
  assert.equal(p.index, partition)
  return p
}

export interface FetchOptions {
  maxWaitMs?: number
  minBytes?: number
  maxBytes?: number
  partitionMaxBytes?: number
  topicId?: string
  isolationLevel?: number
}

export interface FetchedPartition {
  errorCode: number
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  records: Buffer | null
}

export async function fetchOne (client: KafkaTestClient, version: number, topic: string, partition: number, fetchOffset: bigint, o: FetchOptions = {}): Promise<FetchedPartition> {
  const res = await client.request(Fetch, version, {
    replicaId: -1,
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 1,
    maxBytes: o.maxBytes ?? 50 * 1024 * 1024,
    isolationLevel: o.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: o.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition, fetchOffset, partitionMaxBytes: o.partitionMaxBytes ?? 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: '',
  })
  assert.equal(res.errorCode, 0)
  assert.equal(res.responses.length, 1)
  const p = res.responses[0]?.partitions[0]
  assert.ok(p !== undefined)
  assert.equal(p.partitionIndex, partition)
  return p
}

/** The v2 batches of a fetch (a cut last batch is dropped, as consumers do). */
export function batchesIn (records: Buffer | null): RecordBatch[] {
  if (records === null || records.length === 0) return []
  return decodeRecordBatchesSync(records, { allowTruncatedTail: true })
}

/** Values of every record in a fetch's v2 batches. */
export function valuesIn (records: Buffer | null): string[] {
  return batchesIn(records).flatMap(b => b.records.map(r => r.value?.toString() ?? '<null>'))
}

export function legacyIn (records: Buffer | null): LegacyRecord[] {
  if (records === null || records.length === 0) return []
  return decodeMessageSetSync(records, { allowTruncatedTail: true })
}

/** Resolves when `cond` holds, polling; fails naming `what` after the deadline. */
export async function eventually (what: string, cond: () => boolean | Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`never happened: ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}
