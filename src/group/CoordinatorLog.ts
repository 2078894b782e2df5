// The seam between the group coordinator and storage: the partitions of __consumer_offsets seen
// as append-only logs of key/value records (Kafka's PartitionWriter and CoordinatorLoader).
//
// append() resolves once the records are in the partition's log (as durable as any produce with
// acks=all on this broker) and rejects, with a KafkaError when it has a code, if they are not.
// The coordinator issues one append per partition at a time and in order. load() walks a
// partition from its log start offset to its end, record by record in offset order, and reports
// transaction markers, so committed transactional offsets can be told from aborted ones.
// A partition that was never written (or a topic that does not exist yet) loads as empty; the
// implementation creates the topic, compacted, on first append.

import type { SerializedRecord } from './records.ts'

export type LoadedEntry =
  | { readonly kind: 'record', readonly key: Buffer | null, readonly value: Buffer | null, readonly producerId: bigint, readonly offset: bigint }
  | { readonly kind: 'endTxn', readonly producerId: bigint, readonly committed: boolean, readonly offset: bigint }

export interface CoordinatorLog {
  append: (partition: number, records: readonly SerializedRecord[]) => Promise<void>
  /** visit returns false to stop loading early (the coordinator is closing). */
  load: (partition: number, visit: (entry: LoadedEntry) => boolean | void) => Promise<void>
}

/** The internal topic's name. */
export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets'
