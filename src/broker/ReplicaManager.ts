// The broker's partitions: one Log each (through LogManager), the appends producers make to them,
// the reads Fetch makes from them, and the long poll and fetch sessions that go with reading.
// A one-node cluster leads every partition, so there are no followers, ISR or leader changes:
// acks=1 and acks=all both mean "written to this broker's log" (and fsynced when the topic's flush
// policy says so, which Log.append waits for).
//
// Partitions are the (topic, index) pairs MetadataCache lists. start() loads every log dir through
// LogManager, then opens (creating if missing) the log of each partition of each known topic.
// Controller calls createPartitions / deleteTopic / reconfigure as topics change. Each partition
// directory carries Kafka's `partition.metadata` (version 0, the topic id), written when the
// partition is created here.
//
// Leader epochs: batches are stamped with partitionLeaderEpoch -1 and every API reports -1, the
// consistent choice that keeps clients from validating positions with OffsetForLeaderEpoch.
//
// Concurrency: all state changes happen on the event loop between awaits. A partition's Log
// serialises its appends itself; ReplicaManager wakes parked fetches after an append's write
// completed and its data became visible (the Log moved the high watermark before resolving).

import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrokerConfig } from '../config/BrokerConfig.ts'
import { resolveTopicConfig, toLogConfig } from '../config/TopicConfig.ts'
import type { Logger } from '../Logger.ts'
import { Log, type LogAppendResult } from '../log/Log.ts'
import type { LogConfig } from '../log/LogConfig.ts'
import { LogManager } from '../log/LogManager.ts'
import { decompress } from '../protocol/records/compression/compress.ts'
import { CompressionType, compressionTypeForName, isCompressionType } from '../protocol/records/compression/CompressionType.ts'
import { MAX_DECOMPRESSED_BATCH_BYTES, NO_PARTITION_LEADER_EPOCH } from '../protocol/records/RecordBatch.ts'
import { BufferPool } from '../log/BufferPool.ts'
import { DelayedFetchPurgatory, MAX_PARKED_FETCHES } from './DelayedFetch.ts'
import { FetchSessionCache } from './FetchSessionCache.ts'
import type { MetadataCache, TopicMetadata } from './MetadataCache.ts'

/** Kafka's per-partition topic-id file. */
export const PARTITION_METADATA_FILE = 'partition.metadata'
/** Partition logs opened or created at once (each is a few files and fs round trips). */
export const PARTITION_OPEN_CONCURRENCY = 8

/** What Produce validation needs beyond the Log's own config. */
export interface Partition {
  readonly topic: string
  readonly topicId: string
  readonly index: number
  /** Purgatory key: unique per topic name and partition. */
  readonly key: string
  readonly internal: boolean
  readonly log: Log
  readonly config: LogConfig
  /** message.timestamp.before.max.ms / after.max.ms, as numbers (Long.MAX clamps to MAX_SAFE_INTEGER). */
  readonly timestampBeforeMaxMs: number
  readonly timestampAfterMaxMs: number
  /** cleanup.policy includes compact: every record needs a key. */
  readonly compacted: boolean
  /** min.insync.replicas: above 1, acks=all cannot be satisfied by one node. */
  readonly minInsyncReplicas: number
  /** compression.type: the codec batches are stored with, or null for 'producer' (kept as sent). */
  readonly compressionType: CompressionType | null
}

export interface PartitionInfo {
  logStartOffset: number
  highWatermark: number
  lastStableOffset: number
  logEndOffset: number
  sizeInBytes: number
}

export function partitionKey (topic: string, index: number): string {
  return `${topic}\u0000${index}`
}

class TopicPartitions {
  meta: TopicMetadata
  config: LogConfig
  timestampBeforeMaxMs: number
  timestampAfterMaxMs: number
  compacted: boolean
  minInsyncReplicas: number
  compressionType: CompressionType | null
  readonly partitions: Array<Partition | undefined> = []

