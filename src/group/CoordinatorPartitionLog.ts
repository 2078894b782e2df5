// __consumer_offsets on the broker's own partitions: the CoordinatorLog the group coordinator
// uses in a running broker (Kafka's CoordinatorPartitionWriter and CoordinatorLoaderImpl).
//
// append: one uncompressed v2 batch per call (producer id -1, CreateTime now), appended through
// the ReplicaManager like a produce with acks=all, so it is as durable as the topic's flush policy
// makes any write and parked fetches of the topic (a console consumer with the offsets
// formatter) wake up. The topic is created on first append with the coordinator's layout:
// offsets.topic.num.partitions partitions, cleanup.policy=compact, segment.bytes =
// offsets.topic.segment.bytes (Controller.autoCreateTopic).
// load: reads the partition from its log start offset to its high watermark in chunks of
// LOAD_BUFFER_BYTES, decodes every batch (decompressing if some tool wrote compressed ones) and
// visits records in offset order; transaction markers are reported as endTxn entries.

import { ErrorCode } from '../protocol/ErrorCode.ts'
import { KafkaError } from '../protocol/KafkaError.ts'
import { ControlRecordType, decodeControlRecordKey } from '../protocol/records/ControlRecord.ts'
import { decodeRecordBatches, encodeRecordBatchSync } from '../protocol/records/RecordBatch.ts'
import type { Broker } from '../broker/Broker.ts'
import type { Partition } from '../broker/ReplicaManager.ts'
import { type CoordinatorLog, GROUP_METADATA_TOPIC_NAME, type LoadedEntry } from './CoordinatorLog.ts'
import type { SerializedRecord } from './records.ts'

/** Bytes read per step while loading a partition (Kafka's offsets.load.buffer.size default). */
export const LOAD_BUFFER_BYTES = 5 * 1024 * 1024

export class CoordinatorPartitionLog implements CoordinatorLog {
  private readonly broker: Broker
  private readonly topic: string

  constructor (broker: Broker, topic = GROUP_METADATA_TOPIC_NAME) {
    this.broker = broker
    this.topic = topic
  }

  private async partition (index: number): Promise<Partition> {
    const existing = this.broker.replicaManager.getPartition(this.topic, index)
    if (existing !== undefined) return existing
    const created = await this.broker.controller.autoCreateTopic(this.topic)
    // The topic could not be made now: members retry (Kafka's answer while it creates the topic).
    if (created.errorCode !== ErrorCode.NONE) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const p = this.broker.replicaManager.getPartition(this.topic, index)
    // Fewer partitions than offsets.topic.num.partitions (the topic was made by hand).
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    return p
  }

  async append (index: number, records: readonly SerializedRecord[]): Promise<void> {
    if (records.length === 0) return
    const p = await this.partition(index)
    const now = BigInt(Date.now())
    const batch = encodeRecordBatchSync({ baseTimestamp: now, records: records.map(r => ({ key: r.key, value: r.value, timestamp: now })) })
    const res = await this.broker.replicaManager.appendRecords(p, batch)
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined)
  }

  async load (index: number, visit: (entry: LoadedEntry) => boolean | void): Promise<void> {
    const p = this.broker.replicaManager.getPartition(this.topic, index)
    if (p === undefined) return
    const log = p.log
    let offset = log.logStartOffset
    for (;;) {
      const read = await log.read(offset, LOAD_BUFFER_BYTES, { minOneMessage: true })
      if (read.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && offset < read.logStartOffset) {
        // Records before the new start were deleted under us: continue from there.
        offset = read.logStartOffset
        continue
      }
      if (read.errorCode !== ErrorCode.NONE) throw new KafkaError(read.errorCode)
      if (read.records.length === 0) return
      const batches = await decodeRecordBatches(read.records, { allowTruncatedTail: true })
      if (batches.length === 0) throw new Error(`no whole batch at offset ${offset} of ${this.topic}-${index}`)
      for (const b of batches) {
        if (b.isControl) {
          const record = b.records[0]
          if (record !== undefined) {
            const type = decodeControlRecordKey(record.key).type
            if (type === ControlRecordType.COMMIT || type === ControlRecordType.ABORT) {
              if (visit({ kind: 'endTxn', producerId: b.producerId, committed: type === ControlRecordType.COMMIT, offset: record.offset }) === false) return
            }
          }
        } else {
          for (const r of b.records) {
            if (Number(r.offset) < offset) continue
            if (visit({ kind: 'record', key: r.key, value: r.value, producerId: b.isTransactional ? b.producerId : -1n, offset: r.offset }) === false) return
          }
        }
        offset = Math.max(offset, Number(b.lastOffset) + 1)
      }
    }
  }
}