  constructor (meta: TopicMetadata, brokerConfig: BrokerConfig) {
    this.meta = meta
    this.config = toLogConfig(brokerConfig, meta.configs)
    const resolved = new Map(resolveTopicConfig(brokerConfig, meta.configs).map(r => [r.name, r.value]))
    this.timestampBeforeMaxMs = toMs(resolved.get('message.timestamp.before.max.ms'))
    this.timestampAfterMaxMs = toMs(resolved.get('message.timestamp.after.max.ms'))
    this.compacted = this.config['cleanup.policy'].split(',').map(x => x.trim()).includes('compact')
    const minIsr = resolved.get('min.insync.replicas')
    this.minInsyncReplicas = typeof minIsr === 'number' ? minIsr : 1
    const codec = resolved.get('compression.type')
    this.compressionType = codec === 'uncompressed' ? CompressionType.NONE : typeof codec === 'string' ? compressionTypeForName(codec) ?? null : null
  }
}

function toMs (v: unknown): number {
  if (typeof v === 'bigint') return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v)
  return typeof v === 'number' ? v : Number.MAX_SAFE_INTEGER
}

export class ReplicaManager {
  readonly purgatory: DelayedFetchPurgatory
  /** Read buffers of the fetch path, reused across fetches (src/log/BufferPool.ts). */
  readonly fetchBuffers = new BufferPool()
  readonly fetchSessions: FetchSessionCache
  private readonly config: BrokerConfig
  private readonly metadata: MetadataCache
  private readonly logger: Logger
  private logManager: LogManager | null = null
  private readonly topics = new Map<string, TopicPartitions>()
  private closed = false

  constructor (config: BrokerConfig, metadata: MetadataCache, logger: Logger) {
    this.config = config
    this.metadata = metadata
    this.logger = logger.child({ component: 'ReplicaManager' })
    // A parked fetch gives its queued.max.requests slot back (RequestContext.parked); parked
    // fetches are bounded by MAX_PARKED_FETCHES alone.
    this.purgatory = new DelayedFetchPurgatory(MAX_PARKED_FETCHES)
    this.fetchSessions = new FetchSessionCache(config.int('max.incremental.fetch.session.cache.slots'))
  }

  /** Loads the log dirs and opens every partition of every known topic. */
  async start (): Promise<void> {
    const c = this.config
    this.logManager = await LogManager.open({
      config: {
        'log.dirs': c.logDirs(),
        'node.id': c.int('node.id'),
        'log.retention.check.interval.ms': c.longNumber('log.retention.check.interval.ms'),
        'log.flush.scheduler.interval.ms': c.longNumber('log.flush.scheduler.interval.ms'),
        'log.flush.offset.checkpoint.interval.ms': c.int('log.flush.offset.checkpoint.interval.ms'),
        'log.flush.start.offset.checkpoint.interval.ms': c.int('log.flush.start.offset.checkpoint.interval.ms'),
        'producer.id.expiration.check.interval.ms': c.int('producer.id.expiration.check.interval.ms'),
        'log.cleaner.enable': c.bool('log.cleaner.enable'),
        'log.cleaner.backoff.ms': c.longNumber('log.cleaner.backoff.ms'),
        'log.cleaner.dedupe.buffer.size': c.longNumber('log.cleaner.dedupe.buffer.size'),
        'log.cleaner.io.buffer.size': c.int('log.cleaner.io.buffer.size'),
      },
      clusterId: this.metadata.clusterId,
      defaultLogConfig: toLogConfig(c, new Map()),
      topicConfig: topic => {
        const t = this.metadata.topic(topic)
        return t === undefined ? undefined : toLogConfig(c, t.configs)
      },
      logger: this.logger,
      decompress: (compression, data) => {
        if (!isCompressionType(compression) || compression === CompressionType.NONE) return Promise.resolve(data)
        return decompress(compression, data, MAX_DECOMPRESSED_BATCH_BYTES)
      },
    })
    for (const t of this.metadata.allTopics()) await this.createPartitions(t, 0)
    for (const log of this.logManager.allLogs()) {
      const t = this.topics.get(log.topic)
      if (t === undefined || log.partition >= t.meta.partitions) {
        this.logger.warn({ topic: log.topic, partition: log.partition, dir: log.dir }, 'log of a partition the metadata does not list: left in place, not served')
      }
    }
  }

  private get logs (): LogManager {
    if (this.logManager === null) throw new Error('ReplicaManager is not started')
    return this.logManager
  }

  getPartition (topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index]
  }

  /**
   * Opens (creating them if needed) the logs of partitions fromPartition..topic.partitions-1, each
   * with Kafka's partition.metadata file naming the topic id.
   */
  async createPartitions (topic: TopicMetadata, fromPartition: number): Promise<void> {
    let t = this.topics.get(topic.name)
    if (t === undefined || t.meta.topicId !== topic.topicId) {
      t = new TopicPartitions(topic, this.config)
      this.topics.set(topic.name, t)
    } else {
      t.meta = topic
    }
    const tp = t
    let next = fromPartition
    const worker = async (): Promise<void> => {
      while (next < topic.partitions) {
        const i = next++
        const log = await this.logs.getOrCreateLog(topic.name, i, tp.config)
        await writePartitionMetadata(log.dir, topic.topicId)
        tp.partitions[i] = this.makePartition(tp, i, log)
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARTITION_OPEN_CONCURRENCY, Math.max(0, topic.partitions - fromPartition)) }, worker))
  }

  private makePartition (t: TopicPartitions, index: number, log: Log): Partition {
    return {
      topic: t.meta.name,
      topicId: t.meta.topicId,
      index,
      key: partitionKey(t.meta.name, index),
      internal: t.meta.internal,
      log,
      config: t.config,
      timestampBeforeMaxMs: t.timestampBeforeMaxMs,
      timestampAfterMaxMs: t.timestampAfterMaxMs,
      compacted: t.compacted,
      minInsyncReplicas: t.minInsyncReplicas,
      compressionType: t.compressionType,
    }
  }

  /** Removes the topic's logs (their directories go in the background) and answers its parked fetches. */
  async deleteTopic (topic: TopicMetadata): Promise<void> {
    const t = this.topics.get(topic.name)
    this.topics.delete(topic.name)
    const count = Math.max(topic.partitions, t?.partitions.length ?? 0)
    for (let i = 0; i < count; i++) {
      this.purgatory.onChange(partitionKey(topic.name, i))
      await this.logs.deleteLog(topic.name, i)
    }
  }

  /** Applies the topic's changed configs to its logs and to Produce validation. */
  reconfigure (topic: TopicMetadata): void {
    const old = this.topics.get(topic.name)
    if (old === undefined) return
    const t = new TopicPartitions(topic, this.config)
    for (let i = 0; i < old.partitions.length; i++) {
      const p = old.partitions[i]
      if (p !== undefined) t.partitions[i] = this.makePartition(t, i, p.log)
    }
    this.topics.set(topic.name, t)
    this.logs.updateTopicConfig(topic.name, t.config)
  }

  partitionInfo (topic: string, partition: number): PartitionInfo | undefined {
    const log = this.getPartition(topic, partition)?.log
    if (log === undefined) return undefined
    return {
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
      logEndOffset: log.logEndOffset,
      sizeInBytes: log.size,
    }
  }

  /**
   * Appends validated v2 batches (modified in place by the log) and resolves once written. Parked
   * fetches on the partition learn of the new bytes as soon as they are readable.
   */
  async appendRecords (partition: Partition, records: Buffer): Promise<LogAppendResult> {
    const bytes = records.length
    const r = await partition.log.append(records, { leaderEpoch: NO_PARTITION_LEADER_EPOCH, origin: 'client' })
    if (r.errorCode === 0 && !r.duplicate) this.purgatory.onAppend(partition.key, bytes)
    return r
  }

  /** DeleteRecords: moves the log start offset (-1 = the high watermark); answers parked fetches. */
  async deleteRecordsBefore (partition: Partition, offset: number): Promise<{ errorCode: number, lowWatermark: number }> {
    const r = await partition.log.deleteRecordsBefore(offset)
    this.purgatory.onChange(partition.key)
    return r
  }

  /** Answers parked fetches, then closes every log (flushing it) and writes the checkpoints. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.purgatory.close()
    this.fetchSessions.clear()
    await this.logManager?.close()
  }
}

/**
 * Writes `<dir>/partition.metadata` (Kafka's format) unless it already names this topic id. samsa
 * never reads it back (the topic id lives in MetadataCache); it is there for Kafka's tools and
 * operators, so it is replaced atomically but not fsynced: a crash at worst leaves a stale or empty
 * file, rewritten at the next start.
 */
async function writePartitionMetadata (dir: string, topicId: string): Promise<void> {
  const path = join(dir, PARTITION_METADATA_FILE)
  const text = `version: 0\ntopic_id: ${topicId}\n`
  const current = await readFile(path, 'utf8').catch(() => null)
  if (current === text) return
  const tmp = `${path}.tmp`
  await writeFile(tmp, text, { mode: 0o644 })
  await rename(tmp, path)
}
